"""Collectors: poll RSS/Atom feeds and put every new or edited article into Kafka once.

`collectors.service.run` is the entry point (`newswatch collect`, `newswatch run`); the
parts are the feeds.yaml schema (`config`), the safe HTTP fetcher (`fetch`), one parser per
source type (`sources`), entry -> Article (`normalize`), per-feed state that advances only
after Kafka acknowledged (`state`), and the scheduler (`poller`).
"""

"""The whole pipeline killed with SIGKILL mid-stream, the broker restarted, then restarted:
every article collected once, every one decided, every matching one alerted exactly once.

`newswatch run` (collector, processor and alerter in one process) reads local feeds built
from the development set and posts to the fake Slack through the real slack-sdk client.
It dies twice: once killed by the fake Slack while a post is being answered (Slack has the
message, the alerter never learns it), once by SIGKILL from the test after more posts; the
broker is restarted in between. The counts at the end come from the topics and from what
the fake Slack received.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
import yaml

from collectors.seeds import SeedFeedServer
from newswatch.broker.admin import group_lag
from newswatch.messages import Alert, Article, Decision
from newswatch.topics import Topics
from tests.alertutil import FAST_CONFIG, wait_for
from tests.kafkautil import read_topic

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
FEEDS = 3
STORIES = 45


def devset_stories(count: int) -> list[dict]:
    stories = []
    for path in sorted((ROOT / "tests" / "devset").glob("*.yaml")):
        stories.extend(yaml.safe_load(path.read_text(encoding="utf-8")) or [])
    return stories[:count]


def write_feeds(folder: Path, stories: list[dict]) -> None:
    start = datetime.now(timezone.utc) - timedelta(hours=2)
    for f in range(FEEDS):
        items = []
        for i, story in enumerate(stories[f::FEEDS]):
            items.append(
                f"<item><title>{escape(story['title'])}</title>"
                f"<link>https://wire{f}.example.org/story/{story['id']}</link>"
                f"<guid>{story['id']}</guid>"
                f"<pubDate>{format_datetime(start + timedelta(minutes=i))}</pubDate>"
                f"<description>{escape(story['text'])}</description></item>")
        (folder / f"wire{f}.xml").write_text(
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Wire {f}</title><link>https://wire{f}.example.org/</link>"
            f"<description>test wire</description>{''.join(items)}</channel></rss>",
            encoding="utf-8")


class Pipeline:
    """One `newswatch run` process."""

    def __init__(self, env: dict[str, str], tmp_path: Path, name: str) -> None:
        self.err = tmp_path / f"{name}.err"
        with open(tmp_path / f"{name}.out", "w") as out, open(self.err, "w") as err:
            self.proc = subprocess.Popen([sys.executable, "-m", "newswatch", "run"], env=env,
                                         stdout=out, stderr=err)

    def stderr(self) -> str:
        return self.err.read_text()[-3000:]

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(30)


def test_killed_twice_with_a_broker_restart_between_every_alert_once(
        settings, local_broker, fake, env_for, tmp_path):
    stories = devset_stories(STORIES)
    feed_dir = tmp_path / "feeds"
    feed_dir.mkdir()
    write_feeds(feed_dir, stories)
    config = settings.config_dir
    shutil.copy(ROOT / "config" / "rules.yaml", config / "rules.yaml")
    (config / "alerts.yaml").write_text(FAST_CONFIG, encoding="utf-8")
    topics = Topics.from_settings(settings)

    with SeedFeedServer(feed_dir) as server:
        (config / "feeds.yaml").write_text(yaml.safe_dump({
            "allow_private_networks": True,
            "feeds": [{"id": f"wire{f}", "url": f"{server.base_url}wire{f}.xml",
                       "interval": "1m"} for f in range(FEEDS)]}), encoding="utf-8")
        env = env_for(settings, SLACK_BOT_TOKEN=fake.token, NEWSWATCH_SLACK_API_URL=fake.url)

        # Run 1: the fake Slack kills the pipeline while answering the 4th post.
        first = Pipeline(env, tmp_path, "run1")
        fake.on_post = lambda message: (len(fake.posts()) >= 4 and
                                        os.kill(first.proc.pid, signal.SIGKILL))
        try:
            assert first.proc.wait(120) == -signal.SIGKILL, first.stderr()
        finally:
            fake.on_post = None
            first.kill()
        posts_after_first = len(fake.posts())
        assert posts_after_first >= 4

        # The broker goes down and comes back with its data.
        local_broker.down()
        local_broker.up(timeout=120)

        # Run 2: SIGKILL from outside after a few more posts.
        second = Pipeline(env, tmp_path, "run2")
        try:
            wait_for(lambda: len(fake.posts()) >= posts_after_first + 4 or
                     second.proc.poll() is not None, timeout=120,
                     what="more posts from the second run")
            assert second.proc.poll() is None, second.stderr()
        finally:
            second.kill()

        # Run 3: to the end. It counts as started once its alerter has checked the token
        # (the stages, and the SIGTERM handler, are up by then).
        checks = len(fake.calls_to("auth.test"))
        third = Pipeline(env, tmp_path, "run3")
        try:
            wait_for(lambda: len(fake.calls_to("auth.test")) > checks or
                     third.proc.poll() is not None, timeout=60, what="the third run to start")

            def drained() -> bool:
                assert third.proc.poll() is None, third.stderr()
                articles = [a for a in read_topic(settings, topics.articles)
                            if isinstance(a, Article)]
                return (len({a.id for a in articles}) == len(stories) and
                        group_lag(settings, "newswatch-processor", topics.articles) == 0 and
                        group_lag(settings, "newswatch-alerter", topics.decisions) == 0)

            wait_for(drained, timeout=180, what="the pipeline to drain", interval=0.5)
        finally:
            if third.proc.poll() is None:
                third.proc.send_signal(signal.SIGTERM)
            code = third.proc.wait(60)
        assert code == 0, third.stderr()

    # Every story collected exactly once.
    articles = [a for a in read_topic(settings, topics.articles) if isinstance(a, Article)]
    assert sorted(Counter(a.id for a in articles).values()) == [1] * len(stories)

    # Every article decided (redelivery may decide one twice, identically).
    decisions = [d for d in read_topic(settings, topics.decisions) if isinstance(d, Decision)]
    assert {d.article_id for d in decisions} == {a.id for a in articles}
    by_article: dict[str, set] = {}
    for d in decisions:
        by_article.setdefault(d.article_id, set()).add(d.categories)
    assert all(len(v) == 1 for v in by_article.values()), "a redelivered article was " \
        "decided differently"
    matched = {aid for aid, cats in by_article.items() if next(iter(cats))}
    assert len(matched) >= 10, "the development set should give many alerts"

    # Every matching article alerted; no alert posted twice; ledger and Slack agree.
    ledger = [r for r in read_topic(settings, topics.alerts) if isinstance(r, Alert)]
    final: dict[str, Alert] = {}
    for record in ledger:
        if record.status != "updated":  # an edit of a posted message (its reports line)
            final[record.alert_id] = record
    statuses = Counter(r.status for r in final.values())
    assert set(statuses) <= {"posted", "duplicate"}, statuses
    alerted = {r.article_id for r in final.values()}
    assert matched <= alerted, f"lost: {sorted(matched - alerted)}"

    posts = fake.posts()
    per_alert = Counter(p["metadata"]["event_payload"]["alert_id"] for p in posts
                        if p.get("metadata"))
    assert [a for a, n in per_alert.items() if n > 1] == [], "duplicate posts"
    posted = {aid for aid, r in final.items() if r.status == "posted"}
    assert set(per_alert) == posted

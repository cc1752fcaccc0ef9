"""The collector's delivered-articles state follows the topic it delivered to: a new topic
prefix, or the articles topic deleted and created again, gets every article again."""

from __future__ import annotations

import time
import uuid

import pytest
from kafka.errors import KafkaError

from collectors import service
from collectors.seeds import SeedFeedServer, write_demo_feeds_config
from newswatch.broker.admin import ensure_topics
from newswatch.broker.clients import make_admin
from newswatch.settings import Settings
from newswatch.topics import Topics
from tests.kafkautil import read_topic


@pytest.fixture
def feeds(settings):
    with SeedFeedServer() as server:
        yield write_demo_feeds_config(settings.config_dir / "feeds.yaml", server.base_url)


def _collect(settings: Settings, feeds) -> int:
    return sum(r.produced for r in service.run(settings, once=True, feeds_path=feeds).results)


def _with_prefix(settings: Settings) -> Settings:
    other = settings.model_copy(update={"topic_prefix": f"t{uuid.uuid4().hex[:10]}-"})
    ensure_topics(other)
    return other


def _recreate(settings: Settings, topic: str, deadline: float = 60.0) -> None:
    admin = make_admin(settings)
    try:
        admin.delete_topics([topic])
        end = time.monotonic() + deadline
        while topic in admin.list_topics():
            assert time.monotonic() < end, f"{topic} was not deleted"
            time.sleep(0.2)
    finally:
        admin.close()
    end = time.monotonic() + deadline
    while True:  # the broker may still be removing the old log
        try:
            ensure_topics(settings)
            return
        except (KafkaError, Exception):
            if time.monotonic() > end:
                raise
            time.sleep(0.5)


def test_a_new_topic_prefix_gets_every_article_and_the_old_one_keeps_its_state(
        settings, feeds, caplog):
    first = _collect(settings, feeds)
    assert first >= 12
    other = _with_prefix(settings)
    with caplog.at_level("INFO", logger="collectors.target"):
        again = _collect(other, feeds)
    assert again == first  # not "already delivered": that was another topic
    assert any("no collector state for" in r.message and Topics.from_settings(other).articles
               in r.message for r in caplog.records)
    assert len(read_topic(other, Topics.from_settings(other).articles, expect=first)) == first
    assert _collect(settings, feeds) == 0  # back on the first prefix: its state is still there
    assert _collect(other, feeds) == 0


def test_an_articles_topic_deleted_and_created_again_gets_every_article_again(settings, feeds):
    first = _collect(settings, feeds)
    assert first >= 12 and _collect(settings, feeds) == 0
    articles = Topics.from_settings(settings).articles
    _recreate(settings, articles)
    assert _collect(settings, feeds) == first
    assert len(read_topic(settings, articles, expect=first)) == first


def test_the_single_state_file_of_an_earlier_version_is_adopted_by_its_target(tmp_path):
    from collectors.state import FeedState, StateStore
    from collectors.target import DeliveryTarget, state_root, store_for

    settings = Settings.load(state_dir=tmp_path / "state")
    legacy = StateStore(state_root(settings) / "state.sqlite3")
    legacy.save(FeedState.fresh("wire", "https://example.org/rss"), seen=[("a1", "h1")], now=1.0)
    legacy.close()
    target = DeliveryTarget("cluster-1", "newswatch.articles", "id-1")
    store = store_for(settings, target)
    try:
        assert store.known(["a1"]) == {"a1": {"h1"}}
        assert not (state_root(settings) / "state.sqlite3").exists()
        assert "newswatch.articles" in (store.path.parent / "target.txt").read_text()
    finally:
        store.close()
    other = store_for(settings, DeliveryTarget("cluster-1", "newswatch.articles", "id-2"))
    try:
        assert other.known(["a1"]) == {}  # a recreated topic starts empty
    finally:
        other.close()

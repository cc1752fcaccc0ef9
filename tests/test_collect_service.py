"""`newswatch collect` on the sample feeds: each article in Kafka once, a second run adds none."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from collectors import service
from collectors.seeds import SeedFeedServer, seed_feed_files, write_demo_feeds_config
from collectors.sources import SOURCES
from tests.kafkautil import read_topic

ROOT = Path(__file__).resolve().parent.parent
SEED_TEXT = ROOT / "seeds" / "000_b2a89f96822d7eba.txt"


def seed_item_count() -> int:
    source = SOURCES.get("rss")()
    return sum(len(source.parse(p.read_bytes(), url="http://127.0.0.1/", headers={}).entries)
               for p in seed_feed_files())


@pytest.fixture
def seed_server():
    with SeedFeedServer() as server:
        yield server


def collect_once(env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "newswatch", "collect", "--once"],
                          env=env, capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_collect_once_puts_each_seed_article_in_kafka_exactly_once(settings, topics, env_for,
                                                                    seed_server):
    path = write_demo_feeds_config(settings.config_dir / "feeds.yaml", seed_server.base_url)
    with path.open("a") as f:  # one broken feed: reported, and the others unaffected
        f.write(f"- id: missing\n  url: {seed_server.base_url}missing.xml\n")
    total = seed_item_count()
    assert total >= 12
    first = collect_once(env_for(settings))
    assert first.returncode == 0, first.stderr
    assert "collect summary" in first.stdout and "sample-korea-defense-wire" in first.stdout
    assert f"{total} article(s) produced" in first.stdout and "1 error(s)" in first.stdout
    assert "missing: HTTP 404" in first.stdout

    articles = read_topic(settings, topics.articles, expect=total, timeout=30)
    assert len(articles) == total and len({a.id for a in articles}) == total
    seed = [a for a in articles if "annual defense ministerial talks" in a.title]
    assert len(seed) == 1
    paragraphs = [p.strip() for p in SEED_TEXT.read_text(encoding="utf-8")
                  .removeprefix(" date 2026-01-30 ").split("\n") if p.strip()]
    assert seed[0].content.split("\n") == paragraphs
    assert seed[0].published_at.isoformat() == "2026-01-30T09:05:00+00:00"

    second = collect_once(env_for(settings))
    assert second.returncode == 0, second.stderr
    assert "0 article(s) produced" in second.stdout and "not-modified" in second.stdout
    assert len(read_topic(settings, topics.articles, timeout=10)) == total


def test_run_once_returns_a_summary_with_health(settings, topics, seed_server):
    path = write_demo_feeds_config(settings.config_dir / "feeds.yaml", seed_server.base_url)
    summary = service.run(settings, once=True, feeds_path=path)
    assert summary.errors == 0 and summary.produced == seed_item_count()
    assert {r.outcome for r in summary.results} == {"new"}
    assert {h.feed_id for h in summary.health} == {r.feed_id for r in summary.results}
    assert all(h.last_success_at and h.failures == 0 for h in summary.health)


def test_continuous_mode_polls_until_stopped(settings, topics, seed_server):
    path = write_demo_feeds_config(settings.config_dir / "feeds.yaml", seed_server.base_url)
    stop = threading.Event()
    out = {}
    thread = threading.Thread(target=lambda: out.setdefault(
        "summary", service.run(settings, stop, feeds_path=path)))
    thread.start()
    try:
        total = seed_item_count()
        assert len(read_topic(settings, topics.articles, expect=total, timeout=30)) == total
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()
    assert out["summary"].produced == total


def test_broker_unreachable_fails_with_a_clear_error(settings, env_for, seed_server):
    write_demo_feeds_config(settings.config_dir / "feeds.yaml", seed_server.base_url)
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    result = collect_once(env_for(settings, KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{port}"))
    assert result.returncode == 1
    assert "cannot reach Kafka" in result.stderr and "newswatch kafka up" in result.stderr

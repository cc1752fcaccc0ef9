"""Tools for collector tests: a fake clock, feed documents, feeds.yaml, a poller harness."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import yaml

from collectors.config import FeedsConfig, load_feeds_config
from collectors.fetch import Fetcher, FetchPolicy
from collectors.poller import Poller
from collectors.publish import KafkaPublisher
from collectors.state import StateStore, default_path
from newswatch.broker.clients import make_producer
from newswatch.settings import Settings
from newswatch.topics import Topics

T0 = 1_770_000_000.0  # 2026-02-02T02:40:00Z


class FakeClock:
    """Epoch seconds that move only when a test says so."""

    def __init__(self, start: float = T0) -> None:
        self.t = start

    def now(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@dataclass
class Item:
    title: str
    link: str | None = None
    guid: str | None = None
    description: str = ""
    pub_date: str | None = "Mon, 02 Feb 2026 09:00:00 +0900"
    content: str | None = None
    raw_title: bool = False  # title is inserted as is (already escaped / CDATA)


def rss(items: list[Item], *, title: str = "Test feed", link: str = "https://news.example.org/",
        encoding: str | None = "utf-8", declare: str | None = None) -> bytes:
    """An RSS 2.0 document; `declare` overrides the encoding named in the XML declaration."""
    parts = []
    name = declare or encoding
    if name:
        parts.append(f'<?xml version="1.0" encoding="{name}"?>')
    parts.append('<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
                 f"<channel><title>{escape(title)}</title><link>{escape(link)}</link>"
                 "<description>test</description>")
    for it in items:
        parts.append("<item>")
        parts.append(f"<title>{it.title if it.raw_title else escape(it.title)}</title>")
        if it.link is not None:
            parts.append(f"<link>{escape(it.link)}</link>")
        if it.guid is not None:
            parts.append(f'<guid isPermaLink="false">{escape(it.guid)}</guid>')
        if it.pub_date is not None:
            parts.append(f"<pubDate>{escape(it.pub_date)}</pubDate>")
        parts.append(f"<description>{escape(it.description)}</description>")
        if it.content is not None:
            parts.append(f"<content:encoded><![CDATA[{it.content}]]></content:encoded>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "\n".join(parts).encode(encoding or "utf-8")


def feeds_yaml(feeds: list[dict], **top) -> str:
    doc = {"allow_private_networks": True, **top, "feeds": feeds}
    return yaml.safe_dump(doc, sort_keys=False)


def write_config(settings: Settings, feeds: list[dict], **top) -> Path:
    path = settings.config_dir / "feeds.yaml"
    path.write_text(feeds_yaml(feeds, **top), encoding="utf-8")
    return path


def fast_limits(**overrides) -> dict:
    """Limits that make hostile-server tests finish in about a second."""
    return {"connect_timeout": 1, "read_timeout": 1, "deadline": 2, "max_bytes": "1MB",
            **overrides}


def dead_producer(settings: Settings):
    """A real producer aimed at a closed port: every send fails the way an outage does."""
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    dead = Settings.load(kafka_bootstrap_servers=f"127.0.0.1:{port}")
    # api_version given: the constructor does not probe the (absent) broker.
    return make_producer(dead, api_version=(3, 9), max_block_ms=1000,
                         request_timeout_ms=1000, delivery_timeout_ms=2000)


class Harness:
    """A poller wired to the real broker, a local feed server and a fake clock."""

    def __init__(self, settings: Settings, config_path: Path, *, clock: FakeClock | None = None,
                 producer=None, resolver=None) -> None:
        self.settings = settings
        self.config: FeedsConfig = load_feeds_config(config_path)
        self.clock = clock or FakeClock()
        self.store = StateStore(default_path(settings))
        policy = FetchPolicy.from_config(self.config)
        self.fetcher = Fetcher(policy, resolver=resolver) if resolver else Fetcher(policy)
        self._own_producer = producer is None
        self.producer = producer or make_producer(settings)
        self.topic = Topics.from_settings(settings).articles
        self.poller = Poller(self.config, self.store, self.fetcher,
                             KafkaPublisher(self.producer, self.topic, timeout=10),
                             clock=self.clock, rng=random.Random(7))

    def state(self, feed_id: str):
        return self.store.get(feed_id)

    def poll(self, feed_id: str | None = None):
        """Poll every enabled feed (or one) now; the result(s)."""
        if feed_id is None:
            return self.poller.poll_all()
        return self.poller.poll_feed(self.config.feed(feed_id))

    def close(self) -> None:
        self.poller.close()
        self.fetcher.close()
        if self._own_producer:
            self.producer.close(timeout=5)
        self.store.close()

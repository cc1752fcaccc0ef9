"""The collector as a service: `newswatch collect`, `newswatch run` and `newswatch demo` call
`run(settings, stop, ...)`.

Everything with I/O can be handed in (producer, fetcher, clock), so tests run the real
service against a local feed server and the real broker, swapping only what they must:
a producer aimed at a closed port to show a broker outage, a clock to skip time.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from kafka import KafkaProducer

from collectors.config import FeedsConfig, feeds_path as default_feeds_path, load_feeds_config
from collectors.fetch import Fetcher, FetchPolicy
from collectors.health import FeedHealth, health_of
from collectors.poller import FetcherLike, Poller, PollResult
from collectors.publish import KafkaPublisher
from collectors.schedule import Clock, SystemClock
from collectors.state import StateStore
from collectors.observe import FeedObserver
from collectors.target import delivery_target, store_for
from newswatch.broker.clients import make_producer
from newswatch.metrics import Metrics
from newswatch.settings import Settings
from newswatch.topics import Topics

log = logging.getLogger(__name__)

HEALTH_LOG_EVERY = 600.0  # seconds between health lines in continuous mode


@dataclass
class CollectSummary:
    """What one `--once` cycle (or a continuous run, up to its stop) did, per feed."""

    results: list[PollResult]
    health: list[FeedHealth]
    seconds: float
    config: FeedsConfig | None = field(default=None, repr=False)

    @property
    def produced(self) -> int:
        return sum(r.new + r.updates for r in self.results)

    @property
    def updates(self) -> int:
        return sum(r.updates for r in self.results)

    @property
    def errors(self) -> int:
        return sum(1 for r in self.results if r.outcome in ("error", "broker-error"))

    def result(self, feed_id: str) -> PollResult | None:
        return next((r for r in self.results if r.feed_id == feed_id), None)


def run(settings: Settings, stop: threading.Event | None = None, *, once: bool = False,
        feeds_path: Path | None = None, producer: KafkaProducer | None = None,
        fetcher: FetcherLike | None = None, clock: Clock | None = None,
        rng: random.Random | None = None, shard: tuple[int, int] | None = None,
        metrics: Metrics | None = None) -> CollectSummary:
    """Poll the feeds in feeds.yaml into the articles topic; once, or until `stop` is set.
    `shard=(index, count)` polls only that instance's share of the feeds (scale-out)."""
    stop = stop or threading.Event()
    config = load_feeds_config(feeds_path or default_feeds_path(settings))
    if shard is not None:
        config = config.shard(*shard)
    clock = clock or SystemClock()
    started = time.monotonic()
    articles_topic = Topics.from_settings(settings).articles
    store = store_for(settings, delivery_target(settings, articles_topic))
    own_fetcher = fetcher is None
    own_producer = producer is None
    poller = None
    try:
        pruned = store.prune(clock.now() - config.seen_retention_days * 86400)
        if pruned:
            log.info("forgot %d article(s) not seen for %d days", pruned,
                     config.seen_retention_days)
        if fetcher is None:
            fetcher = Fetcher(FetchPolicy.from_config(config))
        if producer is None:
            producer = make_producer(settings, max_block_ms=10_000)
        publisher = KafkaPublisher(producer, articles_topic)
        poller = Poller(config, store, fetcher, publisher, clock=clock, rng=rng)
        observer = FeedObserver(metrics or Metrics(), store, config)
        if once:
            results = poller.poll_all()
            for result in results:
                observer.result(result)
        else:
            latest: dict[str, PollResult] = {}
            log_result = _continuous_logger(latest, store, clock)

            def on_result(result: PollResult) -> None:
                observer.result(result)
                log_result(result)
            poller.run(stop, on_result=on_result)
            results = list(latest.values())
        states = store.all()
        now = clock.now()
        health = [health_of(states[f.id], now) for f in config.feeds if f.id in states]
        return CollectSummary(results, health, time.monotonic() - started, config)
    finally:
        if poller is not None:
            poller.close()
        if own_fetcher and fetcher is not None:
            fetcher.close()  # type: ignore[union-attr]
        if own_producer and producer is not None:
            producer.close(timeout=10)
        store.close()


def _continuous_logger(latest: dict[str, PollResult], store: StateStore, clock: Clock):
    """Keep each feed's last result; log produced articles, and health every 10 minutes."""
    last_log = [time.monotonic()]

    def on_result(result: PollResult) -> None:
        latest[result.feed_id] = result
        if result.produced:
            log.info("%s: %d new, %d updated", result.feed_id, result.new, result.updates,
                     extra={"feed_id": result.feed_id})
        if time.monotonic() - last_log[0] >= HEALTH_LOG_EVERY:
            last_log[0] = time.monotonic()
            now = clock.now()
            flagged = [h for h in (health_of(s, now) for s in store.all().values()) if h.flags]
            for h in flagged:
                log.warning("feed %s: %s (last error: %s)", h.feed_id, ", ".join(h.flags),
                            h.last_error)

    return on_result

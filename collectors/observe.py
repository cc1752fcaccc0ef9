"""What the collector reports to Prometheus after each poll of a feed.

Labels are feed ids from feeds.yaml and the poll's outcome (a fixed set), so a hostile feed
cannot add series. Seconds since a feed's last success is left to Prometheus
(`time() - newswatch_collector_last_success_timestamp_seconds`), which keeps working when
the collector itself is stuck.
"""

from __future__ import annotations

from collectors.config import FeedsConfig
from collectors.poller import PollResult
from collectors.state import StateStore
from newswatch.metrics import Metrics


class FeedObserver:
    def __init__(self, metrics: Metrics, store: StateStore, config: FeedsConfig) -> None:
        self.metrics = metrics
        self._store = store
        for feed in config.feeds:
            metrics.expected_interval.labels(feed.id).set(config.interval(feed))
            state = store.get(feed.id)
            if state is not None:
                self._gauges(feed.id, state)
        metrics.readiness.set("collector feeds loaded")

    def result(self, result: PollResult) -> None:
        m, feed = self.metrics, result.feed_id
        m.fetches.labels(feed, result.outcome.replace("-", "_")).inc()
        if result.new:
            m.items.labels(feed, "new").inc(result.new)
        if result.updates:
            m.items.labels(feed, "updated").inc(result.updates)
        if result.fetch_started is not None and result.body_received is not None:
            m.fetch_seconds.labels(feed).observe(result.body_received - result.fetch_started)
        state = self._store.get(feed)
        if state is not None:
            self._gauges(feed, state)

    def _gauges(self, feed: str, state) -> None:
        if state.last_success_at is not None:
            self.metrics.last_success.labels(feed).set(state.last_success_at)
        self.metrics.backoff.labels(feed).set(state.failures)

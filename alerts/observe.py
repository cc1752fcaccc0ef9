"""What the alerter reports to Prometheus, from the ledger records it writes.

Every status goes through `KafkaRecorder.record` (alerts/service.py), so counting there
sees every post, failure, duplicate, throttle and dead letter exactly as the ledger does. Labels are the channel and
the outcome: both come from alerts.yaml or a fixed set, never from feed text.
"""

from __future__ import annotations

import time
from datetime import datetime

from kafka import KafkaConsumer

from alerts.ledger import Ledger
from newswatch.broker.lag import LagProbe
from newswatch.messages import Alert
from newswatch.metrics import Metrics

STAGE = "alerter"
COUNTED = ("posted", "failed", "dead-lettered", "duplicate")


class AlertObserver:
    def __init__(self, metrics: Metrics, consumer: KafkaConsumer, ledger: Ledger,
                 digest_route: str, every: float = 5.0) -> None:
        self.metrics = metrics
        self._ledger = ledger
        self._consumer = consumer
        self._digest_route = digest_route
        self._lag = LagProbe(consumer, metrics, STAGE, every)
        self._every = every
        self._next = 0.0
        metrics.readiness.set("alerter kafka")  # built once its consumer is connected
        metrics.readiness.set("alerter partitions", False)

    def record(self, alert: Alert, decided_at: datetime | None) -> None:
        m = self.metrics
        if alert.status in COUNTED:
            m.posts.labels(alert.channel, alert.status).inc()
        if alert.status == "throttled":
            m.throttle_waits.labels(alert.channel).inc()
        if alert.status == "dead-lettered":
            m.dead_letters.labels(STAGE).inc()
        if alert.status == "posted":
            if alert.route == self._digest_route:
                m.digests.labels(alert.channel).inc()
            elif decided_at is not None:
                seconds = (alert.at - decided_at).total_seconds()
                m.post_latency.labels(alert.channel).observe(max(0.0, seconds))

    def dead_letter(self) -> None:
        self.metrics.dead_letters.labels(STAGE).inc()

    def sample(self, now: float | None = None) -> None:
        """Between polls: readiness, lag and unsettled intents (at most every few seconds)."""
        now = time.monotonic() if now is None else now
        self.metrics.readiness.set("alerter partitions", bool(self._consumer.assignment()))
        self._lag.sample(now)
        if now >= self._next:
            self._next = now + self._every
            self.metrics.unsettled.set(len(self._ledger.unsettled()))

"""Consumer lag per partition, sampled between batches for the metrics (at most every few
seconds: asking the broker for end offsets is a round trip)."""

from __future__ import annotations

import time

from kafka import KafkaConsumer
from kafka.errors import KafkaError

from newswatch.metrics import Metrics


class LagProbe:
    def __init__(self, consumer: KafkaConsumer, metrics: Metrics, stage: str,
                 every: float = 5.0) -> None:
        self._consumer = consumer
        self._gauge = metrics.lag
        self._stage = stage
        self._every = every
        self._next = 0.0

    def sample(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        if now < self._next:
            return
        self._next = now + self._every
        parts = list(self._consumer.assignment())
        if not parts:
            return
        try:
            ends = self._consumer.end_offsets(parts)
            for tp in parts:
                behind = max(0, ends.get(tp, 0) - self._consumer.position(tp))
                self._gauge.labels(self._stage, str(tp.partition)).set(behind)
        except KafkaError:
            pass  # the next sample will do; lag is a gauge, not a ledger

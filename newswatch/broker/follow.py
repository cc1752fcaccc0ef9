"""Following a topic outside any consumer group: all of it at start, then what is new.

The alerter's ledger and the officers' marks are both rebuilt this way: every instance
reads the whole topic (keyed records, in partition order) into memory, then keeps polling,
so several instances see each other's writes without sharing a group.
"""

from __future__ import annotations

import logging
import time
from typing import Callable

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from newswatch.errors import BrokerError, DecodeError
from newswatch.messages import Record, decode
from newswatch.settings import Settings

log = logging.getLogger(__name__)


class TopicFollower:
    """Applies every record of type `record` in `topic`, from the beginning, to `apply`."""

    what = "topic"
    """what the topic holds, for messages ("the alert ledger")"""

    def __init__(self, settings: Settings, topic: str, record: type[Record],
                 apply: Callable[[Record], object], *, client_id: str) -> None:
        self.topic = topic
        self.record = record
        self.apply = apply
        try:
            self._consumer = KafkaConsumer(
                bootstrap_servers=settings.bootstrap_servers, group_id=None,
                enable_auto_commit=False, auto_offset_reset="earliest",
                max_poll_records=5000, client_id=client_id)
        except KafkaError as exc:
            raise BrokerError(f"cannot reach Kafka to read {self.what}: {exc}",
                              fix="start the broker (`newswatch kafka up`) or set "
                                  "KAFKA_BOOTSTRAP_SERVERS") from None
        self._partitions: list[TopicPartition] = []
        self.undecodable = 0

    def catch_up(self, timeout: float = 60.0) -> int:
        """Read from the beginning to the end offsets as of now; returns records applied."""
        deadline = time.monotonic() + timeout
        parts = None
        while parts is None and time.monotonic() < deadline:
            parts = self._consumer.partitions_for_topic(self.topic)
            if parts is None:
                time.sleep(0.2)
        if not parts:
            raise BrokerError(f"{self.what} topic {self.topic} does not exist",
                              fix="run `newswatch topics create` (check NEWSWATCH_TOPIC_PREFIX)")
        self._partitions = [TopicPartition(self.topic, p) for p in sorted(parts)]
        self._consumer.assign(self._partitions)
        self._consumer.seek_to_beginning(*self._partitions)
        end = self._consumer.end_offsets(self._partitions)
        applied = 0
        while any(self._consumer.position(tp) < end[tp] for tp in self._partitions):
            if time.monotonic() > deadline:
                raise BrokerError(f"reading {self.what} ({self.topic}) took more than "
                                  f"{timeout:.0f}s", fix="check the broker")
            applied += self._apply(self._consumer.poll(timeout_ms=500))
        return applied

    def poll(self, timeout_ms: int = 0) -> int:
        """Apply what was written since (by this or another instance)."""
        try:
            return self._apply(self._consumer.poll(timeout_ms=timeout_ms))
        except KafkaError as exc:
            log.warning("reading %s failed (%s); will retry", self.what, exc)
            return 0

    def _apply(self, batches: dict) -> int:
        applied = 0
        for records in batches.values():
            for rec in records:
                if rec.value is None:
                    continue  # a tombstone in a compacted topic
                try:
                    record = decode(rec.value)
                except DecodeError as exc:
                    self.undecodable += 1
                    log.warning("%s %s:%s@%s is not readable: %s", self.what, rec.topic,
                                rec.partition, rec.offset, exc)
                    continue
                if isinstance(record, self.record):
                    self.apply(record)
                    applied += 1
        return applied

    def close(self) -> None:
        self._consumer.close()

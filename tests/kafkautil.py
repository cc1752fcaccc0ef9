"""Helpers for tests that read what a stage wrote: poll with a deadline, never sleep."""

from __future__ import annotations

import time
import uuid
from typing import Callable

from kafka import KafkaConsumer

from newswatch.messages import Record, decode
from newswatch.settings import Settings


def read_topic(settings: Settings, topic: str, *, expect: int | None = None,
               until: Callable[[list], bool] | None = None, timeout: float = 30.0,
               raw: bool = False) -> list:
    """Read a topic from the beginning until `expect` records (or `until(records)`) or timeout.

    Without `expect`/`until` it reads until the end offsets seen at start. Returns decoded
    records (or the raw ConsumerRecords with raw=True), in partition-then-offset order per
    partition as fetched.
    """
    consumer = KafkaConsumer(bootstrap_servers=settings.bootstrap_servers,
                             group_id=None, enable_auto_commit=False,
                             auto_offset_reset="earliest", consumer_timeout_ms=500)
    try:
        partitions = None
        deadline = time.monotonic() + timeout
        while partitions is None and time.monotonic() < deadline:
            partitions = consumer.partitions_for_topic(topic)
            if partitions is None:
                time.sleep(0.1)
        from kafka import TopicPartition
        tps = [TopicPartition(topic, p) for p in sorted(partitions or ())]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        end = consumer.end_offsets(tps) if expect is None and until is None else None
        out: list = []
        while time.monotonic() < deadline:
            for _tp, recs in consumer.poll(timeout_ms=200).items():
                for rec in recs:
                    out.append(rec if raw else decode(rec.value))
            if expect is not None and len(out) >= expect:
                break
            if until is not None and until(out):
                break
            if end is not None and all(consumer.position(tp) >= end[tp] for tp in tps):
                break
        return out
    finally:
        consumer.close()


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


def of_type(records: list, cls: type[Record]) -> list:
    return [r for r in records if isinstance(r, cls)]

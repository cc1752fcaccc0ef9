"""Reading retained history: a time window of a topic, or every record of one key.

Audits and replays read with their own consumer outside any consumer group (group_id=None,
nothing committed), so they never move a live stage's offsets. Windows are planned with
`offsets_for_times` on every partition; a window that starts before what retention kept is
reported, not silently shortened.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Iterator

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError
from kafka.partitioner.default import murmur2

from newswatch.broker.clients import bootstrap_timeout, unreachable
from newswatch.errors import BrokerError, InputError
from newswatch.settings import Settings


def to_ms(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


def from_ms(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, tz=timezone.utc)


def partition_for_key(key: str, partitions: int) -> int:
    """The partition Kafka's default partitioner gives a key (murmur2, as the Java client)."""
    return (murmur2(key.encode("utf-8")) & 0x7FFFFFFF) % partitions


def history_consumer(settings: Settings) -> KafkaConsumer:
    """A consumer in no group that never commits: reading history moves no live offsets."""
    try:
        return KafkaConsumer(bootstrap_servers=settings.bootstrap_servers, group_id=None,
                             enable_auto_commit=False, auto_offset_reset="earliest",
                             max_poll_records=2000, fetch_max_bytes=64 * 1024 * 1024,
                             client_id="newswatch-history", **bootstrap_timeout(settings))
    except KafkaError as exc:
        raise unreachable(settings, exc) from None


def topic_partitions(consumer: KafkaConsumer, topic: str) -> list[TopicPartition]:
    parts = consumer.partitions_for_topic(topic)
    if not parts:
        raise BrokerError(f"topic {topic} does not exist",
                          fix="check NEWSWATCH_TOPIC_PREFIX, or run `newswatch topics create`")
    return [TopicPartition(topic, p) for p in sorted(parts)]


@dataclass(frozen=True)
class Span:
    """Offsets [start, stop) of one partition that fall in the window."""

    tp: TopicPartition
    start: int
    stop: int
    log_start: int
    first_ms: int | None  # timestamp of the oldest record still retained


@dataclass
class WindowPlan:
    topic: str
    since_ms: int | None
    until_ms: int | None
    spans: list[Span] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(max(0, s.stop - s.start) for s in self.spans)

    @property
    def retained_from(self) -> datetime | None:
        firsts = [s.first_ms for s in self.spans if s.first_ms is not None]
        return from_ms(min(firsts)) if firsts else None

    @property
    def lost_to_retention(self) -> "RetentionLoss | None":
        """Records that the window asked for but retention already deleted, if any.

        A partition whose log no longer starts at offset 0, and whose oldest kept record is
        newer than the window's start (or which has none left), lost records the window
        would have covered.
        """
        if self.since_ms is None:
            return None
        trimmed = [s for s in self.spans if s.log_start > 0 and
                   (s.first_ms is None or s.first_ms > self.since_ms)]
        if not trimmed:
            return None
        kept = [s.first_ms for s in trimmed if s.first_ms is not None]
        return RetentionLoss(sum(s.log_start for s in trimmed),
                             from_ms(min(kept)) if kept else None)


@dataclass(frozen=True)
class RetentionLoss:
    deleted: int  # offsets deleted from the start of the affected partitions
    oldest_kept: datetime | None

    def describe(self) -> str:
        kept = (f"the oldest record kept there is from {self.oldest_kept.isoformat()}"
                if self.oldest_kept else "nothing is left there")
        return f"{self.deleted} record(s) were already deleted by retention; {kept}"


def plan_window(consumer: KafkaConsumer, topic: str, since: datetime | None,
                until: datetime | None) -> WindowPlan:
    if since and until and until <= since:
        raise InputError(f"--until {until.isoformat()} is not after --since {since.isoformat()}",
                         fix="give an --until later than --since")
    tps = topic_partitions(consumer, topic)
    plan = WindowPlan(topic, to_ms(since), to_ms(until))
    begin = consumer.beginning_offsets(tps)
    end = consumer.end_offsets(tps)
    first = consumer.offsets_for_times({tp: 0 for tp in tps})
    starts = consumer.offsets_for_times({tp: plan.since_ms for tp in tps}) \
        if plan.since_ms is not None else {}
    stops = consumer.offsets_for_times({tp: plan.until_ms for tp in tps}) \
        if plan.until_ms is not None else {}
    for tp in tps:
        start = begin[tp]
        if plan.since_ms is not None:
            found = starts.get(tp)
            start = found.offset if found is not None else end[tp]
        stop = end[tp]
        if plan.until_ms is not None and stops.get(tp) is not None:
            stop = stops[tp].offset
        earliest = first.get(tp)
        plan.spans.append(Span(tp, start, max(start, stop), begin[tp],
                               earliest.timestamp if earliest is not None else None))
    return plan


IDLE_LIMIT_S = 60.0


class _Watchdog:
    """Fails a history read that gets no records for IDLE_LIMIT_S while records are due."""

    def __init__(self, what: str) -> None:
        self._clock = time.monotonic
        self._what = what
        self._last = self._clock()

    def progress(self) -> None:
        self._last = self._clock()

    def check(self) -> None:
        if self._clock() - self._last > IDLE_LIMIT_S:
            raise BrokerError(f"no records from {self._what} for {IDLE_LIMIT_S:.0f}s",
                              fix="check the broker (`newswatch kafka status`)")


def read_window(consumer: KafkaConsumer, plan: WindowPlan,
                on_record: Callable[[], None] | None = None) -> Iterator:
    """Yield the window's records (ConsumerRecord), partition by partition interleaved."""
    todo = {s.tp: s for s in plan.spans if s.stop > s.start}
    if not todo:
        return
    consumer.assign(list(todo))
    for tp, span in todo.items():
        consumer.seek(tp, span.start)
    watchdog = _Watchdog(plan.topic)
    while todo:
        batch = consumer.poll(timeout_ms=1000)
        if batch:
            watchdog.progress()
        else:
            watchdog.check()
        for tp, records in batch.items():
            span = todo.get(tp)
            if span is None:
                continue
            for rec in records:
                if rec.offset >= span.stop:
                    break
                if on_record:
                    on_record()
                in_window = ((plan.since_ms is None or rec.timestamp >= plan.since_ms) and
                             (plan.until_ms is None or rec.timestamp < plan.until_ms))
                if in_window:
                    yield rec
        for tp in list(todo):
            if consumer.position(tp) >= todo[tp].stop:
                del todo[tp]
        consumer.pause(*[tp for tp in consumer.assignment() if tp not in todo])


def read_key(consumer: KafkaConsumer, topic: str, key: str) -> list:
    """Every retained record with this key: only its partition is scanned."""
    tps = topic_partitions(consumer, topic)
    tp = tps[partition_for_key(key, len(tps))]
    return [rec for rec in read_partition(consumer, tp) if rec.key == key.encode("utf-8")]


def read_all(consumer: KafkaConsumer, topic: str) -> list:
    out = []
    for tp in topic_partitions(consumer, topic):
        out.extend(read_partition(consumer, tp))
    return out


def read_partition(consumer: KafkaConsumer, tp: TopicPartition) -> list:
    end = consumer.end_offsets([tp])[tp]
    begin = consumer.beginning_offsets([tp])[tp]
    if end <= begin:
        return []
    consumer.assign([tp])
    consumer.seek(tp, begin)
    out = []
    watchdog = _Watchdog(tp.topic)
    while consumer.position(tp) < end:
        batch = consumer.poll(timeout_ms=1000)
        if batch:
            watchdog.progress()
        else:
            watchdog.check()
        for records in batch.values():
            out.extend(r for r in records if r.offset < end)
    return out

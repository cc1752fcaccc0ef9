"""In-memory stand-ins for the alerter's I/O: a recorder that writes only the ledger and a
sink that keeps its messages, so planning and delivery are tested without Kafka or Slack."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from alerts.jobs import Job, Source
from alerts.ledger import Ledger
from alerts.render import Message
from alerts.sinks import DeliveryError, PostResult, Sink
from kafka import TopicPartition
from newswatch.messages import Alert
from alerts.clock import Clock


class MemoryRecorder:
    def __init__(self, ledger: Ledger, clock: Clock) -> None:
        self.ledger = ledger
        self.clock = clock
        self.records: list[Alert] = []
        self.dead: list[str] = []
        self.flushes = 0

    def record(self, base: dict[str, Any], status: str, **fields: Any) -> Alert:
        alert = Alert(**{**base, **fields}, status=status, at=self.clock.now())
        self.records.append(alert)
        self.ledger.apply(alert)
        return alert

    def dead_letter(self, src: Source, reason: str) -> None:
        self.dead.append(reason)

    def dead_letter_digest(self, job: Job, reason: str) -> None:
        self.dead.append(reason)

    def flush(self) -> None:
        self.flushes += 1

    def statuses(self, alert_id: str) -> list[str]:
        return [r.status for r in self.records if r.alert_id == alert_id]


class MemorySink(Sink):
    """Keeps posts; `fail_with` makes the next posts raise, `already` pretends a post is
    already in the channel (what a restart after a post finds)."""

    name: ClassVar[str] = "memory"
    supports_threads: ClassVar[bool] = True
    can_reconcile: ClassVar[bool] = True
    supports_updates: ClassVar[bool] = True

    def update_reports(self, channel: str, ts: str, line: str) -> None:
        if self.fail_with:
            raise self.fail_with.pop(0)
        self.updates.append((channel, ts, line))

    def __init__(self) -> None:
        self.posts: list[tuple[str, Message, str | None]] = []
        self.fail_with: list[DeliveryError] = []
        self.already: dict[str, str] = {}
        self.broadcasts: list[bool] = []
        self.updates: list[tuple[str, str, str]] = []

    @classmethod
    def from_settings(cls, settings, delivery, console=None) -> "MemorySink":  # type: ignore[override]
        return cls()

    def post(self, channel: str, message: Message, *, thread_ts: str | None = None,
             broadcast: bool = False) -> PostResult:
        if self.fail_with:
            raise self.fail_with.pop(0)
        self.posts.append((channel, message, thread_ts))
        self.broadcasts.append(broadcast)
        return PostResult(ts=f"{len(self.posts)}.000", channel_id=channel)

    def find_posted(self, channel: str, alert_id: str, *, since: datetime,
                    thread_ts: str | None = None) -> str | None:
        return self.already.get(alert_id)


def source(offset: int = 0, topic: str = "decisions") -> Source:
    return Source(TopicPartition(topic, 0), offset, b"k", b"v")

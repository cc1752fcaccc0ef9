"""What planning hands to delivery: consumed decisions, planned posts and their schedule.

Planning (alerts/planner.py) turns a decision into ledger records and `Job`s; delivery
(alerts/delivery.py) carries the due jobs out. Both write through a `Recorder`, which the
alerter implements on Kafka and tests implement in memory, so either side runs without a
broker or Slack.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterator, Literal, Protocol

from kafka import TopicPartition

from alerts.render import AlertView
from newswatch.messages import Alert, Provenance

DIGEST_ROUTE = "digest"
# Reconciling looks in channel history from a little before the intent was written.
HISTORY_MARGIN = timedelta(minutes=2)


@dataclass
class AlertStats:
    consumed: int = 0
    decisions: int = 0
    matched: int = 0
    unrouted: int = 0
    stale: int = 0
    posted: int = 0
    follow_ups: int = 0
    reconciled: int = 0
    """unsettled alerts found already in the channel: recorded, not posted again"""
    already_settled: int = 0
    duplicates: int = 0
    throttled: int = 0
    digests: int = 0
    dead_lettered: int = 0
    failures: int = 0
    updates: int = 0
    """edits of a posted alert listing its event's reports"""
    corrections: int = 0
    """edited articles told in the thread of their alert"""
    muted: int = 0
    """reports of stories an officer muted (recorded, not posted)"""
    throttle_wait_s: float = 0.0

    def summary(self) -> str:
        return (f"{self.decisions} decisions ({self.matched} matched), {self.posted} posted, "
                f"{self.follow_ups} follow-ups ({self.updates} first alerts updated, "
                f"{self.corrections} corrections), "
                f"{self.duplicates} duplicates, {self.muted} muted, "
                f"{self.throttled} held for {self.digests} digest(s), {self.reconciled} "
                f"found already posted, {self.already_settled} already settled, "
                f"{self.dead_lettered} dead-lettered, {self.stale} too old, "
                f"{self.unrouted} unrouted")


@dataclass(eq=False)
class Source:
    """One consumed decision record; its offset is committable once `outstanding` is 0."""

    tp: TopicPartition
    offset: int
    key: bytes | None
    value: bytes | None
    outstanding: int = 0
    planned: bool = False

    @property
    def provenance(self) -> Provenance:
        return Provenance(topic=self.tp.topic, partition=self.tp.partition, offset=self.offset)

    @property
    def done(self) -> bool:
        return self.planned and self.outstanding == 0


@dataclass(eq=False)
class Job:
    """One post to make (an alert, a follow-up in a thread, or a digest), or the edit of a
    posted alert that lists its event's reports (`update`)."""

    at: float
    kind: Literal["alert", "follow-up", "digest", "update"]
    view: AlertView
    base: dict[str, Any]
    since: datetime
    planned_at: float
    sources: list[Source] = field(default_factory=list)
    reconcile: bool = False
    original: str | None = None
    attempts: int = 0
    failures: int = 0
    slot: str = ""
    """the schedule's key when it is not the alert id (an alert's reports edit)"""

    @property
    def broadcast(self) -> bool:
        """A follow-up shown in the channel too: it raises a category or the severity."""
        return bool(self.view.escalation)

    @property
    def key(self) -> str:
        return self.slot or self.alert_id

    @property
    def alert_id(self) -> str:
        return self.base["alert_id"]

    @property
    def channel(self) -> str:
        return self.base["channel"]


class Recorder(Protocol):
    """Where planning and delivery write: the alerts topic (the ledger) and dead letters."""

    def record(self, base: dict[str, Any], status: str, **fields: Any) -> Alert:
        """Write one ledger record for `base` with this status; return it."""

    def dead_letter(self, src: Source, reason: str) -> None:
        """Send a consumed decision to the dead-letter topic."""

    def dead_letter_digest(self, job: Job, reason: str) -> None:
        """Send a digest that Slack refused (it has no decision of its own) there too."""

    def flush(self) -> None:
        """Make every record written so far durable."""


class Schedule:
    """Planned posts by due time, one live job per alert id.

    A job moved to a later time is pushed again; the earlier heap entry goes stale and is
    skipped, so moving is cheap and the heap never needs a search.
    """

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Job]] = []
        self._seq = itertools.count()
        self._jobs: dict[str, Job] = {}

    def add(self, job: Job, src: Source | None = None) -> None:
        if src is not None:
            attach(job, src)
        self._jobs[job.key] = job
        heapq.heappush(self._heap, (job.at, next(self._seq), job))

    def move(self, job: Job, at: float) -> None:
        job.at = at
        heapq.heappush(self._heap, (at, next(self._seq), job))

    def get(self, key: str) -> Job | None:
        return self._jobs.get(key)

    def __contains__(self, key: str) -> bool:
        return key in self._jobs

    def finished(self, job: Job) -> None:
        """The job's alert is settled: it no longer holds its decisions' offsets."""
        self._jobs.pop(job.key, None)
        for src in job.sources:
            src.outstanding -= 1

    def next_at(self) -> float | None:
        return self._heap[0][0] if self._heap else None

    def __len__(self) -> int:
        return len(self._heap)

    def due(self, now: float) -> Iterator[Job]:
        """Pop the jobs due by `now`, skipping stale entries of moved or finished jobs."""
        while self._heap and self._heap[0][0] <= now:
            _, _, job = heapq.heappop(self._heap)
            if self._jobs.get(job.key) is job:
                yield job


def reports_slot(alert_id: str) -> str:
    """The schedule key of the edit that lists an alert's reports (not the alert's own)."""
    return f"{alert_id}#reports"


def attach(job: Job, src: Source) -> None:
    """The job now also settles `src` (the same decision consumed again while planned)."""
    if src not in job.sources:
        job.sources.append(src)
        src.outstanding += 1

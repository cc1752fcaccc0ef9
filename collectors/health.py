"""Per-feed health as watch officers need it: is each feed alive, and is it quiet?

A feed is "silent" when no new article arrived for far longer than usual: more than
SILENT_FACTOR times its typical gap between new articles (and at least SILENT_MIN), once
MIN_GAPS gaps have been observed. A feed that always answers 304 is healthy on the wire but
may still be dead upstream (a frozen CMS, a moved feed); this is what catches it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from collectors.state import FeedState

SILENT_FACTOR = 5.0
SILENT_MIN = 24 * 3600.0
MIN_GAPS = 3


def is_silent(state: FeedState, now: float) -> bool:
    if state.gap_count < MIN_GAPS or state.last_new_at is None or state.gap_avg is None:
        return False
    return now - state.last_new_at > max(SILENT_FACTOR * state.gap_avg, SILENT_MIN)


def flags(state: FeedState, now: float) -> tuple[str, ...]:
    out = []
    if state.status == "gone":
        out.append("gone")
    if is_silent(state, now):
        out.append("silent")
    if state.failures >= 3:
        out.append("failing")
    if state.moved_to:
        out.append("moved")
    return tuple(out)


@dataclass(frozen=True)
class FeedHealth:
    feed_id: str
    status: str
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    failures: int
    items_produced: int
    updates_produced: int
    malformed_polls: int
    next_due_at: datetime | None
    flags: tuple[str, ...]


def _dt(ts: float | None) -> datetime | None:
    return datetime.fromtimestamp(ts, timezone.utc) if ts else None


def health_of(state: FeedState, now: float) -> FeedHealth:
    return FeedHealth(
        feed_id=state.feed_id, status=state.status,
        last_success_at=_dt(state.last_success_at), last_error=state.last_error,
        last_error_at=_dt(state.last_error_at), failures=state.failures,
        items_produced=state.items_produced, updates_produced=state.updates_produced,
        malformed_polls=state.malformed_polls, next_due_at=_dt(state.due_at()),
        flags=flags(state, now))

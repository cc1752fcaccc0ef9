"""Time, injected: the throttle and the digest timers run on a clock tests can move."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone


class Clock:
    """Real time. `monotonic()` for waits and rates, `now()` for what goes in the ledger."""

    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class ManualClock(Clock):
    """A clock that moves only when told to (unit tests of throttle and dedupe)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._mono = 1000.0
        self._start = start or datetime(2026, 1, 30, 9, 0, tzinfo=timezone.utc)

    def monotonic(self) -> float:
        return self._mono

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self._mono - 1000.0)

    def advance(self, seconds: float) -> None:
        self._mono += seconds

"""Per-channel pacing and burst digests.

Slack accepts about one message per second per channel. Each channel gets a token bucket
(GCRA: `per_second`, `burst`); an alert is posted individually when its turn comes within
`max_wait_seconds` and the channel has had fewer than `max_per_window` posts in the window.
Otherwise it is held back for a digest: one message listing the held-back alerts, posted
`digest_after_seconds` after the first one. Once a channel has an open digest, later alerts
join it, so the channel reads in order.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from alerts.clock import Clock
from alerts.config import Throttle


@dataclass(frozen=True)
class Admission:
    post: bool
    at: float = 0.0
    """monotonic time at which the post may go out"""
    wait: float = 0.0
    reason: str = ""


class _Bucket:
    def __init__(self, cfg: Throttle) -> None:
        self.interval = 1.0 / cfg.per_second
        self.tolerance = (cfg.burst - 1) * self.interval
        self.window = cfg.window_seconds
        self.tat: float | None = None  # theoretical arrival time of the next message
        self.sent: deque[float] = deque()

    def earliest(self, now: float) -> float:
        if self.tat is None:
            return now
        return max(now, self.tat - self.tolerance)

    def reserve(self, now: float) -> float:
        at = self.earliest(now)
        self.tat = max(self.tat if self.tat is not None else at, at) + self.interval
        self.sent.append(at)
        return at

    def in_window(self, now: float) -> int:
        while self.sent and self.sent[0] <= now - self.window:
            self.sent.popleft()
        return len(self.sent)


class Throttler:
    """Decides, per channel, whether an alert goes out now, a little later, or in a digest."""

    def __init__(self, cfg: Throttle, clock: Clock) -> None:
        self.cfg = cfg
        self.clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def _bucket(self, channel: str) -> _Bucket:
        bucket = self._buckets.get(channel)
        if bucket is None:
            bucket = self._buckets[channel] = _Bucket(self.cfg)
        return bucket

    def admit(self, channel: str, *, digest_open: bool = False) -> Admission:
        now = self.clock.monotonic()
        if digest_open:
            return Admission(False, reason="a digest is collecting this channel's alerts")
        bucket = self._bucket(channel)
        if bucket.in_window(now) >= self.cfg.max_per_window:
            return Admission(False, reason=f"{self.cfg.max_per_window} posts in "
                                           f"{self.cfg.window_seconds:g}s already")
        at = bucket.earliest(now)
        if at - now > self.cfg.max_wait_seconds:
            return Admission(False, reason=f"would wait {at - now:.1f}s for the channel")
        at = bucket.reserve(now)
        return Admission(True, at=at, wait=max(0.0, at - now))

    def reserve(self, channel: str) -> float:
        """A slot regardless of limits (digests, and retries of already admitted posts)."""
        return self._bucket(channel).reserve(self.clock.monotonic())


@dataclass
class OpenDigest:
    digest_id: str
    channel: str
    opened_at: float
    members: list[str] = field(default_factory=list)


class DigestBook:
    """Open digests per channel; `due()` lists those whose time has come."""

    def __init__(self, cfg: Throttle, clock: Clock) -> None:
        self.cfg = cfg
        self.clock = clock
        self._open: dict[str, OpenDigest] = {}

    def is_open(self, channel: str) -> bool:
        return channel in self._open

    def get(self, channel: str) -> OpenDigest | None:
        return self._open.get(channel)

    def open(self, channel: str, digest_id: str, *, opened_at: float | None = None) -> OpenDigest:
        digest = OpenDigest(digest_id, channel,
                            self.clock.monotonic() if opened_at is None else opened_at)
        self._open[channel] = digest
        return digest

    def due(self, *, all_: bool = False) -> list[OpenDigest]:
        now = self.clock.monotonic()
        return [d for d in self._open.values()
                if all_ or now - d.opened_at >= self.cfg.digest_after_seconds]

    def next_due_at(self) -> float | None:
        if not self._open:
            return None
        return min(d.opened_at for d in self._open.values()) + self.cfg.digest_after_seconds

    def close(self, channel: str) -> OpenDigest | None:
        return self._open.pop(channel, None)

    def __len__(self) -> int:
        return len(self._open)

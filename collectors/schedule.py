"""When each feed is polled next, as pure functions of its state, the outcome and a clock.

Everything takes `now` (epoch seconds) and a `random.Random`, so backoff, jitter and
Retry-After are tested by advancing a fake clock, never by sleeping.

- success: the feed's interval, +-10% jitter so feeds added together drift apart;
- error (network, HTTP 4xx/5xx, unparseable): exponential backoff from the interval, with
  "equal jitter" (half fixed, half random), capped at `backoff_cap`. Never abandoned: at
  the cap the feed is still tried, forever;
- 429 / 503 with Retry-After (seconds or an HTTP date): wait that long (capped), else back off;
- 410 Gone: status "gone", checked again only every `gone_recheck`;
- Kafka failure: not the feed's fault, so no backoff: try again within a minute.
"""

from __future__ import annotations

import email.utils
import random
import time
from datetime import timezone
from typing import Protocol

from collectors.state import FeedState

JITTER = 0.1
BROKER_RETRY = 60.0
GAP_WEIGHT = 0.3  # weight of the newest gap in the typical gap between new items


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch."""


class SystemClock:
    def now(self) -> float:
        return time.time()


def jittered(seconds: float, rng: random.Random) -> float:
    return seconds * rng.uniform(1 - JITTER, 1 + JITTER)


def backoff_delay(failures: int, interval: float, cap: float, rng: random.Random) -> float:
    """Delay after the `failures`-th consecutive failure (1, 2, ...)."""
    full = min(cap, interval * 2 ** min(max(failures, 1) - 1, 32))
    return full / 2 + rng.uniform(0, full / 2)


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP date; None if unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(int(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, when.timestamp() - now)


def _attempted(state: FeedState, now: float, http_status: int | None) -> dict:
    return {"last_attempt_at": now, "polls": state.polls + 1, "last_http_status": http_status}


def after_success(state: FeedState, now: float, *, interval: float, rng: random.Random,
                  http_status: int, etag: str | None, last_modified: str | None,
                  new: int = 0, updates: int = 0, problem: str | None = None,
                  moved_to: str | None = None) -> FeedState:
    """A 200 whose articles Kafka acknowledged, or a 304. Validators advance only here."""
    update = {
        **_attempted(state, now, http_status),
        "status": "ok", "failures": 0, "last_success_at": now,
        "next_due": now + jittered(interval, rng), "not_before": 0.0,
        "items_produced": state.items_produced + new + updates,
        "updates_produced": state.updates_produced + updates,
        "moved_to": moved_to,
    }
    if http_status == 200 or etag or last_modified:
        # A 304 may refresh validators; absent ones on a 304 keep the old ones.
        update["etag"] = etag if http_status == 200 else (etag or state.etag)
        update["last_modified"] = (last_modified if http_status == 200
                                   else (last_modified or state.last_modified))
    if problem:
        update["malformed_polls"] = state.malformed_polls + 1
        update["last_problem"] = problem
    if new:
        if state.last_new_at is not None:
            gap = max(0.0, now - state.last_new_at)
            avg = gap if state.gap_avg is None else (
                GAP_WEIGHT * gap + (1 - GAP_WEIGHT) * state.gap_avg)
            update["gap_avg"] = avg
            update["gap_count"] = state.gap_count + 1
        update["last_new_at"] = now
    return state.model_copy(update=update)


def after_failure(state: FeedState, now: float, *, interval: float, cap: float,
                  rng: random.Random, error: str, http_status: int | None = None) -> FeedState:
    failures = state.failures + 1
    return state.model_copy(update={
        **_attempted(state, now, http_status),
        "status": "error", "failures": failures, "last_error": error, "last_error_at": now,
        "next_due": now + backoff_delay(failures, interval, cap, rng), "not_before": 0.0,
    })


def after_throttle(state: FeedState, now: float, *, interval: float, cap: float,
                   max_retry_after: float, rng: random.Random, http_status: int,
                   retry_after: float | None) -> FeedState:
    """429 (or 503 with Retry-After): the server said when; otherwise back off."""
    failures = state.failures + 1
    if retry_after is not None:
        wait = min(max(retry_after, 1.0), max_retry_after)
        not_before = now + wait
        error = f"HTTP {http_status}: asked to wait {wait:.0f}s (Retry-After)"
    else:
        not_before = now + backoff_delay(failures, interval, cap, rng)
        error = f"HTTP {http_status} without a usable Retry-After: backing off"
    return state.model_copy(update={
        **_attempted(state, now, http_status),
        "status": "throttled", "failures": failures, "last_error": error,
        "last_error_at": now, "next_due": not_before, "not_before": not_before,
    })


def after_gone(state: FeedState, now: float, *, recheck: float) -> FeedState:
    return state.model_copy(update={
        **_attempted(state, now, 410),
        "status": "gone", "failures": state.failures + 1,
        "last_error": "HTTP 410 Gone: the publisher removed this feed",
        "last_error_at": now, "next_due": now + recheck, "not_before": now + recheck,
    })


def after_broker_failure(state: FeedState, now: float, *, interval: float, rng: random.Random,
                         error: str, http_status: int | None) -> FeedState:
    """Kafka did not acknowledge everything: the validators stay where they were."""
    return state.model_copy(update={
        **_attempted(state, now, http_status),
        "last_error": error, "last_error_at": now,
        "next_due": now + jittered(min(interval, BROKER_RETRY), rng),
    })

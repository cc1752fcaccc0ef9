"""Per-channel pacing and digests, on a clock the test moves."""

from __future__ import annotations

from alerts.clock import ManualClock
from alerts.config import Throttle
from alerts.throttle import DigestBook, Throttler


def test_burst_then_one_per_interval_then_digest():
    clock = ManualClock()
    t = Throttler(Throttle(per_second=1, burst=3, max_wait_seconds=2), clock)
    got = [t.admit("C1") for _ in range(6)]
    assert [a.post for a in got] == [True, True, True, True, True, False]
    assert [round(a.wait, 3) for a in got[:5]] == [0, 0, 0, 1.0, 2.0]
    assert "would wait 3.0s" in got[5].reason


def test_channels_are_paced_independently():
    clock = ManualClock()
    t = Throttler(Throttle(per_second=1, burst=1, max_wait_seconds=0), clock)
    assert t.admit("C1").post and t.admit("C2").post
    assert not t.admit("C1").post
    clock.advance(1.0)
    assert t.admit("C1").post


def test_rate_over_time_never_exceeds_the_limit():
    clock = ManualClock()
    t = Throttler(Throttle(per_second=1, burst=3, max_wait_seconds=10, max_per_window=1000),
                  clock)
    times = []
    for _ in range(200):
        a = t.admit("C1")
        if a.post:
            times.append(a.at)
        clock.advance(0.1)
    times.sort()
    for i, start in enumerate(times):  # any 10 s holds at most 10 + burst posts
        assert sum(1 for x in times[i:] if x < start + 10) <= 13


def test_window_cap_sends_the_rest_to_a_digest():
    clock = ManualClock()
    t = Throttler(Throttle(per_second=10, burst=10, max_wait_seconds=5, max_per_window=4,
                           window_seconds=60), clock)
    assert [t.admit("C1").post for _ in range(5)] == [True] * 4 + [False]
    clock.advance(61)
    assert t.admit("C1").post


def test_open_digest_collects_the_channel_and_is_due_after_its_delay():
    clock = ManualClock()
    cfg = Throttle(digest_after_seconds=30)
    t = Throttler(cfg, clock)
    book = DigestBook(cfg, clock)
    book.open("C1", "d1")
    assert not t.admit("C1", digest_open=book.is_open("C1")).post
    assert book.due() == []
    clock.advance(30)
    assert [d.digest_id for d in book.due()] == ["d1"]
    assert book.close("C1").digest_id == "d1" and not book.is_open("C1")

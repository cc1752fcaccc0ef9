"""Polls feeds: fetch -> parse -> normalise -> drop what was produced -> publish -> save.

One feed at a time per worker thread, under two limits: `limits.concurrency` feeds at once
in total and `limits.per_host` at once per host (a dispatcher only starts a feed when its
host has room, so a busy host never ties up the pool). Per feed, the order is fixed: state
(validators, seen articles, schedule) is saved after Kafka acknowledged the articles, never
before. Two feeds carrying the same article are serialised on its id (`_Claims`), so the
second sees it as already produced instead of racing the first.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import defaultdict, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Iterable, Literal, Protocol, Sequence

from collectors import schedule
from collectors.config import Feed, FeedsConfig
from collectors.fetch import FetchError, FetchResponse
from collectors.normalize import to_articles
from collectors.publish import PublishError
from collectors.schedule import Clock, SystemClock
from collectors.sources import SOURCES, ParseError
from collectors.state import FeedState, StateStore
from newswatch.errors import BrokerError
from newswatch.messages import Article
from newswatch.registry import Registry

log = logging.getLogger(__name__)

INTERNAL_ERROR_RETRY = 300.0

Outcome = Literal["new", "unchanged", "not-modified", "error", "throttled", "gone",
                  "broker-error", "deferred"]


class FetcherLike(Protocol):
    def fetch(self, url: str, *, etag: str | None = None,
              last_modified: str | None = None) -> FetchResponse: ...


class PublisherLike(Protocol):
    def publish(self, articles: Sequence[Article]) -> None: ...


@dataclass
class PollResult:
    feed_id: str
    outcome: Outcome
    http_status: int | None = None
    new: int = 0
    updates: int = 0
    entries: int = 0
    error: str | None = None
    problem: str | None = None
    fetch_started: float | None = None  # time.monotonic()
    body_received: float | None = None
    acked: float | None = None
    internal_error: bool = False

    @property
    def fetch_to_ack(self) -> float | None:
        if self.acked is None or self.fetch_started is None:
            return None
        return self.acked - self.fetch_started

    @property
    def produced(self) -> int:
        return self.new + self.updates


class _Claims:
    """Article ids being published by some feed right now.

    A feed takes all its ids at once or waits, so two feeds never deadlock and the second
    of two feeds sharing an article sees it in the store once the first has saved it.
    """

    def __init__(self) -> None:
        self._held: set[str] = set()
        self._cond = threading.Condition()

    def acquire(self, ids: Iterable[str]) -> frozenset[str]:
        wanted = frozenset(ids)
        with self._cond:
            while wanted & self._held:
                self._cond.wait()
            self._held |= wanted
        return wanted

    def release(self, ids: frozenset[str]) -> None:
        with self._cond:
            self._held -= ids
            self._cond.notify_all()


class Poller:
    def __init__(self, config: FeedsConfig, store: StateStore, fetcher: FetcherLike,
                 publisher: PublisherLike, *, clock: Clock | None = None,
                 rng: random.Random | None = None,
                 sources: Registry = SOURCES) -> None:
        self.config = config
        self.store = store
        self.fetcher = fetcher
        self.publisher = publisher
        self.clock = clock or SystemClock()
        self.rng = rng or random.Random()
        self._sources = {name: sources.get(name)() for name in sources.names()}
        self._claims = _Claims()
        self._cond = threading.Condition()
        self._inflight: set[str] = set()
        self._host_load: dict[str, int] = defaultdict(int)
        self._executor = ThreadPoolExecutor(max_workers=config.limits.concurrency,
                                            thread_name_prefix="collect")

    def close(self) -> None:
        self._executor.shutdown(wait=True)

    # -- one feed ----------------------------------------------------------------------

    def state_of(self, feed: Feed) -> FeedState:
        state = self.store.get(feed.id)
        return (state or FeedState.fresh(feed.id, feed.url)).for_url(feed.url)

    def poll_feed(self, feed: Feed) -> PollResult:
        """Poll one feed now and save what follows; never raises for feed problems."""
        state = self.state_of(feed)
        now = self.clock.now()
        interval = self.config.interval(feed)
        limits = self.config.limits
        result = PollResult(feed.id, "error", fetch_started=time.monotonic())

        def fail(error: str, http_status: int | None = None) -> PollResult:
            self.store.save(schedule.after_failure(
                state, now, interval=interval, cap=limits.backoff_cap, rng=self.rng,
                error=error, http_status=http_status))
            result.outcome, result.error, result.http_status = "error", error, http_status
            log.info("%s: %s", feed.id, error, extra={"feed_id": feed.id})
            return result

        try:
            response = self.fetcher.fetch(feed.url, etag=state.etag,
                                          last_modified=state.last_modified)
        except FetchError as exc:
            return fail(str(exc))
        result.http_status = status = response.status
        result.body_received = response.finished or time.monotonic()
        moved_to = response.permanent_url

        if status == 304:
            self.store.save(schedule.after_success(
                state, now, interval=interval, rng=self.rng, http_status=304,
                etag=response.header("etag"), last_modified=response.header("last-modified"),
                moved_to=moved_to))
            result.outcome = "not-modified"
            return result
        if status == 410:
            self.store.save(schedule.after_gone(state, now, recheck=limits.gone_recheck))
            result.outcome, result.error = "gone", "HTTP 410 Gone"
            return result
        retry_after = schedule.retry_after_seconds(response.header("retry-after"), now)
        if status == 429 or (status == 503 and retry_after is not None):
            new_state = schedule.after_throttle(
                state, now, interval=interval, cap=limits.backoff_cap,
                max_retry_after=limits.max_retry_after, rng=self.rng, http_status=status,
                retry_after=retry_after)
            self.store.save(new_state)
            result.outcome, result.error = "throttled", new_state.last_error
            return result
        if status != 200:
            return fail(f"HTTP {status}", status)

        try:
            parsed = self._sources[feed.type].parse(response.body, url=response.url,
                                                    headers=response.headers)
            articles = to_articles(feed, parsed,
                                   fetched_at=datetime.fromtimestamp(now, timezone.utc))
        except ParseError as exc:
            return fail(str(exc), status)
        except Exception as exc:  # noqa: BLE001 - a parser bug must not stop the feed's schedule
            log.exception("%s: parsing failed", feed.id)
            return fail(f"parser failure: {type(exc).__name__}: {exc}", status)
        result.entries = len(parsed.entries)
        result.problem = parsed.problems[0] if parsed.problems else None
        return self._deliver(state, now, interval, response, articles, result)

    def _deliver(self, state: FeedState, now: float, interval: float,
                 response: FetchResponse, articles: list[Article],
                 result: PollResult) -> PollResult:
        """Produce what is new or edited; save the feed's state once Kafka acknowledged."""
        claimed = self._claims.acquire(a.id for a in articles)
        try:
            known = self.store.known(a.id for a in articles)
            fresh = [a if a.id not in known else a.model_copy(update={"update": True})
                     for a in articles if a.content_hash not in known.get(a.id, ())]
            try:
                self.publisher.publish(fresh)
            except BrokerError as exc:
                acked = exc.acked if isinstance(exc, PublishError) else []
                self.store.save(schedule.after_broker_failure(
                    state, now, interval=interval, rng=self.rng, error=str(exc),
                    http_status=response.status),
                    seen=[(a.id, a.content_hash) for a in acked], now=now)
                result.outcome, result.error = "broker-error", str(exc)
                log.warning("%s: %s", state.feed_id, exc,
                            extra={"feed_id": state.feed_id})
                return result
            result.acked = time.monotonic() if fresh else None
            result.updates = sum(1 for a in fresh if a.update)
            result.new = len(fresh) - result.updates
            self.store.save(
                schedule.after_success(
                    state, now, interval=interval, rng=self.rng, http_status=200,
                    etag=response.header("etag"),
                    last_modified=response.header("last-modified"),
                    new=result.new, updates=result.updates, problem=result.problem,
                    moved_to=response.permanent_url),
                seen=[(a.id, a.content_hash) for a in fresh],
                present=[a.id for a in articles], now=now)
        finally:
            self._claims.release(claimed)
        result.outcome = "new" if fresh else "unchanged"
        return result

    # -- many feeds, under the concurrency limits ---------------------------------------

    def _start(self, feed: Feed, done: Callable[[PollResult], None]) -> None:
        """Caller holds self._cond."""
        self._inflight.add(feed.id)
        self._host_load[feed.host] += 1

        def work() -> None:
            try:
                result = self.poll_feed(feed)
            except Exception as exc:  # noqa: BLE001 - a bug or a dead state store
                log.exception("%s: poll failed unexpectedly", feed.id)
                result = PollResult(feed.id, "error", error=f"internal error: {exc}",
                                    internal_error=True)
            done(result)  # outside the lock: it may read the state store
            with self._cond:
                self._inflight.discard(feed.id)
                self._host_load[feed.host] -= 1
                self._cond.notify_all()

        self._executor.submit(work)

    def _has_room(self, feed: Feed) -> bool:
        limits = self.config.limits
        return (len(self._inflight) < limits.concurrency
                and self._host_load[feed.host] < limits.per_host
                and feed.id not in self._inflight)

    def _run_batch(self, feeds: Sequence[Feed]) -> list[PollResult]:
        by_host: dict[str, deque[Feed]] = defaultdict(deque)
        for feed in feeds:
            by_host[feed.host].append(feed)
        results: list[PollResult] = []
        with self._cond:
            while by_host or len(results) < len(feeds):
                for host in list(by_host):
                    queue = by_host[host]
                    while queue and self._has_room(queue[0]):
                        self._start(queue.popleft(), results.append)
                    if not queue:
                        del by_host[host]
                if len(results) < len(feeds):
                    self._cond.wait(timeout=1.0)
        order = {f.id: i for i, f in enumerate(feeds)}
        return sorted(results, key=lambda r: order[r.feed_id])

    def poll_all(self, feeds: Sequence[Feed] | None = None, *,
                 only_due: bool = False) -> list[PollResult]:
        """Poll every enabled feed once (or only those due); blocks until all are done.

        Feeds a server told to wait (Retry-After, 410) are deferred either way: their
        result says until when.
        """
        feeds = list(self.config.enabled_feeds if feeds is None else feeds)
        now = self.clock.now()
        states = self.store.all()
        todo: list[Feed] = []
        deferred: list[PollResult] = []
        for feed in feeds:
            state = states.get(feed.id)
            state = state.for_url(feed.url) if state else None
            if only_due and state and state.due_at() > now:
                continue
            if state and state.not_before > now:
                until = datetime.fromtimestamp(state.not_before, timezone.utc)
                deferred.append(PollResult(feed.id, "deferred", error=f"{state.status} until "
                                           f"{until:%Y-%m-%d %H:%M:%S}Z"))
            else:
                todo.append(feed)
        results = {r.feed_id: r for r in self._run_batch(todo) + deferred}
        return [results[f.id] for f in feeds if f.id in results]

    def poll_due(self) -> list[PollResult]:
        return self.poll_all(only_due=True)

    def run(self, stop: threading.Event, *, on_result: Callable[[PollResult], None] | None = None,
            max_wait: float = 1.0) -> None:
        """Poll each feed whenever it is due, until `stop` is set."""
        urls = {f.id: f.url for f in self.config.feeds}
        due = {s.feed_id: s.for_url(urls[s.feed_id]).due_at()
               for s in self.store.all().values() if s.feed_id in urls}

        def done(result: PollResult) -> None:
            state = self.store.get(result.feed_id)
            at = state.due_at() if state else 0.0
            if result.internal_error:  # state may not have been saved: do not spin
                at = max(at, self.clock.now() + INTERNAL_ERROR_RETRY)
            due[result.feed_id] = at
            if on_result:
                on_result(result)

        with self._cond:
            while not stop.is_set():
                now = self.clock.now()
                soonest = now + max_wait
                for feed in self.config.enabled_feeds:
                    if feed.id in self._inflight:
                        continue
                    at = due.get(feed.id, 0.0)
                    if at <= now and self._has_room(feed):
                        self._start(feed, done)
                    else:
                        soonest = min(soonest, max(at, now + 0.05))
                self._cond.wait(timeout=max(0.05, min(max_wait, soonest - now)))
            while self._inflight:
                self._cond.wait(timeout=1.0)

"""The alerter: decisions in, one Slack post per alert id out, every step in the ledger.

For each decision with a category: route it, give each route's alert a deterministic id,
skip ids the ledger has settled (redeliveries and replays post nothing), record copies of a
story as duplicates or thread follow-ups, hold bursts back for a digest, and otherwise write
the intent, make the post when the channel's rate allows, and write the result.

Order of effects, which is what exactly-once rests on:
  intent -> flush to Kafka -> post -> result -> flush -> commit the decision's offset.
A crash anywhere leaves either nothing (decision redelivered, alert planned again) or an
intent without result (looked up in the channel by alert id before posting again). A
decision's offset is committed only when all its alerts are settled, so a Slack outage
holds offsets back instead of losing alerts. Posts wait for their channel's rate on a
schedule, so one busy channel does not delay the others.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import CommitFailedError, KafkaError
from kafka.structs import OffsetAndMetadata
from rich.console import Console

from alerts.clock import Clock
from alerts.config import AlertsConfig, Route, load_from_settings
from alerts.dedupe import StoryIndex
from alerts.identity import alert_id, copy_id, digest_id, story_key
from alerts.ledger import Entry, Ledger, LedgerReader
from alerts.observe import AlertObserver
from alerts.options import AlerterOptions, FaultInjector
from alerts.render import AlertView, DigestItem, alert_view, clean, digest_view, to_slack
from alerts.routing import Router
from alerts.sinks import DeliveryError, Sink, make_sink
from alerts.throttle import DigestBook, Throttler
from newswatch.broker.clients import dead_letter, make_consumer, make_producer
from newswatch.broker.stream import Outbox
from newswatch.errors import AlertError, BrokerError, DecodeError
from newswatch.messages import SEVERITY_ORDER, Alert, DeadLetter, Decision, Provenance, decode
from newswatch.metrics import Metrics
from newswatch.settings import Settings
from newswatch.topics import Topics

log = logging.getLogger(__name__)

STAGE = "alerts"
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
    throttle_wait_s: float = 0.0

    def summary(self) -> str:
        return (f"{self.decisions} decisions ({self.matched} matched), {self.posted} posted, "
                f"{self.follow_ups} follow-ups, {self.duplicates} duplicates, "
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
    """One post to make (an alert, a follow-up in a thread, or a digest)."""

    at: float
    kind: Literal["alert", "follow-up", "digest"]
    view: AlertView
    base: dict[str, Any]
    since: datetime
    planned_at: float
    sources: list[Source] = field(default_factory=list)
    reconcile: bool = False
    original: str | None = None
    attempts: int = 0
    failures: int = 0

    @property
    def alert_id(self) -> str:
        return self.base["alert_id"]

    @property
    def channel(self) -> str:
        return self.base["channel"]


class Alerter:
    """The event loop. Build with `run()`; everything it talks to is passed in."""

    def __init__(self, settings: Settings, config: AlertsConfig, sink: Sink, *,
                 consumer: KafkaConsumer, producer: KafkaProducer, ledger: Ledger,
                 ledger_reader: LedgerReader | None = None, clock: Clock | None = None,
                 options: AlerterOptions | None = None, stats: AlertStats | None = None,
                 poll_ms: int = 200, metrics: Metrics | None = None) -> None:
        self.settings = settings
        self.config = config
        self.sink = sink
        self.consumer = consumer
        self.outbox = Outbox(producer)
        self.ledger = ledger
        self.reader = ledger_reader
        self.clock = clock or Clock()
        self.faults = FaultInjector(options or AlerterOptions())
        self.stats = stats if stats is not None else AlertStats()
        self.poll_ms = poll_ms
        self.observer = AlertObserver(metrics or Metrics(), consumer, ledger, DIGEST_ROUTE)
        self.topics = Topics.from_settings(settings)
        self.router = Router(config)
        self.throttler = Throttler(config.throttle, self.clock)
        self.digests = DigestBook(config.throttle, self.clock)
        self.stories = StoryIndex(timedelta(minutes=config.dedupe.window_minutes),
                                  config.dedupe.title_similarity)
        self._heap: list[tuple[float, int, Job]] = []
        self._seq = itertools.count()
        self._jobs: dict[str, Job] = {}
        self._inflight: dict[TopicPartition, dict[int, Source]] = {}
        self._high: dict[TopicPartition, int] = {}
        self._committed: dict[TopicPartition, int] = {}
        self._unflushed_intents = False
        self._unhealthy_until = 0.0
        self._paused = False
        ledger.listeners.append(self._index_story)
        horizon = self.clock.now() - self.stories.window
        for entry in sorted(ledger.entries(), key=lambda e: e.opened_at or e.at):
            if (entry.opened_at or entry.at) >= horizon:
                self._index_entry(entry)
        self._next_forget = 0.0

    # ---------------------------------------------------------------- the loop

    def run(self, stop: threading.Event) -> AlertStats:
        self._resume_digests()
        while not stop.is_set():
            if self.reader is not None:
                self.reader.poll()
            self._set_paused(self.clock.monotonic() < self._unhealthy_until)
            try:
                batches = self.consumer.poll(timeout_ms=self._poll_timeout_ms())
            except KafkaError as exc:
                log.warning("polling decisions failed (%s); retrying", exc)
                stop.wait(1.0)
                continue
            for records in batches.values():
                for rec in records:
                    self._take(rec)
            self._step()
            self.observer.sample()
        self._drain()
        return self.stats

    def _step(self, *, all_digests: bool = False) -> None:
        self._forget_old()
        self._open_due_digests(all_=all_digests)
        if self._unflushed_intents:
            self.outbox.flush()  # the intent must be in the ledger before the post
            self._unflushed_intents = False
        self._run_due()
        self._commit()

    def _forget_old(self) -> None:
        """Hourly: settled ledger entries older than max_age (+1 day) cannot matter again."""
        if self.clock.monotonic() < self._next_forget:
            return
        self._next_forget = self.clock.monotonic() + 3600
        horizon = self.clock.now() - timedelta(hours=self.config.max_age_hours + 24)
        dropped = self.ledger.forget_before(horizon)
        if dropped:
            log.info("alert ledger: %d settled alert(s) older than %s no longer kept in "
                     "memory", dropped, horizon.isoformat())

    def _poll_timeout_ms(self) -> int:
        now = self.clock.monotonic()
        wake = now + self.poll_ms / 1000
        if self._heap:
            wake = min(wake, self._heap[0][0])
        digest_at = self.digests.next_due_at()
        if digest_at is not None:
            wake = min(wake, digest_at)
        return max(0, int((wake - now) * 1000))

    def _set_paused(self, paused: bool) -> None:
        """While Slack is failing, take no new decisions (offsets stay where they are)."""
        if paused == self._paused:
            return
        assigned = list(self.consumer.assignment())
        if paused:
            self.consumer.pause(*assigned)
        else:
            self.consumer.resume(*assigned)
        self._paused = paused

    def _drain(self, grace: float | None = None) -> None:
        """On stop: post what is planned (bounded in time), then commit what is settled."""
        grace = grace if grace is not None else self.config.throttle.max_wait_seconds + 10
        deadline = self.clock.monotonic() + grace
        self._step(all_digests=True)
        while self._heap and self.clock.monotonic() < deadline \
                and self.clock.monotonic() >= self._unhealthy_until:
            wait = self._heap[0][0] - self.clock.monotonic()
            if wait > 0:
                time.sleep(max(0.0, min(wait, deadline - self.clock.monotonic())))
            self._step()
        if self._heap:
            log.warning("stopping with %d post(s) planned; their intents are in the ledger "
                        "and their decisions uncommitted, so the next start settles them",
                        len(self._heap))
        self.outbox.flush()
        self._commit()

    # ---------------------------------------------------------------- planning

    def _take(self, rec: Any) -> None:
        self.stats.consumed += 1
        tp = TopicPartition(rec.topic, rec.partition)
        src = Source(tp, rec.offset, rec.key, rec.value)
        self._inflight.setdefault(tp, {})[rec.offset] = src
        self._high[tp] = max(self._high.get(tp, 0), rec.offset + 1)
        try:
            record = decode(rec.value)
            if not isinstance(record, Decision):
                raise DecodeError(f"expected {Decision.SCHEMA}, got {record.SCHEMA}")
            self._plan(record, src)
        except (AlertError, BrokerError, KafkaError):
            raise
        except Exception as exc:  # noqa: BLE001 - one bad decision must not stop the alerts
            log.warning("dead-lettering %s:%s@%s: %s", rec.topic, rec.partition, rec.offset, exc)
            self.stats.dead_lettered += 1
            self._dead_letter(src, f"{type(exc).__name__}: {exc}")
        src.planned = True

    def _plan(self, decision: Decision, src: Source) -> None:
        self.stats.decisions += 1
        if not decision.categories:
            return
        self.stats.matched += 1
        now = self.clock.now()
        if now - decision.decided_at > timedelta(hours=self.config.max_age_hours):
            self.stats.stale += 1
            log.debug("not alerting %s: decided %s, older than max_age_hours",
                     decision.article_id, decision.decided_at.isoformat())
            return
        routes = self.router.routes_for(decision)
        if not routes:
            self.stats.unrouted += 1
            log.debug("decision on %s (%s, %s) matches no route in alerts.yaml",
                     decision.article_id, ",".join(decision.categories), decision.severity)
            return
        story = story_key(decision.url, decision.article_id)
        for route in routes:
            self._plan_route(decision, src, route, story, now)

    def _base(self, decision: Decision, src: Source, route: Route, aid: str) -> dict[str, Any]:
        return dict(alert_id=aid, article_id=decision.article_id, route=route.name,
                    channel=route.channel, decision=src.provenance,
                    ruleset_version=decision.ruleset.version, title=clean(decision.title)[:300],
                    url=decision.url, severity=decision.severity,
                    categories=tuple(decision.categories), decided_at=decision.decided_at)

    def _plan_route(self, decision: Decision, src: Source, route: Route, story: str,
                    now: datetime) -> None:
        aid = alert_id(story, route.name)
        base = self._base(decision, src, route, aid)
        pending = self._jobs.get(aid)
        entry = self.ledger.get(aid)
        owner = pending.base["article_id"] if pending else (entry.article_id if entry else None)
        if owner is not None and owner != decision.article_id:
            # Another article with the same canonical URL (another feed's copy): one alert.
            self._record_copy(base, story, route.name, decision.article_id, aid)
            return
        if pending is not None:  # the same decision again while its post is planned
            self._attach(pending, src)
            return
        if entry is not None:
            self._plan_known(decision, src, route, entry, base)
            return
        original = self.stories.find(route.name, decision.title, now)
        if original is not None and original != aid:
            self._plan_copy(decision, src, route, original, base)
            return
        digest = self.digests.get(route.channel)
        admission = self.throttler.admit(route.channel, digest_open=digest is not None)
        if not admission.post:
            if digest is None:
                digest = self.digests.open(route.channel, digest_id(route.channel, aid))
            digest.members.append(aid)
            self._record(base, "throttled", digest_id=digest.digest_id, error=admission.reason)
            self.stats.throttled += 1
            return
        view = alert_view(decision, alert_id=aid, route=route.name, channel=route.channel,
                          mentions=self.router.mentions(route, decision),
                          max_evidence=self.config.message.max_evidence)
        self._record(base, "intent")
        self._schedule(Job(admission.at, "alert", view, base, since=now - HISTORY_MARGIN,
                           planned_at=self.clock.monotonic()), src)

    def _record_copy(self, base: dict[str, Any], story: str, route: str, article_id: str,
                     original: str) -> None:
        cid = copy_id(story, route, article_id)
        if cid in self.ledger:
            self.stats.already_settled += 1
            return
        self._record({**base, "alert_id": cid}, "duplicate", duplicate_of=original)
        self.stats.duplicates += 1

    def _plan_known(self, decision: Decision, src: Source, route: Route, entry: Entry,
                    base: dict[str, Any]) -> None:
        """This article's alert is in the ledger: settled (a replay: nothing to do) or
        unsettled (the alerter stopped between intent and result: look, then post)."""
        if entry.final:
            self.stats.already_settled += 1
            return
        follow_up = entry.duplicate_of is not None
        view = alert_view(decision, alert_id=entry.alert_id, route=route.name,
                          channel=route.channel, mentions=self.router.mentions(route, decision),
                          max_evidence=self.config.message.max_evidence,
                          kind="follow-up" if follow_up else "alert")
        since = (entry.opened_at or entry.at) - HISTORY_MARGIN
        job = Job(self.throttler.reserve(route.channel), "follow-up" if follow_up else "alert",
                  view, {**base, "duplicate_of": entry.duplicate_of}, since=since,
                  planned_at=self.clock.monotonic(), reconcile=True,
                  original=entry.duplicate_of)
        log.info("alert %s has an intent without a result: looking in %s before posting",
                 entry.alert_id, route.channel)
        self._schedule(job, src)

    def _plan_copy(self, decision: Decision, src: Source, route: Route, original: str,
                   base: dict[str, Any]) -> None:
        """Another article of a story already alerted on this route."""
        first = self.ledger.get(original)
        threading_on = (self.config.threading.follow_ups and self.sink.supports_threads
                        and first is not None and first.status in ("intent", "failed", "posted")
                        and first.duplicate_of is None
                        and first.article_id != decision.article_id  # moved URL, same article
                        and len(first.replies) < self.config.threading.max_replies)
        if threading_on:
            admission = self.throttler.admit(route.channel,
                                             digest_open=self.digests.is_open(route.channel))
            if admission.post:
                view = alert_view(decision, alert_id=base["alert_id"], route=route.name,
                                  channel=route.channel, kind="follow-up",
                                  max_evidence=min(2, self.config.message.max_evidence))
                self._record(base, "intent", duplicate_of=original)
                now = self.clock.now()
                self._schedule(Job(admission.at, "follow-up", view,
                                   {**base, "duplicate_of": original},
                                   since=now - HISTORY_MARGIN, planned_at=self.clock.monotonic(),
                                   original=original), src)
                return
        self._record(base, "duplicate", duplicate_of=original)
        self.stats.duplicates += 1

    def _schedule(self, job: Job, src: Source | None) -> None:
        if src is not None:
            self._attach(job, src)
        self._jobs[job.alert_id] = job
        heapq.heappush(self._heap, (job.at, next(self._seq), job))

    @staticmethod
    def _attach(job: Job, src: Source) -> None:
        if src not in job.sources:
            job.sources.append(src)
            src.outstanding += 1

    # ---------------------------------------------------------------- digests

    def _digest_reason(self) -> str:
        t = self.config.throttle
        return (f"more than {t.per_second:g}/s or {t.max_per_window} per "
                f"{t.window_seconds:g}s for this channel")

    def _open_due_digests(self, *, all_: bool = False) -> None:
        for digest in self.digests.due(all_=all_):
            self.digests.close(digest.channel)
            self._plan_digest(digest.digest_id, digest.channel,
                              self.ledger.members(digest.digest_id), reconcile=False)

    def _plan_digest(self, did: str, channel: str, members: list[Entry], *,
                     reconcile: bool) -> None:
        items = [DigestItem(e.alert_id, e.title, e.url, e.severity or "none", e.categories,
                            e.route) for e in members]
        view = digest_view(digest_id=did, channel=channel, items=items,
                           reason=self._digest_reason(),
                           max_items=self.config.throttle.digest_max_items)
        severities = [e.severity for e in members if e.severity]
        base = dict(alert_id=did, article_id="", route=DIGEST_ROUTE, channel=channel,
                    title=f"{len(items)} alert(s) held back", url=None,
                    severity=max(severities, key=_severity_rank) if severities else None)
        existing = self.ledger.get(did)
        if existing is None:
            self._record(base, "intent")
        since = ((existing.opened_at or existing.at) if existing else self.clock.now()) \
            - HISTORY_MARGIN
        self._schedule(Job(self.throttler.reserve(channel), "digest", view, base, since=since,
                           planned_at=self.clock.monotonic(), reconcile=reconcile), None)

    def _resume_digests(self) -> None:
        """Held-back alerts whose digest never went out (the alerter stopped): post now."""
        for did, members in self.ledger.open_digests().items():
            if not members or did in self._jobs:
                continue
            existing = self.ledger.get(did)
            log.info("posting digest %s of %d held-back alert(s) left from a previous run",
                     did, len(members))
            self._plan_digest(did, members[0].channel, members,
                              reconcile=existing is not None)

    # ---------------------------------------------------------------- posting

    def _run_due(self) -> None:
        while self._heap and self._heap[0][0] <= self.clock.monotonic():
            _, _, job = heapq.heappop(self._heap)
            if self._jobs.get(job.alert_id) is not job:
                continue
            self._execute(job)

    def _execute(self, job: Job) -> None:
        thread_ts = None
        if job.kind == "follow-up":
            first_job = self._jobs.get(job.original or "")
            if first_job is not None:  # the story's first alert is not out yet: go after it
                job.at = max(job.at, first_job.at) + 0.001
                heapq.heappush(self._heap, (job.at, next(self._seq), job))
                return
            first = self.ledger.get(job.original or "")
            if first is None or first.status != "posted" or not first.ts:
                self._finish(job, "duplicate", duplicate_of=job.original,
                             error="the story's first alert was not posted; not threaded")
                self.stats.duplicates += 1
                return
            thread_ts = first.ts
        if job.reconcile and self.sink.can_reconcile:
            try:
                found = self.sink.find_posted(job.channel, job.alert_id, since=job.since,
                                              thread_ts=thread_ts)
            except DeliveryError as err:
                self._delivery_failed(job, err, thread_ts)
                return
            if found:
                log.info("alert %s was already in %s (ts %s): recorded, not posted again",
                         job.alert_id, job.channel, found)
                self._finish(job, "posted", ts=found, thread_ts=thread_ts,
                             attempts=job.attempts, error="found in channel after a restart")
                self.stats.reconciled += 1
                return
        message = to_slack(job.view)
        self.faults.reached("kill-before-post")
        try:
            result = self.sink.post(job.channel, message, thread_ts=thread_ts)
        except DeliveryError as err:
            self._delivery_failed(job, err, thread_ts)
            return
        self.faults.reached("kill-after-post")
        wait = max(0.0, job.at - job.planned_at)
        self.stats.throttle_wait_s += wait
        self._finish(job, "posted", ts=result.ts, thread_ts=thread_ts,
                     attempts=job.attempts + result.attempts,
                     throttle_wait_ms=round(wait * 1000, 1))
        if result.found:
            self.stats.reconciled += 1
        elif job.kind == "digest":
            self.stats.digests += 1
        elif job.kind == "follow-up":
            self.stats.follow_ups += 1
        else:
            self.stats.posted += 1

    def _delivery_failed(self, job: Job, err: DeliveryError, thread_ts: str | None) -> None:
        job.attempts += err.attempts
        error = f"{err.code}: {err}"
        if err.kind == "fatal":
            self._record(job.base, "failed", error=error, attempts=job.attempts,
                         thread_ts=thread_ts)
            self.outbox.flush()
            raise AlertError(f"{err}; the alerter stopped and committed nothing for the "
                             f"alerts in hand", fix=err.fix)
        if err.kind in ("channel", "rejected"):
            log.warning("alert %s to %s dead-lettered: %s", job.alert_id, job.channel, error,
                        extra={"alert_id": job.alert_id})
            self._finish(job, "dead-lettered", error=error, attempts=job.attempts,
                         thread_ts=thread_ts)
            self.stats.dead_lettered += 1
            reason = f"slack {err.code}: alert {job.alert_id} to {job.channel}: {err}"
            for src in job.sources:
                self._dead_letter(src, reason)
            if not job.sources:
                self.outbox.send(self.topics.deadletter, job.alert_id, DeadLetter(
                    stage=STAGE, reason=reason, key=job.alert_id,
                    value=json.dumps({"digest": job.alert_id, "channel": job.channel,
                                      "alerts": [i.alert_id for i in job.view.items]}),
                    at=self.clock.now()))
            return
        job.failures += 1
        self.stats.failures += 1
        self._record(job.base, "failed", error=error, attempts=job.attempts, thread_ts=thread_ts)
        backoff = err.retry_after if err.retry_after else min(60.0, 2.0 ** job.failures)
        backoff *= random.uniform(1.0, 1.2)
        log.warning("alert %s to %s not delivered (%s); trying again in %.0fs after looking "
                    "in the channel", job.alert_id, job.channel, error, backoff)
        job.reconcile = True
        job.at = self.clock.monotonic() + backoff
        self._unhealthy_until = job.at
        heapq.heappush(self._heap, (job.at, next(self._seq), job))

    def _finish(self, job: Job, status: str, **fields: Any) -> None:
        self._record(job.base, status, **fields)
        self._jobs.pop(job.alert_id, None)
        for src in job.sources:
            src.outstanding -= 1

    # ---------------------------------------------------------------- ledger and offsets

    def _record(self, base: dict[str, Any], status: str, **fields: Any) -> Alert:
        alert = Alert(**{**base, **fields}, status=status, at=self.clock.now())
        self.outbox.send(self.topics.alerts, alert.alert_id, alert)
        self.ledger.apply(alert)
        self.observer.record(alert, base.get("decided_at"))
        if status == "intent":
            self._unflushed_intents = True
        return alert

    def _dead_letter(self, src: Source, reason: str) -> None:
        self.observer.dead_letter()
        self.outbox.send(self.topics.deadletter,
                         src.key.decode("utf-8", "replace") if src.key else None,
                         dead_letter(STAGE, reason, topic=src.tp.topic,
                                     partition=src.tp.partition, offset=src.offset,
                                     key=src.key, value=src.value))

    def _index_story(self, alert: Alert, entry: Entry) -> None:
        if alert.status in ("intent", "posted", "throttled", "failed"):
            self._index_entry(entry)

    def _index_entry(self, entry: Entry) -> None:
        if entry.route == DIGEST_ROUTE or entry.duplicate_of or entry.status == "duplicate":
            return
        if entry.status == "dead-lettered" or not entry.title:
            return
        self.stories.add(entry.route, entry.alert_id, entry.title,
                         entry.opened_at or entry.at)

    def _commit(self) -> None:
        offsets: dict[TopicPartition, OffsetAndMetadata] = {}
        for tp, sources in self._inflight.items():
            waiting = [offset for offset, src in sources.items() if not src.done]
            position = min(waiting) if waiting else self._high[tp]
            for offset in [o for o in sources if o < position]:
                del sources[offset]
            if position > self._committed.get(tp, -1):
                offsets[tp] = OffsetAndMetadata(position, "", -1)
        if not offsets:
            return
        self.outbox.flush()  # results and dead letters first, then the offsets
        try:
            self.consumer.commit(offsets)
        except CommitFailedError as exc:
            log.warning("commit failed (%s): partitions were reassigned; the new owner "
                        "settles their alerts from the ledger", exc)
            assigned = set(self.consumer.assignment())
            for tp in list(self._inflight):
                if tp not in assigned:
                    self._inflight.pop(tp, None)
                    self._high.pop(tp, None)
            return
        for tp, meta in offsets.items():
            self._committed[tp] = meta.offset


def _severity_rank(severity: str) -> int:
    return SEVERITY_ORDER.get(severity, 0)


def _wait_for_partitions(consumer: KafkaConsumer, topic: str, timeout: float = 30.0) -> None:
    """Join the group only once the topic's partitions are known: a group leader that
    assigns before a new topic's metadata arrives hands out nothing and may not look again
    for minutes."""
    deadline = time.monotonic() + timeout
    while not consumer.partitions_for_topic(topic):
        if time.monotonic() > deadline:
            raise BrokerError(f"topic {topic} has no partitions", fix="run `newswatch topics "
                              "create` (and check NEWSWATCH_TOPIC_PREFIX)")
        time.sleep(0.2)


def run(settings: Settings, stop: threading.Event, *, group_id: str = "newswatch-alerter",
        sink: Sink | None = None, console: Console | None = None,
        config: AlertsConfig | None = None, clock: Clock | None = None,
        options: AlerterOptions | None = None, stats: AlertStats | None = None,
        metrics: Metrics | None = None) -> AlertStats:
    """Run the alerter until `stop` is set; returns its counts. Used by `newswatch alert`,
    `newswatch run` and `newswatch demo` (they pass the sink or console they want)."""
    config = config or load_from_settings(settings)
    options = options or AlerterOptions.load()
    sink = sink or make_sink(settings, config.delivery, console)
    try:
        where = sink.check()
    except DeliveryError as err:
        raise AlertError(str(err), fix=err.fix or "check NEWSWATCH_SLACK_API_URL and the "
                         "network") from None
    log.info("alerts go to %s", where)
    topics = Topics.from_settings(settings)
    ledger = Ledger()
    reader = LedgerReader(settings, topics.alerts, ledger)
    consumer = producer = None
    try:
        read = reader.catch_up()
        log.info("alert ledger: %d record(s), %d alert id(s), %d unsettled", read, len(ledger),
                 len(ledger.unsettled()))
        consumer = make_consumer(settings, group_id)
        _wait_for_partitions(consumer, topics.decisions)
        consumer.subscribe([topics.decisions])
        producer = make_producer(settings)
        alerter = Alerter(settings, config, sink, consumer=consumer, producer=producer,
                          ledger=ledger, ledger_reader=reader, clock=clock, options=options,
                          stats=stats, metrics=metrics)
        return alerter.run(stop)
    finally:
        if producer is not None:
            producer.close(timeout=10)
        if consumer is not None:
            consumer.close(autocommit=False)
        reader.close()
        sink.close()

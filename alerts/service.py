"""The alerter: decisions in, one Slack post per alert id out, every step in the ledger.

This module is the loop and the Kafka side: it consumes decisions, hands each to the
planner (alerts/planner.py: routing, alert ids, story matching, pacing, digests), runs the
due posts through delivery (alerts/delivery.py: look, post, record), writes every ledger
record to the alerts topic, and commits a decision's offset once its alerts are settled.

Order of effects, which is what exactly-once rests on:
  intent -> flush to Kafka -> post -> result -> flush -> commit the decision's offset.
A crash anywhere leaves either nothing (decision redelivered, alert planned again) or an
intent without result (looked up in the channel by alert id before posting again). A
decision's offset is committed only when all its alerts are settled, so a Slack outage
holds offsets back instead of losing alerts. Posts wait for their channel's rate on a
schedule, so one busy channel does not delay the others.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import timedelta
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import CommitFailedError, KafkaError
from kafka.structs import OffsetAndMetadata
from rich.console import Console

from alerts.clock import Clock
from alerts.config import AlertsConfig, load_from_settings
from alerts.delivery import Delivery
from alerts.feedback.book import FeedbackBook, FeedbackReader
from alerts.jobs import DIGEST_ROUTE, AlertStats, Job, Schedule, Source
from alerts.ledger import Ledger, LedgerReader
from alerts.observe import AlertObserver
from alerts.options import AlerterOptions, FaultInjector
from alerts.planner import Planner
from alerts.sinks import DeliveryError, Sink, make_sink
from newswatch.broker.clients import dead_letter, make_consumer, make_producer
from newswatch.broker.stream import Outbox
from newswatch.errors import AlertError, BrokerError, DecodeError
from newswatch.messages import Alert, DeadLetter, Decision, decode
from newswatch.metrics import Metrics
from newswatch.settings import Settings
from newswatch.topics import Topics

__all__ = ["AlertStats", "Alerter", "run"]

log = logging.getLogger(__name__)

STAGE = "alerts"


class KafkaRecorder:
    """The ledger's writer: every record goes to the alerts topic and the in-memory ledger,
    and is counted for metrics in the same place, so all three always agree."""

    def __init__(self, outbox: Outbox, topics: Topics, ledger: Ledger, observer: AlertObserver,
                 clock: Clock) -> None:
        self.outbox = outbox
        self.topics = topics
        self.ledger = ledger
        self.observer = observer
        self.clock = clock
        self.unflushed_intents = False

    def record(self, base: dict[str, Any], status: str, **fields: Any) -> Alert:
        alert = Alert(**{**base, **fields}, status=status, at=self.clock.now())
        self.outbox.send(self.topics.alerts, alert.alert_id, alert)
        self.ledger.apply(alert)
        self.observer.record(alert, base.get("decided_at"))
        if status == "intent":
            self.unflushed_intents = True
        return alert

    def dead_letter(self, src: Source, reason: str) -> None:
        self.observer.dead_letter()
        self.outbox.send(self.topics.deadletter,
                         src.key.decode("utf-8", "replace") if src.key else None,
                         dead_letter(STAGE, reason, topic=src.tp.topic,
                                     partition=src.tp.partition, offset=src.offset,
                                     key=src.key, value=src.value))

    def dead_letter_digest(self, job: Job, reason: str) -> None:
        self.outbox.send(self.topics.deadletter, job.alert_id, DeadLetter(
            stage=STAGE, reason=reason, key=job.alert_id,
            value=json.dumps({"digest": job.alert_id, "channel": job.channel,
                              "alerts": [i.alert_id for i in job.view.items]}),
            at=self.clock.now()))

    def flush(self) -> None:
        self.outbox.flush()

    def flush_intents(self) -> None:
        """An intent must be in the ledger before its post goes out."""
        if self.unflushed_intents:
            self.outbox.flush()
            self.unflushed_intents = False


class Alerter:
    """The event loop. Build with `run()`; everything it talks to is passed in."""

    def __init__(self, settings: Settings, config: AlertsConfig, sink: Sink, *,
                 consumer: KafkaConsumer, producer: KafkaProducer, ledger: Ledger,
                 ledger_reader: LedgerReader | None = None, clock: Clock | None = None,
                 options: AlerterOptions | None = None, stats: AlertStats | None = None,
                 poll_ms: int = 200, metrics: Metrics | None = None,
                 mutes: FeedbackBook | None = None,
                 feedback_reader: FeedbackReader | None = None) -> None:
        self.config = config
        self.consumer = consumer
        self.ledger = ledger
        self.reader = ledger_reader
        self.feedback_reader = feedback_reader
        self.clock = clock or Clock()
        self.stats = stats if stats is not None else AlertStats()
        self.poll_ms = poll_ms
        self.observer = AlertObserver(metrics or Metrics(), consumer, ledger, DIGEST_ROUTE)
        self.recorder = KafkaRecorder(Outbox(producer), Topics.from_settings(settings), ledger,
                                      self.observer, self.clock)
        self.schedule = Schedule()
        self.planner = Planner(config, ledger, self.recorder, self.schedule, clock=self.clock,
                               stats=self.stats, threads=sink.supports_threads,
                               updates=sink.supports_updates, mutes=mutes)
        self.delivery = Delivery(sink, ledger, self.recorder, self.schedule, clock=self.clock,
                                 stats=self.stats,
                                 faults=FaultInjector(options or AlerterOptions()))
        self._inflight: dict[TopicPartition, dict[int, Source]] = {}
        self._high: dict[TopicPartition, int] = {}
        self._committed: dict[TopicPartition, int] = {}
        self._paused = False
        self._next_forget = 0.0

    # ---------------------------------------------------------------- the loop

    def run(self, stop: threading.Event) -> AlertStats:
        self.planner.resume_digests()
        self.planner.resume_reports()
        while not stop.is_set():
            if self.reader is not None:
                self.reader.poll()
            if self.feedback_reader is not None and self.feedback_reader.poll():
                log.info("new marks from officers read; %d story(ies) muted",
                         len(self.feedback_reader.book.mutes()))
            self._set_paused(not self.delivery.healthy)
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
        self.planner.open_due_digests(all_=all_digests)
        self.recorder.flush_intents()
        self.delivery.run_due()
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
        for at in (self.schedule.next_at(), self.planner.next_digest_at()):
            if at is not None:
                wake = min(wake, at)
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
        while self.schedule and self.clock.monotonic() < deadline and self.delivery.healthy:
            wait = (self.schedule.next_at() or 0.0) - self.clock.monotonic()
            if wait > 0:
                time.sleep(max(0.0, min(wait, deadline - self.clock.monotonic())))
            self._step()
        if self.schedule:
            log.warning("stopping with %d post(s) planned; their intents are in the ledger "
                        "and their decisions uncommitted, so the next start settles them",
                        len(self.schedule))
        self.recorder.flush()
        self._commit()

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
            self.planner.plan(record, src)
        except (AlertError, BrokerError, KafkaError):
            raise
        except Exception as exc:  # noqa: BLE001 - one bad decision must not stop the alerts
            log.warning("dead-lettering %s:%s@%s: %s", rec.topic, rec.partition, rec.offset, exc)
            self.stats.dead_lettered += 1
            self.recorder.dead_letter(src, f"{type(exc).__name__}: {exc}")
        src.planned = True

    # ---------------------------------------------------------------- offsets

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
        self.recorder.flush()  # results and dead letters first, then the offsets
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
    book: FeedbackBook | None = FeedbackBook()
    marks: FeedbackReader | None = None
    consumer = producer = None
    try:
        read = reader.catch_up()
        log.info("alert ledger: %d record(s), %d alert id(s), %d unsettled", read, len(ledger),
                 len(ledger.unsettled()))
        marks = FeedbackReader(settings, book, client_id="newswatch-alert-feedback")
        try:
            marks.catch_up(timeout=30)
        except BrokerError as err:  # a deployment older than the officers' buttons
            log.warning("officers' marks not read (%s); alerting without mutes until "
                        "`newswatch topics create` adds the topic and the alerter restarts",
                        err)
            marks.close()
            marks, book = None, None
        if book is not None and book.mutes():
            log.info("%d story(ies) muted by officers", len(book.mutes()))
        consumer = make_consumer(settings, group_id)
        _wait_for_partitions(consumer, topics.decisions)
        consumer.subscribe([topics.decisions])
        producer = make_producer(settings)
        alerter = Alerter(settings, config, sink, consumer=consumer, producer=producer,
                          ledger=ledger, ledger_reader=reader, clock=clock, options=options,
                          stats=stats, metrics=metrics, mutes=book, feedback_reader=marks)
        return alerter.run(stop)
    finally:
        if producer is not None:
            producer.close(timeout=10)
        if consumer is not None:
            consumer.close(autocommit=False)
        reader.close()
        if marks is not None:
            marks.close()
        sink.close()

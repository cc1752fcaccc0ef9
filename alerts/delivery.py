"""Carrying out planned posts: look in the channel when unsure, post, record the result.

A job whose intent may already have reached Slack (a restart, a failed attempt) is first
looked up in the channel by its alert id; a found message is recorded, not posted again.
Retryable failures move the job later and mark the channel side unhealthy until then, so
the alerter stops taking new decisions instead of piling up posts Slack will not take.
"""

from __future__ import annotations

import logging
import random
from typing import Any

from alerts.clock import Clock
from alerts.jobs import AlertStats, Job, Recorder, Schedule
from alerts.ledger import Ledger
from alerts.options import FaultInjector
from alerts.render import reports_line, to_slack
from alerts.sinks import DeliveryError, Sink
from newswatch.errors import AlertError

log = logging.getLogger(__name__)

UPDATE_ATTEMPTS = 5  # editing the reports line is best effort: it never holds a decision


class Delivery:
    """Runs due jobs against the sink; every outcome goes to the ledger."""

    def __init__(self, sink: Sink, ledger: Ledger, recorder: Recorder, schedule: Schedule, *,
                 clock: Clock, stats: AlertStats, faults: FaultInjector) -> None:
        self.sink = sink
        self.ledger = ledger
        self.recorder = recorder
        self.schedule = schedule
        self.clock = clock
        self.stats = stats
        self.faults = faults
        self.unhealthy_until = 0.0
        """monotonic time before which Slack is known to be failing"""

    @property
    def healthy(self) -> bool:
        return self.clock.monotonic() >= self.unhealthy_until

    def run_due(self) -> None:
        for job in self.schedule.due(self.clock.monotonic()):
            self.execute(job)

    def execute(self, job: Job) -> None:
        if job.kind == "update":
            self._update(job)
            return
        thread_ts = None
        if job.kind == "follow-up":
            first_job = self.schedule.get(job.original or "")
            if first_job is not None:  # the story's first alert is not out yet: go after it
                self.schedule.move(job, max(job.at, first_job.at) + 0.001)
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
                self._failed(job, err, thread_ts)
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
            result = self.sink.post(job.channel, message, thread_ts=thread_ts,
                                    broadcast=job.broadcast)
        except DeliveryError as err:
            self._failed(job, err, thread_ts)
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

    def _failed(self, job: Job, err: DeliveryError, thread_ts: str | None) -> None:
        job.attempts += err.attempts
        error = f"{err.code}: {err}"
        if err.kind == "fatal":
            self.recorder.record(job.base, "failed", error=error, attempts=job.attempts,
                                 thread_ts=thread_ts)
            self.recorder.flush()
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
                self.recorder.dead_letter(src, reason)
            if not job.sources:
                self.recorder.dead_letter_digest(job, reason)
            return
        job.failures += 1
        self.stats.failures += 1
        self.recorder.record(job.base, "failed", error=error, attempts=job.attempts,
                             thread_ts=thread_ts)
        backoff = _backoff(job, err)
        log.warning("alert %s to %s not delivered (%s); trying again in %.0fs after looking "
                    "in the channel", job.alert_id, job.channel, error, backoff)
        job.reconcile = True
        self.schedule.move(job, self.clock.monotonic() + backoff)
        self.unhealthy_until = job.at

    def _update(self, job: Job) -> None:
        """Edit the event's first alert to list every report posted in its thread."""
        parent = self.ledger.get(job.alert_id)
        if parent is None or not parent.ts:
            self.schedule.finished(job)
            return
        outlets = [(parent.source, parent.language)] + [
            (e.source, e.language) for e in self.ledger.thread_reports(parent)]
        self.faults.reached("kill-before-update")
        try:
            self.sink.update_reports(parent.channel, parent.ts, reports_line(outlets))
        except DeliveryError as err:
            if err.kind == "fatal":
                raise AlertError(f"{err}; the alerter stopped", fix=err.fix) from None
            if err.kind in ("channel", "rejected"):
                log.warning("alert %s in %s: its reports line was not updated (%s: %s)",
                            job.alert_id, job.channel, err.code, err,
                            extra={"alert_id": job.alert_id})
                self.schedule.finished(job)
                return
            job.failures += 1
            if job.failures > UPDATE_ATTEMPTS:  # the next reply, or a restart, does it again
                log.warning("alert %s: its reports line was not updated after %d attempts "
                            "(%s); left for the next report", job.alert_id, job.failures, err)
                self.schedule.finished(job)
                return
            backoff = _backoff(job, err)
            log.warning("alert %s: updating its reports line failed (%s); trying again in "
                        "%.0fs", job.alert_id, err, backoff)
            self.schedule.move(job, self.clock.monotonic() + backoff)
            return
        self._finish(job, "updated", reports=len(outlets))
        self.stats.updates += 1

    def _finish(self, job: Job, status: str, **fields: Any) -> None:
        self.recorder.record(job.base, status, **fields)
        self.schedule.finished(job)


def _backoff(job: Job, err: DeliveryError) -> float:
    """Slack's Retry-After, else doubling up to a minute, with jitter so channels spread."""
    base = err.retry_after if err.retry_after else min(60.0, 2.0 ** job.failures)
    return base * random.uniform(1.0, 1.2)

"""Deciding what to post: routing, alert ids, story matching, pacing and digests.

Plain code over the in-memory ledger: given a decision it writes ledger records (intent,
duplicate, throttled) through a `Recorder` and puts `Job`s on the `Schedule`. It never
touches Kafka or Slack, so every planning rule is tested without either
(tests/test_alert_planner.py); alerts/delivery.py carries the jobs out.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from alerts.clock import Clock
from alerts.config import AlertsConfig, Route
from alerts.dedupe import StoryIndex
from alerts.events import EventIndex, signature
from alerts.feedback.book import Mute, Mutes
from alerts.corrections import edits_for
from alerts.identity import alert_id, copy_id, correction_id, digest_id, story_key
from alerts.jobs import (DIGEST_ROUTE, HISTORY_MARGIN, AlertStats, Job, Recorder, Schedule,
                         Source, attach, reports_slot)
from alerts.ledger import Entry, Ledger
from alerts.render import (AlertView, DigestItem, alert_view, clean, correction_view,
                           digest_view)
from alerts.routing import Router
from alerts.throttle import DigestBook, Throttler
from newswatch.messages import SEVERITY_ORDER, Alert, Decision

log = logging.getLogger(__name__)


class Planner:
    """Turns decisions into ledger records and scheduled posts."""

    def __init__(self, config: AlertsConfig, ledger: Ledger, recorder: Recorder,
                 schedule: Schedule, *, clock: Clock, stats: AlertStats,
                 threads: bool, updates: bool = False, mutes: Mutes | None = None) -> None:
        self.config = config
        self.ledger = ledger
        self.recorder = recorder
        self.schedule = schedule
        self.clock = clock
        self.stats = stats
        self.threads = threads and config.threading.follow_ups
        self.updates = self.threads and updates  # edit the first alert as reports arrive
        self.mutes = mutes  # stories officers muted (alerts/feedback): reports not posted
        # Edits that came while their article's alert was still waiting to be posted.
        self._waiting_edits: dict[str, list[tuple[Decision, Source]]] = {}
        self.router = Router(config)
        self.throttler = Throttler(config.throttle, clock)
        self.digests = DigestBook(config.throttle, clock)
        self.stories = StoryIndex(timedelta(minutes=config.dedupe.window_minutes),
                                  config.dedupe.title_similarity)
        ev = config.events
        self.events = EventIndex(timedelta(hours=ev.window_hours), ev.min_similarity,
                                 ev.date_tolerance_days) if ev.enabled else None
        ledger.listeners.append(self._index_story)
        ledger.listeners.append(self._on_record)
        horizon = clock.now() - max(self.stories.window, timedelta(hours=ev.window_hours))
        for entry in sorted(ledger.entries(), key=lambda e: e.opened_at or e.at):
            if (entry.opened_at or entry.at) >= horizon:
                self._index_entry(entry)

    # ---------------------------------------------------------------- decisions

    def plan(self, decision: Decision, src: Source) -> None:
        self.stats.decisions += 1
        if not (decision.categories or decision.update):
            return
        now = self.clock.now()
        if self._too_old(decision, now):
            self.stats.stale += 1
            log.debug("not alerting %s: decided %s, older than max_age_hours",
                      decision.article_id, decision.decided_at.isoformat())
            return
        edited = self._plan_edits(decision, src) if decision.update and self.threads else set()
        if not decision.categories:
            return
        self.stats.matched += 1
        routes = self.router.routes_for(decision)
        if not routes:
            self.stats.unrouted += 1
            log.debug("decision on %s (%s, %s) matches no route in alerts.yaml",
                      decision.article_id, ",".join(decision.categories), decision.severity)
            return
        story = story_key(decision.url, decision.article_id)
        for route in routes:
            if route.name not in edited:  # told in the thread of the article's alert
                self._plan_route(decision, src, route, story, now)

    def _too_old(self, decision: Decision, now: datetime) -> bool:
        """Decided longer ago than max_age_hours; for an edit, also published that long ago:
        its alert may be gone from the ledger's memory, and it must not come back as new."""
        limit = timedelta(hours=self.config.max_age_hours)
        if now - decision.decided_at > limit:
            return True
        return decision.update and decision.published_at is not None \
            and now - decision.published_at > limit

    @staticmethod
    def _base(decision: Decision, src: Source, route: str, channel: str,
              aid: str) -> dict[str, Any]:
        """What every ledger record of this alert carries."""
        return dict(alert_id=aid, article_id=decision.article_id, route=route,
                    channel=channel, decision=src.provenance,
                    ruleset_version=decision.ruleset.version, title=clean(decision.title)[:300],
                    url=decision.url, severity=decision.severity,
                    categories=tuple(decision.categories), decided_at=decision.decided_at,
                    source=decision.source, language=decision.language,
                    published_at=decision.published_at,
                    event=decision.evidence if decision.evidence.terms else None,
                    content_hash=decision.content_hash, lead=decision.lead[:400],
                    feed_id=decision.feed_id,
                    rules={m.rule_id: m.category for m in decision.matches})

    def _plan_route(self, decision: Decision, src: Source, route: Route, story: str,
                    now: datetime) -> None:
        aid = alert_id(story, route.name)
        base = self._base(decision, src, route.name, route.channel, aid)
        pending = self.schedule.get(aid)
        entry = self.ledger.get(aid)
        owner = pending.base["article_id"] if pending else (entry.article_id if entry else None)
        if owner is not None and owner != decision.article_id:
            # Another article with the same canonical URL (another feed's copy): one alert.
            self._record_copy(base, story, route.name, decision.article_id, aid,
                              self._mute(route.name, aid, story))
            return
        if pending is not None:  # the same decision again while its post is planned
            attach(pending, src)
            if decision.update and decision.content_hash != pending.base.get("content_hash"):
                # An edit before the alert is out: told in its thread once it is posted.
                self._waiting_edits.setdefault(aid, []).append((decision, src))
            return
        if entry is not None:
            self._plan_known(decision, src, route, entry, base)
            return
        original = self.stories.find(route.name, decision.title, now)
        if original is None and self.events is not None and decision.evidence.terms:
            original = self.events.find(route.name, signature(
                decision.evidence, decision.categories,
                decision.published_at or decision.decided_at), now)
        gone = self.ledger.get(original or "")
        if gone is not None and gone.status == "dead-lettered":
            original = None  # that alert never reached Slack: this report opens its own
        mute = self._mute(route.name, original, story)
        if mute is not None:  # a report of a story an officer muted: recorded, not posted
            self._record_muted(base, original, mute)
            return
        if original is not None and original != aid:
            self._plan_copy(decision, src, route, original, base)
            return
        digest = self.digests.get(route.channel)
        admission = self.throttler.admit(route.channel, digest_open=digest is not None)
        if not admission.post:
            if digest is None:
                digest = self.digests.open(route.channel, digest_id(route.channel, aid))
            digest.members.append(aid)
            self.recorder.record(base, "throttled", digest_id=digest.digest_id,
                                 error=admission.reason)
            self.stats.throttled += 1
            return
        view = alert_view(decision, alert_id=aid, route=route.name, channel=route.channel,
                          mentions=self.router.mentions(route, decision),
                          max_evidence=self.config.message.max_evidence)
        self.recorder.record(base, "intent")
        self.schedule.add(Job(admission.at, "alert", view, base, since=now - HISTORY_MARGIN,
                              planned_at=self.clock.monotonic()), src)

    def _mute(self, route: str, story: str | None, url_key: str) -> Mute | None:
        return self.mutes.muted(story=story, url_key=url_key, route=route) \
            if self.mutes else None

    def _record_muted(self, base: dict[str, Any], original: str | None, mute: Mute) -> None:
        self.recorder.record(base, "muted", duplicate_of=original, muted_by=mute.describe())
        self.stats.muted += 1

    def _record_copy(self, base: dict[str, Any], story: str, route: str, article_id: str,
                     original: str, mute: Mute | None) -> None:
        cid = copy_id(story, route, article_id)
        if cid in self.ledger:
            self.stats.already_settled += 1
            return
        if mute is not None:
            self._record_muted({**base, "alert_id": cid}, original, mute)
            return
        self.recorder.record({**base, "alert_id": cid}, "duplicate", duplicate_of=original)
        self.stats.duplicates += 1

    def _plan_known(self, decision: Decision, src: Source, route: Route, entry: Entry,
                    base: dict[str, Any]) -> None:
        """This article's alert is in the ledger: settled (a replay: nothing to do) or
        unsettled (the alerter stopped between intent and result: look, then post)."""
        if entry.final:
            self.stats.already_settled += 1
            return
        follow_up = entry.duplicate_of is not None
        mute = self._mute(route.name, entry.duplicate_of, "") if follow_up else None
        if mute is not None:  # muted since its intent: settle it as muted, post nothing
            self._record_muted({**base, "alert_id": entry.alert_id}, entry.duplicate_of, mute)
            return
        escalation = self._escalation(decision, entry.duplicate_of) if follow_up else ""
        view = alert_view(decision, alert_id=entry.alert_id, route=route.name,
                          channel=route.channel, mentions=self.router.mentions(route, decision),
                          max_evidence=self.config.message.max_evidence,
                          kind="follow-up" if follow_up else "alert", escalation=escalation)
        since = (entry.opened_at or entry.at) - HISTORY_MARGIN
        job = Job(self.throttler.reserve(route.channel), "follow-up" if follow_up else "alert",
                  view, {**base, "duplicate_of": entry.duplicate_of}, since=since,
                  planned_at=self.clock.monotonic(), reconcile=True,
                  original=entry.duplicate_of)
        log.info("alert %s has an intent without a result: looking in %s before posting",
                 entry.alert_id, route.channel)
        self.schedule.add(job, src)

    def _plan_copy(self, decision: Decision, src: Source, route: Route, original: str,
                   base: dict[str, Any]) -> None:
        """Another article of a story already alerted on this route."""
        first = self.ledger.get(original)
        threading_on = (self.threads and first is not None
                        and first.status in ("intent", "failed", "posted")
                        and first.duplicate_of is None
                        and first.article_id != decision.article_id  # moved URL, same article
                        and len(self.ledger.thread_reports(first, ("intent", "failed", "posted")))
                        < self.config.threading.max_replies)
        if threading_on:
            admission = self.throttler.admit(route.channel,
                                             digest_open=self.digests.is_open(route.channel))
            if admission.post:
                escalation = self._escalation(decision, original)
                view = alert_view(decision, alert_id=base["alert_id"], route=route.name,
                                  channel=route.channel, kind="follow-up",
                                  mentions=self.router.mentions(route, decision),
                                  max_evidence=min(2, self.config.message.max_evidence),
                                  escalation=escalation)
                self.recorder.record(base, "intent", duplicate_of=original)
                now = self.clock.now()
                self.schedule.add(Job(admission.at, "follow-up", view,
                                      {**base, "duplicate_of": original},
                                      since=now - HISTORY_MARGIN,
                                      planned_at=self.clock.monotonic(), original=original),
                                  src)
                return
        self.recorder.record(base, "duplicate", duplicate_of=original)
        self.stats.duplicates += 1

    def _plan_edits(self, decision: Decision, src: Source) -> set[str]:
        """An edit of an article with posted alerts: a correction in each alert's thread.
        Returns the routes so handled; other routes the edit matches are planned as usual."""
        routes = {r.name for r in self.router.routes_for(decision)} if decision.categories \
            else set()
        edits = edits_for(self.ledger, decision, routes)
        story = story_key(decision.url, decision.article_id)
        now = self.clock.now()
        for edit in edits:
            alert = edit.alert
            cid = correction_id(story, alert.route, decision.article_id, decision.content_hash)
            pending, known = self.schedule.get(cid), self.ledger.get(cid)
            if pending is not None:  # the same edit again while its post is planned
                attach(pending, src)
                continue
            if known is not None and known.final:
                self.stats.already_settled += 1
                continue  # this version was told already (a redelivery or a replay)
            root = alert.duplicate_of or alert.alert_id
            base = {**self._base(decision, src, alert.route, alert.channel, cid),
                    "event": None, "duplicate_of": root, "correction_of": alert.alert_id}
            mute = self._mute(alert.route, root, "")
            if mute is not None:  # an edit in a muted story: recorded, not told
                self._record_muted(base, root, mute)
                continue
            view = correction_view(decision, alert_id=cid, route=alert.route,
                                   channel=alert.channel, dropped=edit.dropped, changes=(
                                       ("headline", edit.title.removed, edit.title.added),
                                       ("lead", edit.lead.removed, edit.lead.added)))
            if known is None:
                self.recorder.record(base, "intent")
                self.stats.corrections += 1
            since = (known.opened_at or known.at) if known is not None else now
            self.schedule.add(Job(self.throttler.reserve(alert.channel), "follow-up", view,
                                  base, since=since - HISTORY_MARGIN,
                                  planned_at=self.clock.monotonic(), original=root,
                                  reconcile=known is not None), src)
        return {edit.alert.route for edit in edits}

    def _escalation(self, decision: Decision, original: str | None) -> str:
        """What a later report raises beyond the event so far (its first alert and the
        replies in the thread): a new category, or a higher severity. Empty if nothing."""
        first = self.ledger.get(original or "")
        if first is None:
            return ""
        known = [first] + [e for e in (self.ledger.get(r) for r in first.replies)
                           if e is not None and e.article_id != decision.article_id
                           and e.correction_of is None]
        categories = {c for e in known for c in e.categories}
        top = max((e.severity or "none" for e in known), key=_severity_rank)
        new = [c for c in decision.categories if c not in categories]
        if new:
            return "this report adds " + ", ".join(new)
        if _severity_rank(decision.severity) > _severity_rank(top):
            return f"severity raised from {top} to {decision.severity}"
        return ""

    # ---------------------------------------------------------------- the event's reports

    def _on_record(self, alert: Alert, entry: Entry) -> None:
        if alert.status == "posted" and alert.duplicate_of and not alert.correction_of:
            self.plan_reports(alert.duplicate_of)
        if entry.final and alert.alert_id in self._waiting_edits:
            # The alert is settled: an edit that waited for it is told in its thread now
            # (it holds its decision's offset until then: it was attached to the alert).
            for decision, src in self._waiting_edits.pop(alert.alert_id):
                self._plan_edits(decision, src)

    def plan_reports(self, parent_id: str) -> None:
        """Edit the event's first alert to list its reports. The edit shows the ledger's
        state when it runs, so one planned edit covers every reply posted before it."""
        parent = self.ledger.get(parent_id)
        if not self.updates or parent is None or parent.status != "posted" or not parent.ts:
            return
        slot = reports_slot(parent_id)
        if slot in self.schedule or len(self.ledger.thread_reports(parent)) + 1 <= parent.reports:
            return  # planned already, or it lists every posted reply (a record read back)
        base = dict(alert_id=parent_id, article_id=parent.article_id, route=parent.route,
                    channel=parent.channel, title=parent.title, url=parent.url)
        self.schedule.add(Job(self.clock.monotonic(), "update",
                              AlertView(kind="alert", alert_id=parent_id,
                                        channel=parent.channel),
                              base, since=parent.opened_at or parent.at,
                              planned_at=self.clock.monotonic(), slot=slot))

    def resume_reports(self) -> None:
        """Edits a stopped alerter left undone: a reply posted, its first alert not yet
        showing it."""
        for entry in self.ledger.entries():
            if entry.replies and entry.status == "posted":
                self.plan_reports(entry.alert_id)


    # ---------------------------------------------------------------- digests

    def next_digest_at(self) -> float | None:
        return self.digests.next_due_at()

    def open_due_digests(self, *, all_: bool = False) -> None:
        """Digests whose collection time is over become posts."""
        for digest in self.digests.due(all_=all_):
            self.digests.close(digest.channel)
            self._plan_digest(digest.digest_id, digest.channel,
                              self.ledger.members(digest.digest_id), reconcile=False)

    def resume_digests(self) -> None:
        """Held-back alerts whose digest never went out (the alerter stopped): post now."""
        for did, members in self.ledger.open_digests().items():
            if not members or did in self.schedule:
                continue
            existing = self.ledger.get(did)
            log.info("posting digest %s of %d held-back alert(s) left from a previous run",
                     did, len(members))
            self._plan_digest(did, members[0].channel, members,
                              reconcile=existing is not None)

    def _digest_reason(self) -> str:
        t = self.config.throttle
        return (f"more than {t.per_second:g}/s or {t.max_per_window} per "
                f"{t.window_seconds:g}s for this channel")

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
            self.recorder.record(base, "intent")
        since = ((existing.opened_at or existing.at) if existing else self.clock.now()) \
            - HISTORY_MARGIN
        self.schedule.add(Job(self.throttler.reserve(channel), "digest", view, base,
                              since=since, planned_at=self.clock.monotonic(),
                              reconcile=reconcile))

    # ---------------------------------------------------------------- stories

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
        if self.events is not None and entry.event is not None:
            opened = entry.opened_at or entry.at
            self.events.add(entry.route, entry.alert_id, signature(
                entry.event, entry.categories, entry.published_at or opened), opened)


def _severity_rank(severity: str) -> int:
    return SEVERITY_ORDER.get(severity, 0)

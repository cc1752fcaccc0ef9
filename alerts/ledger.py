"""The alert ledger: what the alerter intended, posted, suppressed or failed, per alert id.

Slack has no idempotency key, so this is what makes a post happen once. The ledger lives in
`newswatch.alerts` (keyed by alert id, so every record of one alert is in one partition, in
order); it is rebuilt at start-up by reading the topic to its end offsets, then followed, so
several alerter instances sharing the topic see each other's records.

Statuses: `intent` and `failed` are unsettled (the post may or may not have reached Slack:
look in the channel before posting again); `posted`, `duplicate`, `throttled`,
`dead-lettered` and `muted` (a report of a story an officer muted) are final and never
overridden by a later unsettled record.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from newswatch.broker.follow import TopicFollower
from newswatch.messages import Alert, EventEvidence
from newswatch.settings import Settings

log = logging.getLogger(__name__)

FINAL = frozenset({"posted", "duplicate", "throttled", "dead-lettered", "muted"})
UNSETTLED = frozenset({"intent", "failed"})


@dataclass
class Entry:
    """The current state of one alert id (the last record that counts)."""

    alert_id: str
    article_id: str
    route: str
    channel: str
    status: str
    at: datetime
    title: str = ""
    url: str | None = None
    ts: str | None = None
    thread_ts: str | None = None
    digest_id: str | None = None
    duplicate_of: str | None = None
    severity: str | None = None
    categories: tuple[str, ...] = ()
    attempts: int = 0
    error: str | None = None
    opened_at: datetime | None = None
    """time of the first record (the intent): where to start looking in channel history"""
    replies: set[str] = field(default_factory=set)
    source: str = ""
    language: str = ""
    published_at: datetime | None = None
    event: EventEvidence | None = None
    reports: int = 1
    """reports of the event the posted message lists (status updated records raise it)"""
    content_hash: str = ""
    lead: str = ""
    correction_of: str | None = None
    """a correction: the alert of the article that was edited"""
    ruleset_version: str = ""
    rules: dict[str, str] = field(default_factory=dict)
    feed_id: str = ""
    muted_by: str | None = None

    @property
    def final(self) -> bool:
        return self.status in FINAL


class Ledger:
    """In-memory state of the ledger topic; `apply` every record, in partition order."""

    def __init__(self) -> None:
        self._entries: dict[str, Entry] = {}
        self._members: dict[str, list[str]] = {}
        # Replies read before their first alert (the ledger is read partition by partition):
        # linked when the first alert's record arrives.
        self._early_replies: dict[str, set[str]] = {}
        self._by_article: dict[str, list[str]] = {}
        self.records = 0
        self.listeners: list[Callable[[Alert, Entry], None]] = []

    def apply(self, alert: Alert) -> Entry:
        self.records += 1
        entry = self._entries.get(alert.alert_id)
        if entry is None:
            entry = Entry(alert.alert_id, alert.article_id, alert.route, alert.channel,
                          alert.status, alert.at, alert.title, alert.url, alert.ts,
                          alert.thread_ts, alert.digest_id, alert.duplicate_of, alert.severity,
                          tuple(alert.categories), alert.attempts, alert.error,
                          opened_at=alert.at, source=alert.source, language=alert.language,
                          published_at=alert.published_at, event=alert.event,
                          content_hash=alert.content_hash, lead=alert.lead,
                          correction_of=alert.correction_of,
                          ruleset_version=alert.ruleset_version, rules=dict(alert.rules),
                          feed_id=alert.feed_id, muted_by=alert.muted_by)
            entry.replies |= self._early_replies.pop(alert.alert_id, set())
            self._entries[alert.alert_id] = entry
            self._by_article.setdefault(alert.article_id, []).append(alert.alert_id)
        elif alert.status == "updated":
            # The posted message was edited (the count of reports): it stays posted.
            entry.reports = max(entry.reports, alert.reports or 1)
        elif entry.final and alert.status not in FINAL:
            return entry  # a stale intent (replayed or late) never reopens a settled alert
        else:
            entry.status = alert.status
            entry.at = alert.at
            entry.ts = alert.ts or entry.ts
            entry.thread_ts = alert.thread_ts or entry.thread_ts
            entry.digest_id = alert.digest_id or entry.digest_id
            entry.duplicate_of = alert.duplicate_of or entry.duplicate_of
            entry.attempts = max(entry.attempts, alert.attempts)
            entry.error = alert.error
            entry.title = alert.title or entry.title
            entry.url = alert.url or entry.url
            entry.severity = alert.severity or entry.severity
            entry.categories = tuple(alert.categories) or entry.categories
            entry.source = alert.source or entry.source
            entry.language = alert.language or entry.language
            entry.published_at = alert.published_at or entry.published_at
            entry.event = alert.event or entry.event
        if alert.duplicate_of and alert.status in ("intent", "posted"):
            original = self._entries.get(alert.duplicate_of)
            if original is not None:
                original.replies.add(alert.alert_id)
            else:
                self._early_replies.setdefault(alert.duplicate_of, set()).add(alert.alert_id)
        if alert.digest_id and alert.status == "throttled":
            members = self._members.setdefault(alert.digest_id, [])
            if alert.alert_id not in members:
                members.append(alert.alert_id)
        for listener in self.listeners:
            listener(alert, entry)
        return entry

    def for_article(self, article_id: str) -> list[Entry]:
        """Every alert of this article (its alerts, copies and corrections), oldest first."""
        return [self._entries[a] for a in self._by_article.get(article_id, ())
                if a in self._entries]

    def thread_reports(self, parent: Entry,
                       statuses: tuple[str, ...] = ("posted",)) -> list[Entry]:
        """Other outlets' reports in the thread of `parent` (not its corrections), in the
        order they were opened, whose status is one of `statuses`."""
        found = [e for e in (self._entries.get(r) for r in parent.replies)
                 if e is not None and e.status in statuses and e.correction_of is None]
        return sorted(found, key=lambda e: e.opened_at or e.at)

    def get(self, alert_id: str) -> Entry | None:
        return self._entries.get(alert_id)

    def __contains__(self, alert_id: object) -> bool:
        return alert_id in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def entries(self) -> list[Entry]:
        return list(self._entries.values())

    def members(self, digest_id: str) -> list[Entry]:
        """A digest's held-back alerts in the order they were held back: the same in every
        instance, whatever order the ledger's partitions were read in (a mark names an item
        by its place in the digest)."""
        found = [self._entries[a] for a in self._members.get(digest_id, ()) if a in self._entries]
        return sorted(found, key=lambda e: (e.opened_at or e.at, e.alert_id))

    def open_digests(self) -> dict[str, list[Entry]]:
        """Digests with held-back members but no final record of their own."""
        out = {}
        for digest_id, ids in self._members.items():
            digest = self._entries.get(digest_id)
            if digest is None or not digest.final:
                out[digest_id] = self.members(digest_id)
        return out

    def forget_before(self, horizon: datetime) -> int:
        """Drop settled alerts last touched before `horizon`; returns how many.

        Safe because decisions older than max_age_hours are never alerted: an alert id
        whose last record is older than that cannot come up again (the caller adds a margin
        for clock skew). Keeps a long-retention ledger from growing without bound in memory.
        """
        old = [a for a, e in self._entries.items() if e.final and e.at < horizon]
        for aid in old:
            entry = self._entries.pop(aid)
            ids = self._by_article.get(entry.article_id)
            if ids is not None:
                ids.remove(aid)
                if not ids:
                    del self._by_article[entry.article_id]
        for did in [d for d in self._members if d not in self._entries or
                    self._entries[d].final]:
            if all(m not in self._entries for m in self._members[did]):
                del self._members[did]
        for parent in [p for p, ids in self._early_replies.items()
                       if all(r not in self._entries for r in ids)]:
            del self._early_replies[parent]  # their first alert was forgotten or never came
        return len(old)

    def unsettled(self) -> list[Entry]:
        return [e for e in self._entries.values() if e.status in UNSETTLED]


class LedgerReader(TopicFollower):
    """Reads the ledger topic outside any consumer group: all of it, then what is new."""

    what = "the alert ledger"

    def __init__(self, settings: Settings, topic: str, ledger: Ledger) -> None:
        self.ledger = ledger
        super().__init__(settings, topic, Alert, ledger.apply,  # type: ignore[arg-type]
                         client_id="newswatch-alert-ledger")

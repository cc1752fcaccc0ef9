"""`newswatch audit ARTICLE_ID`: everything the topics know about one article.

Read from the topics alone: the article as collected (every version), every decision on it
with the exact ruleset behind it (from the compacted rulesets topic), and every ledger record
of every alert for it. Articles and decisions are keyed by article id, so only one partition
of each is scanned; the alert ledger is keyed by alert id and is scanned whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from newswatch.broker.history import from_ms, history_consumer, read_all, read_key
from newswatch.errors import DecodeError, InputError
from newswatch.messages import (Alert, Article, Decision, Mark, Provenance, RulesetRecord,
                                decode)
from newswatch.settings import Settings
from newswatch.topics import Topics


@dataclass(frozen=True)
class Found:
    """A record with where and when Kafka stored it."""

    record: object
    where: Provenance
    at: datetime | None


@dataclass
class AuditReport:
    article_id: str
    articles: list[Found] = field(default_factory=list)
    decisions: list[Found] = field(default_factory=list)
    rulesets: dict[str, RulesetRecord] = field(default_factory=dict)
    alerts: list[Found] = field(default_factory=list)
    event: list[Found] = field(default_factory=list)
    """every ledger record of the event the article's alerts belong to: the first alert and
    the reports in its thread (other outlets, other languages)"""
    marks: list[Found] = field(default_factory=list)
    """officers' marks on the article's alerts, and mutes of the stories they belong to"""
    unreadable: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.articles or self.decisions or self.alerts)

    def alerts_by_id(self) -> dict[str, list[Found]]:
        grouped: dict[str, list[Found]] = {}
        for found in self.alerts:
            grouped.setdefault(found.record.alert_id, []).append(found)
        return grouped


def _decoded(records, report: AuditReport, want: type):
    for rec in records:
        where = Provenance(topic=rec.topic, partition=rec.partition, offset=rec.offset)
        try:
            record = decode(rec.value)
        except DecodeError as exc:
            report.unreadable.append(f"{rec.topic}:{rec.partition}@{rec.offset}: {exc}")
            continue
        if isinstance(record, want):
            yield Found(record, where, from_ms(rec.timestamp))


def audit(settings: Settings, article_id: str) -> AuditReport:
    """Collect the article's history; InputError when no topic knows the id."""
    topics = Topics.from_settings(settings)
    report = AuditReport(article_id)
    consumer = history_consumer(settings)
    try:
        report.articles = list(_decoded(read_key(consumer, topics.articles, article_id),
                                        report, Article))
        report.decisions = list(_decoded(read_key(consumer, topics.decisions, article_id),
                                         report, Decision))
        wanted = {f.record.ruleset.version for f in report.decisions}
        if wanted:
            for found in _decoded(read_all(consumer, topics.rulesets), report, RulesetRecord):
                if found.record.version in wanted:
                    report.rulesets[found.record.version] = found.record
        every = list(_decoded(read_all(consumer, topics.alerts), report, Alert))
        report.alerts = [f for f in every if f.record.article_id == article_id]
        roots = {f.record.duplicate_of or f.record.alert_id for f in report.alerts
                 if f.record.status != "duplicate"}
        report.event = [f for f in every if f.record.status != "duplicate" and (
            f.record.alert_id in roots or f.record.duplicate_of in roots)]
        mine = {f.record.alert_id for f in report.alerts} | roots
        report.marks = [f for f in _decoded(read_all(consumer, topics.feedback), report, Mark)
                        if f.record.alert_id in mine or f.record.story in mine
                        or f.record.article_id == article_id]
    finally:
        consumer.close()
    if report.empty:
        raise InputError(
            f"no article, decision or alert with id {article_id!r} in {topics.articles}, "
            f"{topics.decisions} or {topics.alerts}",
            fix="check the id (it is shown in every alert) and NEWSWATCH_TOPIC_PREFIX; records "
                "older than the topics' retention are gone",
        )
    return report

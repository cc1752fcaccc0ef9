"""Every topic, declared once with its record type, key and retention.

Stages talk to each other only through these topics. `Topics(prefix)` gives the concrete
names: with NEWSWATCH_TOPIC_PREFIX=`staging-`, `articles` is `staging-newswatch.articles`.
"""

from __future__ import annotations

from dataclasses import dataclass

from newswatch.messages import (Alert, Article, DeadLetter, Decision, Mark, Record,
                                 RulesetRecord)
from newswatch.settings import Settings

DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True)
class TopicSpec:
    """What a topic holds and how long. `partitions=None` means settings.topic_partitions."""

    key: str
    base_name: str
    record: type[Record]
    keyed_by: str
    partitions: int | None
    retention: str  # "audit", "deadletter" or "compact"
    doc: str

    def name(self, prefix: str = "") -> str:
        return f"{prefix}{self.base_name}"

    def configs(self, settings: Settings) -> dict[str, str]:
        """Topic configs `topics create` sets and verifies."""
        if self.retention == "compact":
            return {"cleanup.policy": "compact", "retention.ms": "-1"}
        days = (settings.audit_retention_days if self.retention == "audit"
                else settings.deadletter_retention_days)
        return {"cleanup.policy": "delete", "retention.ms": str(-1 if days < 0 else days * DAY_MS)}

    def partition_count(self, settings: Settings) -> int:
        return self.partitions or settings.topic_partitions


ARTICLES = TopicSpec("articles", "newswatch.articles", Article, "article id", None, "audit",
                     "every article collected, every version")
DECISIONS = TopicSpec("decisions", "newswatch.decisions", Decision, "article id", None, "audit",
                      "one decision per article per ruleset, matched or not")
ALERTS = TopicSpec("alerts", "newswatch.alerts", Alert, "alert id", 3, "audit",
                   "the alert ledger: every intent, post, suppression and failure")
DEADLETTER = TopicSpec("deadletter", "newswatch.deadletter", DeadLetter, "source key", 1,
                       "deadletter", "records that could not be processed, with the reason")
RULESETS = TopicSpec("rulesets", "newswatch.rulesets", RulesetRecord, "version hash", 1,
                     "compact", "every ruleset a processor used, by version hash")

FEEDBACK = TopicSpec("feedback", "newswatch.feedback", Mark, "alert id + user (mutes: story)",
                     1, "compact", "officers' marks on alerts from Slack: relevant, not "
                     "relevant, wrong category, mute")

ALL: tuple[TopicSpec, ...] = (ARTICLES, DECISIONS, ALERTS, DEADLETTER, RULESETS, FEEDBACK)


@dataclass(frozen=True)
class Topics:
    """Concrete topic names for one pipeline (one prefix)."""

    prefix: str = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> "Topics":
        return cls(settings.topic_prefix)

    @property
    def articles(self) -> str:
        return ARTICLES.name(self.prefix)

    @property
    def decisions(self) -> str:
        return DECISIONS.name(self.prefix)

    @property
    def alerts(self) -> str:
        return ALERTS.name(self.prefix)

    @property
    def deadletter(self) -> str:
        return DEADLETTER.name(self.prefix)

    @property
    def rulesets(self) -> str:
        return RULESETS.name(self.prefix)

    @property
    def feedback(self) -> str:
        return FEEDBACK.name(self.prefix)

    def all(self) -> list[str]:
        return [spec.name(self.prefix) for spec in ALL]

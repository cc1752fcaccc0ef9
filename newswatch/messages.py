"""Message contracts: one frozen record type per topic, JSON on the wire.

Every record carries a `schema` field (`newswatch.article/1`, ...). Readers look the schema up
in `SCHEMAS` and refuse unknown ones with a `DecodeError`, so an old record stays readable when
a format grows (add `/2` next to `/1`, never change `/1` in place).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Annotated, Any, ClassVar, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from newswatch.errors import DecodeError


def _to_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


UtcDatetime = Annotated[datetime, AfterValidator(_to_utc)]
"""A datetime that is always timezone-aware UTC (naive input is taken as UTC)."""

Severity = Literal["none", "low", "medium", "high", "critical"]
SEVERITY_ORDER: dict[str, int] = {"none": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
Category = Literal["cooperation", "dispute", "drills"]
CATEGORIES: tuple[str, ...] = ("cooperation", "dispute", "drills")
AlertStatus = Literal["intent", "posted", "duplicate", "throttled", "failed", "dead-lettered",
                      "updated", "muted"]
MarkAction = Literal["relevant", "not-relevant", "wrong-category", "mute", "unmute"]
MARK_ACTIONS: tuple[str, ...] = ("relevant", "not-relevant", "wrong-category", "mute", "unmute")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Record(BaseModel):
    """Base of every message. Subclasses set `SCHEMA` and declare `schema` as that literal."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    SCHEMA: ClassVar[str]

    def to_json(self) -> bytes:
        return self.model_dump_json(by_alias=True).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes | str) -> "Record":
        record = decode(data)
        if not isinstance(record, cls):
            raise DecodeError(
                f"expected schema {cls.SCHEMA!r}, got {record.SCHEMA!r}",
                fix="check that the record was read from the right topic",
            )
        return record


class Article(Record):
    SCHEMA: ClassVar[str] = "newswatch.article/1"
    schema_: Literal["newswatch.article/1"] = Field("newswatch.article/1", alias="schema")
    id: str
    feed_id: str
    source: str
    url: str | None = None
    guid: str | None = None
    title: str = ""
    summary: str = ""
    content: str = ""
    language: str = "en"
    tags: tuple[str, ...] = ()
    published_at: UtcDatetime | None = None
    fetched_at: UtcDatetime
    content_hash: str
    update: bool = Field(False, description="True when this is an edit of an article "
                         "already produced (same id, new content_hash).")

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


class Match(BaseModel):
    """One piece of evidence: which rule matched what, where, in which sentence."""

    model_config = ConfigDict(frozen=True)
    rule_id: str
    category: str
    text: str
    field: Literal["title", "summary", "content", "text"]
    start: int = Field(description="character offset of the match in the field")
    end: int
    sentence: str


class EventEvidence(BaseModel):
    """What an article's event is, in terms that do not depend on its language: the rules'
    term lists it contains (독도, 竹島 and Dokdo all belong to `dokdo`) and the dates,
    weekdays and numbers it gives. The alerter joins reports of one event with it."""

    model_config = ConfigDict(frozen=True)
    terms: tuple[str, ...] = ()
    dates: tuple[str, ...] = Field((), description='"YYYY-MM-DD", "MM-DD", or "--DD" for a '
                                   'day of the month alone, as written')
    weekdays: tuple[int, ...] = Field((), description="0 = Monday")
    numbers: tuple[str, ...] = ()


class RulesetRef(BaseModel):
    model_config = ConfigDict(frozen=True)
    name: str
    version: str = Field(description="hash of the rules file that produced the decision")


class Provenance(BaseModel):
    """Where a derived record's input sat in Kafka."""

    model_config = ConfigDict(frozen=True)
    topic: str
    partition: int
    offset: int


class Decision(Record):
    SCHEMA: ClassVar[str] = "newswatch.decision/1"
    schema_: Literal["newswatch.decision/1"] = Field("newswatch.decision/1", alias="schema")
    article_id: str
    title: str = ""
    url: str | None = None
    source: str = ""
    feed_id: str = ""
    tags: tuple[str, ...] = ()
    published_at: UtcDatetime | None = None
    content_hash: str = ""
    ruleset: RulesetRef
    categories: tuple[str, ...] = ()
    severity: Severity = "none"
    score: float = 0.0
    matches: tuple[Match, ...] = ()
    decided_at: UtcDatetime
    input: Provenance | None = None
    language: str = ""
    update: bool = Field(False, description="the article is an edit of one decided before")
    evidence: EventEvidence = Field(default_factory=EventEvidence, description=(
        "filled for matched articles only"))
    lead: str = Field("", description="the start of the article's summary or text (matched "
                      "articles and edits only): what a correction in the thread compares")

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    @property
    def matched(self) -> bool:
        return bool(self.categories)


class Alert(Record):
    """One line of the alert ledger: an intent, a result, or a suppression."""

    SCHEMA: ClassVar[str] = "newswatch.alert/1"
    schema_: Literal["newswatch.alert/1"] = Field("newswatch.alert/1", alias="schema")
    alert_id: str
    article_id: str
    route: str
    channel: str
    status: AlertStatus
    decision: Provenance | None = None
    ruleset_version: str = ""
    title: str = ""
    url: str | None = None
    ts: str | None = Field(None, description="Slack message ts, where posted")
    thread_ts: str | None = None
    attempts: int = 0
    error: str | None = None
    duplicate_of: str | None = None
    at: UtcDatetime
    # Optional, added later (old records read with the defaults):
    severity: Severity | None = Field(None, description="the decision's severity")
    categories: tuple[str, ...] = Field((), description="the decision's categories")
    digest_id: str | None = Field(None, description="status throttled: the digest (an "
                                  "alert id) that lists this alert")
    throttle_wait_ms: float | None = Field(None, description="status posted: how long the "
                                           "per-channel rate limit held the post back")
    source: str = Field("", description="the outlet (from the feed)")
    language: str = ""
    published_at: UtcDatetime | None = None
    event: EventEvidence | None = Field(None, description="the decision's event evidence: "
                                        "what later reports of the same event are joined by")
    reports: int | None = Field(None, description="status updated: how many reports of the "
                                "event the posted alert now lists (itself and its thread)")
    content_hash: str = Field("", description="the version of the article the alert shows")
    lead: str = ""
    correction_of: str | None = Field(None, description="a correction posted in the thread: "
                                      "the alert of the article that was edited")
    rules: dict[str, str] = Field(default_factory=dict, description="the rules that fired, "
                                  "rule id -> category (what officers' marks are scored by)")
    feed_id: str = ""
    muted_by: str | None = Field(None, description="status muted: the officer who muted the "
                                 "story (a Slack user id) and when, as 'U123 at <time>'")

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


class Mark(Record):
    """An officer's mark on an alert, from a Slack button: a labelled example.

    Judgements (relevant, not relevant, wrong category) are keyed by alert id and user in a
    compacted topic, so an officer who changes their mind leaves one mark. Mutes and unmutes
    are keyed by the story (the alert that opened it), so the last word on a story stays.
    The alert's facts are copied in at the click, so a report needs no other topic.
    """

    SCHEMA: ClassVar[str] = "newswatch.mark/1"
    schema_: Literal["newswatch.mark/1"] = Field("newswatch.mark/1", alias="schema")
    alert_id: str
    user: str = Field(description="Slack user id of the officer (from the verified request)")
    action: MarkAction
    category: str | None = Field(None, description="wrong-category: the category it should "
                                 "have had")
    at: UtcDatetime
    story: str = Field("", description="the alert that opened the story (mutes apply to it)")
    story_url: str = Field("", description="the canonical URL of the story's first article")
    article_id: str = ""
    content_hash: str = Field("", description="the version of the article the alert showed")
    route: str = ""
    channel: str = ""
    message_ts: str | None = None
    ruleset_version: str = ""
    categories: tuple[str, ...] = Field((), description="what the alert raised")
    rules: dict[str, str] = Field(default_factory=dict, description="rule id -> category")
    feed_id: str = ""
    source: str = ""
    language: str = ""
    title: str = ""
    via: Literal["slack", "cli"] = "slack"

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    @property
    def key(self) -> str:
        """The compaction key: one judgement per alert and officer, one mute state per story."""
        if self.action in ("mute", "unmute"):
            return f"mute:{self.story or self.alert_id}"
        return f"{self.alert_id}:{self.user}"


class DeadLetter(Record):
    """A record some stage could not handle, kept with its origin and the reason."""

    SCHEMA: ClassVar[str] = "newswatch.deadletter/1"
    schema_: Literal["newswatch.deadletter/1"] = Field("newswatch.deadletter/1", alias="schema")
    stage: str
    reason: str
    source: Provenance | None = None
    key: str | None = None
    value: str = Field("", description="the original value, decoded as UTF-8 with "
                       "replacement characters where it was not valid UTF-8")
    at: UtcDatetime

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


class RulesetRecord(Record):
    """A ruleset a processor used, keyed by version hash in a compacted topic."""

    SCHEMA: ClassVar[str] = "newswatch.ruleset/1"
    schema_: Literal["newswatch.ruleset/1"] = Field("newswatch.ruleset/1", alias="schema")
    name: str
    version: str
    source_path: str = ""
    text: str
    recorded_at: UtcDatetime

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


class DecisionHeader(BaseModel):
    """The part of a decision record that replay compares (no matches, no titles): read by
    pydantic's JSON parser alone, several times faster than a whole Decision."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)
    SCHEMA: ClassVar[str] = "newswatch.decision/1"
    schema_: Literal["newswatch.decision/1"] = Field("newswatch.decision/1", alias="schema")
    article_id: str
    content_hash: str = ""
    ruleset: RulesetRef
    categories: tuple[str, ...] = ()
    input: Provenance | None = None


SCHEMAS: dict[str, type[Record]] = {
    cls.SCHEMA: cls for cls in (Article, Decision, Alert, Mark, DeadLetter, RulesetRecord)
}


def decode(data: bytes | str | None) -> Record:
    """Parse one record of any known schema; every failure is a DecodeError with the cause."""
    if data is None:
        raise DecodeError("empty record (tombstone)", fix="producers never send null values")
    try:
        obj: Any = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DecodeError(f"not JSON: {exc}", fix="only newswatch producers may write here") from None
    if not isinstance(obj, dict):
        raise DecodeError(f"expected a JSON object, got {type(obj).__name__}")
    name = obj.get("schema")
    cls = SCHEMAS.get(name) if isinstance(name, str) else None
    if cls is None:
        raise DecodeError(
            f"unknown schema {name!r}; known: {', '.join(sorted(SCHEMAS))}",
            fix="upgrade newswatch if a newer version wrote this record",
        )
    try:
        return cls.model_validate(obj)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "record"
        raise DecodeError(f"{name}: {where}: {err['msg']} ({exc.error_count()} error(s))") from None


R = TypeVar("R", bound=BaseModel)


def decode_as(cls: type[R], data: bytes | str | None) -> R:
    """Parse a record expected to be a `cls` (a Record, or a view such as DecisionHeader) in
    one pass of pydantic's JSON parser: the hot path of replay. Anything else is explained
    by `decode`, as a DecodeError with the cause."""
    if data is not None:
        try:
            return cls.model_validate_json(data)
        except ValueError:  # ValidationError included: decode() says why
            pass
    record = decode(data)
    if isinstance(record, cls):
        return record
    raise DecodeError(f"expected {getattr(cls, 'SCHEMA', cls.__name__)}, got {record.SCHEMA}",
                      fix="read this topic with the record type it holds")

"""`config/alerts.yaml`: routes, mentions, de-duplication, throttling, threading, delivery.

Loaded once through `newswatch.configfile.load_model`, so every problem is reported with file,
line and a fix. Mentions are configured here by the officers and only here: nothing in a feed
can make the alerter ping anyone.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from newswatch.configfile import load_model
from newswatch.messages import SEVERITY_ORDER, Category, Severity
from newswatch.settings import Settings

FILE_NAME = "alerts.yaml"

_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,20}$")
_CHANNEL_NAME = re.compile(r"^#[a-z0-9][a-z0-9._-]{0,79}$")
_GROUP_ID = re.compile(r"^S[A-Z0-9]{6,20}$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{6,20}$")
_ROUTE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def _channel(value: str) -> str:
    if _CHANNEL_ID.match(value) or _CHANNEL_NAME.match(value):
        return value
    raise PydanticCustomError(
        "value_error", "'{value}' is not a Slack channel",
        {"value": value, "fix": "use the channel ID (C0123ABCD, from the channel's details) or "
                                "its name with '#', lowercase (#watch-dispute)"})


def _mention(value: str) -> str:
    if value in ("here", "channel") or _GROUP_ID.match(value) or _USER_ID.match(value):
        return value
    raise PydanticCustomError(
        "value_error", "'{value}' is not something Slack can mention",
        {"value": value, "fix": "use a user group ID (S0123ABCD), a user ID (U0123ABCD), "
                                "'here' or 'channel'"})


def _route_name(value: str) -> str:
    if _ROUTE_NAME.match(value):
        return value
    raise PydanticCustomError(
        "value_error", "route name '{value}' is not allowed",
        {"value": value, "fix": "use lowercase letters, digits, '-' and '_' (it is part of "
                                "every alert id, so keep it stable)"})


Channel = Annotated[str, AfterValidator(_channel)]
MentionTarget = Annotated[str, AfterValidator(_mention)]
RouteName = Annotated[str, AfterValidator(_route_name)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RouteMatch(_Model):
    """Which decisions a route takes. Every list given must match (any of its items);
    an empty or missing list places no condition."""

    categories: tuple[Category, ...] = ()
    min_severity: Severity = "low"
    rules: tuple[str, ...] = Field((), description="rule ids; any of them among the matches")
    feeds: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


class MentionRule(_Model):
    """Mention these targets on alerts at or above `min_severity`."""

    min_severity: Severity
    mention: tuple[MentionTarget, ...]

    @field_validator("mention")
    @classmethod
    def _not_empty(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        # An after-validator: runs only when every item was valid, so one mistake gives
        # one message.
        if not value:
            raise PydanticCustomError("value_error", "mention lists nobody",
                                      {"fix": "name at least one target, or remove the rule"})
        return value


class Route(_Model):
    name: RouteName
    channel: Channel
    match: RouteMatch = RouteMatch()
    mentions: tuple[MentionRule, ...] | None = Field(
        None, description="replaces the top-level mentions for this route; [] mentions nobody")


class Dedupe(_Model):
    """One alert per story and route: same canonical URL, or a near-identical title inside
    the window."""

    window_minutes: int = Field(360, ge=1, le=7 * 24 * 60)
    title_similarity: float = Field(0.8, ge=0.5, le=1.0, description="Jaccard similarity of "
                                    "the titles' character trigrams that counts as the same story")


class Throttle(_Model):
    """Per-channel pacing (Slack allows about one message per second per channel) and
    digests for bursts."""

    per_second: float = Field(1.0, gt=0, le=100)
    burst: int = Field(3, ge=1, le=20)
    max_wait_seconds: float = Field(3.0, ge=0, le=60, description="an alert that would wait "
                                    "longer than this for its channel goes into a digest")
    max_per_window: int = Field(20, ge=1, le=1000)
    window_seconds: float = Field(60, gt=0, le=3600)
    digest_after_seconds: float = Field(60, ge=0, le=3600, description="a digest is posted "
                                        "this long after its first held-back alert")
    digest_max_items: int = Field(15, ge=1, le=40)


class Threading(_Model):
    follow_ups: bool = Field(True, description="post later copies of a story in the thread "
                             "of its first alert (otherwise they are only recorded as "
                             "duplicates in the ledger)")
    max_replies: int = Field(5, ge=0, le=100)


class Events(_Model):
    """Reports of one event from other outlets and languages join its alert (alerts/events.py):
    close in time, a shared category, no conflicting day named, and enough of the rules'
    term lists in common (each weighted by how rare it is among the open stories)."""

    enabled: bool = Field(True, description="false: only the same URL or a near-identical "
                          "title joins an alert")
    window_hours: float = Field(36, gt=0, le=7 * 24, description="reports published further "
                                "apart than this are different events")
    min_similarity: float = Field(0.5, gt=0, le=1.2, description="how much of the shorter "
                                  "report's weighted evidence the two must share (0..1, plus "
                                  "0.15 when both name days that agree and 0.1 for a shared "
                                  "number)")
    date_tolerance_days: int = Field(0, ge=0, le=7, description="days named this far apart "
                                     "still agree (1 if feeds give dates in other time zones)")


class MessageOptions(_Model):
    max_evidence: int = Field(5, ge=1, le=10)


class Delivery(_Model):
    """Retries inside one post. Slack down for longer: the alerter backs off and keeps the
    decision uncommitted until the post is made."""

    timeout_seconds: float = Field(10, gt=0, le=120)
    rate_limit_retries: int = Field(5, ge=0, le=20)
    max_retry_after_seconds: float = Field(30, ge=1, le=120, description="a longer "
                                           "Retry-After is waited out by the alerter's own "
                                           "backoff instead of inside one request")
    server_error_retries: int = Field(3, ge=0, le=20)
    connection_retries: int = Field(3, ge=0, le=20)


class AlertsConfig(_Model):
    routes: tuple[Route, ...]
    mentions: tuple[MentionRule, ...] = ()
    dedupe: Dedupe = Dedupe()
    throttle: Throttle = Throttle()
    threading: Threading = Threading()
    events: Events = Events()
    message: MessageOptions = MessageOptions()
    delivery: Delivery = Delivery()
    max_age_hours: float = Field(72, gt=0, description="decisions older than this "
                                 "(decided_at) are not alerted: a consumer reset or a long "
                                 "outage must not flood the channels with old news")

    @field_validator("routes")
    @classmethod
    def _unique_routes(cls, routes: tuple[Route, ...]) -> tuple[Route, ...]:
        if not routes:
            raise PydanticCustomError("value_error", "no routes: no alert would go anywhere",
                                      {"fix": "add at least one route with a channel"})
        seen: set[str] = set()
        for route in routes:
            if route.name in seen:
                raise PydanticCustomError(
                    "value_error", "route name '{name}' is used twice",
                    {"name": route.name, "fix": "give every route its own name: it is part "
                                                "of every alert id"})
            seen.add(route.name)
        return routes

    def mentions_for(self, route: Route, severity: str) -> tuple[str, ...]:
        """Every target whose rule covers `severity`, in config order, without repeats."""
        rules = self.mentions if route.mentions is None else route.mentions
        level = SEVERITY_ORDER.get(severity, 0)
        out: list[str] = []
        for rule in rules:
            if level >= SEVERITY_ORDER[rule.min_severity]:
                out.extend(t for t in rule.mention if t not in out)
        return tuple(out)


def load_config(path: Path) -> AlertsConfig:
    return load_model(path, AlertsConfig)


def load_from_settings(settings: Settings) -> AlertsConfig:
    return load_config(settings.config_file(FILE_NAME))

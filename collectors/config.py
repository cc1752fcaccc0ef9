"""`config/feeds.yaml`: which feeds to poll, how often, and the limits that keep polling safe.

Loaded once through `newswatch.configfile`, so every problem names the file, the line and the
fix. Durations are seconds or `30s`/`15m`/`2h`/`1d`; sizes are bytes or `512KB`/`10MB`.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from newswatch.configfile import ConfigFileError, Problem, parse_yaml, validate
from newswatch.settings import Settings

FILE_NAME = "feeds.yaml"

_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_TAG = re.compile(r"^[a-z0-9][a-z0-9._-]{0,39}$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$")
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$", re.IGNORECASE)
_DURATION_UNITS = {None: 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
_SIZE_UNITS = {None: 1, "b": 1, "kb": 1024, "mb": 1024 ** 2, "gb": 1024 ** 3}


def _duration(value: object) -> object:
    """'15m' -> 900.0; numbers pass through for pydantic to check."""
    if isinstance(value, str):
        match = _DURATION.match(value)
        if not match:
            raise PydanticCustomError("value_error", "'{value}' is not a duration",
                                      {"value": value, "fix": "write seconds (90) or a number "
                                       "with s, m, h or d (30s, 15m, 2h, 1d)"})
        return float(match.group(1)) * _DURATION_UNITS[match.group(2)]
    return value


def _size(value: object) -> object:
    if isinstance(value, str):
        match = _SIZE.match(value)
        if not match:
            raise PydanticCustomError("value_error", "'{value}' is not a size",
                                      {"value": value, "fix": "write bytes (1048576) or a "
                                       "number with KB, MB or GB (512KB, 10MB)"})
        return int(float(match.group(1)) * _SIZE_UNITS[(match.group(2) or "b").lower()])
    return value


def _human(value: float, unit: str) -> str:
    if unit == "s":
        for size, name in ((86400, "d"), (3600, "h"), (60, "m")):
            if value >= size and value % size == 0:
                return f"{value / size:g}{name}"
        return f"{value:g}s"
    if unit == "B":
        for size, name in ((1024 ** 2, "MB"), (1024, "KB")):
            if value >= size and value % size == 0:
                return f"{value / size:g}{name}"
    return f"{value:g}"


def between(low: float, high: float, unit: str = "", why: str = "") -> AfterValidator:
    """A range check whose error says the allowed range (pydantic's says only one bound)."""

    def check(value: float) -> float:
        if low <= value <= high:
            return value
        allowed = f"use a value from {_human(low, unit)} to {_human(high, unit)}"
        raise PydanticCustomError("value_error", "{value} is out of range",
                                  {"value": _human(value, unit),
                                   "fix": f"{allowed}{' (' + why + ')' if why else ''}"})

    return AfterValidator(check)


Seconds = Annotated[float, BeforeValidator(_duration)]
Bytes = Annotated[int, BeforeValidator(_size)]
Interval = Annotated[Seconds, between(60, 7 * 86400, "s", "polite polling: at most once a minute")]


class Limits(BaseModel):
    """How hard the collector may push, and how long it waits for a bad server."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    concurrency: Annotated[int, between(1, 256)] = Field(
        16, description="feeds fetched at once, in total")
    per_host: Annotated[int, between(1, 64)] = Field(
        2, description="feeds fetched at once from one host")
    connect_timeout: Annotated[Seconds, between(0.1, 60, "s")] = 5.0
    read_timeout: Annotated[Seconds, between(0.1, 120, "s")] = Field(
        10.0, description="longest wait for the next bytes of a response")
    deadline: Annotated[Seconds, between(0.5, 600, "s")] = Field(
        30.0, description="longest a whole fetch may take, redirects included")
    max_bytes: Annotated[Bytes, between(1024, 256 * 1024 ** 2, "B")] = Field(
        10 * 1024 ** 2, description="largest body accepted, counted after decompression")
    max_redirects: Annotated[int, between(0, 20)] = 5
    backoff_cap: Annotated[Seconds, between(60, 7 * 86400, "s")] = Field(
        6 * 3600.0, description="longest wait between retries of a failing feed")
    gone_recheck: Annotated[Seconds, between(3600, 30 * 86400, "s")] = Field(
        86400.0, description="how often a feed that answered 410 is checked")
    max_retry_after: Annotated[Seconds, between(60, 7 * 86400, "s")] = Field(
        86400.0, description="longest Retry-After honoured")


def _check_url(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PydanticCustomError("value_error", "'{value}' is not an http(s) URL",
                                  {"value": value, "fix": "use a full http:// or https:// URL; "
                                   "other schemes (file, ftp, feed) are refused"})
    return value.strip()


def _check_id(value: str) -> str:
    if not _ID.match(value):
        raise PydanticCustomError("value_error", "feed id '{value}' is not allowed",
                                  {"value": value, "fix": "use lowercase letters, digits, '.', "
                                   "'-' and '_' (it is stored with every article: keep it "
                                   "stable)"})
    return value


def _check_language(value: str) -> str:
    if not _LANGUAGE.match(value):
        raise PydanticCustomError("value_error", "'{value}' is not a language code",
                                  {"value": value, "fix": "use an ISO 639 code such as en, ko, "
                                   "ja (optionally with a region: en-US)"})
    return value


def _check_tag(value: str) -> str:
    if not _TAG.match(value):
        raise PydanticCustomError("value_error", "tag '{value}' is not allowed",
                                  {"value": value, "fix": "use lowercase letters, digits, '.', "
                                   "'-' and '_'"})
    return value


def _check_type(value: str) -> str:
    from collectors.sources import SOURCES

    if value not in SOURCES:
        raise PydanticCustomError("value_error", "unknown feed type '{value}'",
                                  {"value": value, "fix": f"use one of: "
                                   f"{', '.join(SOURCES.names())}"})
    return value


class Feed(BaseModel):
    """One feed. `interval` defaults to the file's `default_interval`."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: Annotated[str, AfterValidator(_check_id)]
    url: Annotated[str, AfterValidator(_check_url)]
    name: str | None = Field(None, max_length=200,
                             description="source name shown in alerts; default: feed title")
    type: Annotated[str, AfterValidator(_check_type)] = "rss"
    interval: Interval | None = None
    language: Annotated[str, AfterValidator(_check_language)] = "en"
    tags: tuple[Annotated[str, AfterValidator(_check_tag)], ...] = ()
    enabled: bool = True

    @property
    def host(self) -> str:
        return (urlsplit(self.url).hostname or "").lower()


class FeedsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    allow_private_networks: bool = Field(
        False, description="let feeds on private, loopback and link-local addresses through "
        "(the demo and tests set it; production leaves it off)")
    default_interval: Interval = 900.0
    user_agent: str = Field("newswatch/0.1 (news monitoring; polite RSS poller)",
                            min_length=1, max_length=200)
    seen_retention_days: Annotated[int, between(7, 3650)] = Field(
        180, description="how long an article id is remembered after it last appeared in a "
        "feed")
    limits: Limits = Limits()
    feeds: tuple[Feed, ...] = ()

    def interval(self, feed: Feed) -> float:
        return feed.interval if feed.interval is not None else self.default_interval

    @property
    def enabled_feeds(self) -> tuple[Feed, ...]:
        return tuple(f for f in self.feeds if f.enabled)

    def shard(self, index: int, count: int) -> "FeedsConfig":
        """The feeds instance `index` of `count` polls (0-based): each feed goes to exactly
        one instance, chosen by a hash of its id, so the split survives reordering the file
        and adding a feed moves no other feed."""
        if not 0 <= index < count:
            raise ValueError(f"shard {index} of {count}")
        keep = tuple(f for f in self.feeds
                     if int(hashlib.sha256(f.id.encode()).hexdigest()[:8], 16) % count == index)
        return self.model_copy(update={"feeds": keep})

    def feed(self, feed_id: str) -> Feed:
        for feed in self.feeds:
            if feed.id == feed_id:
                return feed
        raise KeyError(feed_id)


def _duplicates(path: Path, config: FeedsConfig, lines: dict[tuple, int]) -> list[Problem]:
    """Ids and URLs must be unique; YAML and pydantic cannot say so with a line number."""
    problems = []
    for key, fix in (("id", "give every feed its own id"),
                     ("url", "list each feed once (tags can carry several labels)")):
        first: dict[str, int] = {}
        for i, feed in enumerate(config.feeds):
            value = getattr(feed, key)
            if value in first:
                problems.append(Problem(
                    str(path), lines.get(("feeds", i, key)), f"feeds[{i}] (id={feed.id}).{key}",
                    f"{key} '{value}' is already used by feeds[{first[value]}]", fix))
            else:
                first[value] = i
    return problems


def load_feeds_config(path: Path) -> FeedsConfig:
    """Read and validate feeds.yaml; raise ConfigFileError listing every problem."""
    data, lines = parse_yaml(path)
    config = validate(path, data, lines, FeedsConfig)
    problems = _duplicates(path, config, lines)
    if problems:
        raise ConfigFileError(problems)
    return config


def feeds_path(settings: Settings) -> Path:
    return settings.config_file(FILE_NAME)

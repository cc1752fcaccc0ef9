"""What every source type produces: a parsed feed of raw entries, not yet articles.

A source turns the fetched bytes into `Entry` values (text may still hold HTML; dates are
UTC or None). `collectors.normalize` turns entries into Article messages the same way for
every source type. A new source type is one module with one class registered in SOURCES.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Mapping

from newswatch.errors import CollectError
from newswatch.registry import Registry


class ParseError(CollectError):
    """The document yields nothing usable (not a feed, or too broken to read)."""


@dataclass(frozen=True)
class Entry:
    guid: str | None
    link: str | None
    title: str = ""
    summary: str = ""
    content: str = ""
    published: datetime | None = None  # None when the feed's date is missing or unusable


@dataclass(frozen=True)
class ParsedFeed:
    entries: tuple[Entry, ...]
    title: str = ""
    link: str | None = None
    format: str = ""
    problems: tuple[str, ...] = ()  # what was wrong but survivable (malformed XML, encoding)


class Source(ABC):
    """One feed format family. Stateless; one instance serves every feed of its type."""

    name: ClassVar[str]

    @abstractmethod
    def parse(self, body: bytes, *, url: str, headers: Mapping[str, str]) -> ParsedFeed:
        """Parse a fetched document; raise ParseError when it yields no entries at all."""


SOURCES: Registry[Source] = Registry("feed type")

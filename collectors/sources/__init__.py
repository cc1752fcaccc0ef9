"""Source types, by the name feeds.yaml uses in `type:` (default `rss`)."""

from collectors.sources.base import SOURCES, Entry, ParsedFeed, ParseError, Source
from collectors.sources import rss  # noqa: F401  (registers "rss")

__all__ = ["SOURCES", "Entry", "ParsedFeed", "ParseError", "Source"]

"""RSS 0.9x/1.0/2.0, Atom 0.3/1.0 and CDF, through feedparser.

The bytes come from our own fetcher (feedparser's fetching has no timeout and no size cap)
and are decoded and cleaned of DTD entity declarations first (`xmldoc`). feedparser gets
them wrapped in BytesIO: given plain bytes it would try them as a file name first. Its HTML
sanitizer and URI resolver are off because `normalize` reduces every field to plain text.
"""

from __future__ import annotations

import calendar
import io
from datetime import datetime, timezone
from typing import Any, Mapping

import feedparser

from collectors.sources.base import SOURCES, Entry, ParsedFeed, ParseError, Source
from collectors.sources.xmldoc import decode_document, strip_internal_subset

_DATE_FIELDS = ("published_parsed", "updated_parsed", "created_parsed")


def _utc(struct: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(calendar.timegm(struct), timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _entry(raw: Mapping[str, Any]) -> Entry:
    # Plain dict lookups: FeedParserDict maps a missing `updated` to `published` (with a
    # deprecation warning), which would hide which date the feed really gave.
    published = None
    for key in _DATE_FIELDS:
        struct = dict.get(raw, key)
        if struct and (published := _utc(struct)) is not None:
            break
    contents = [c.get("value") for c in raw.get("content") or () if isinstance(c, Mapping)]
    content = max((c for c in contents if isinstance(c, str)), key=len, default="")
    guid = _text(raw.get("id")).strip() or None
    link = _text(raw.get("link")).strip() or None
    return Entry(guid=guid, link=link, title=_text(raw.get("title")),
                 summary=_text(raw.get("summary")), content=content,
                 published=published)


@SOURCES.register("rss")
class RssSource(Source):
    name = "rss"

    def parse(self, body: bytes, *, url: str, headers: Mapping[str, str]) -> ParsedFeed:
        doc = decode_document(body, headers.get("content-type"))
        text, stripped = strip_internal_subset(doc.text)
        problems = list(doc.problems)
        if stripped:
            problems.append("DOCTYPE with an internal subset (entity declarations) removed")
        data = text.lstrip().encode("utf-8")
        parsed = feedparser.parse(
            io.BytesIO(data),
            response_headers={"content-type": "application/xml; charset=utf-8",
                              "content-location": url},
            sanitize_html=False, resolve_relative_uris=False)
        if parsed.get("bozo"):
            exc = parsed.get("bozo_exception")
            problems.append(f"not well-formed: {type(exc).__name__}: {exc}"[:300])
        entries = tuple(_entry(e) for e in parsed.get("entries", ()))
        version = parsed.get("version") or ""
        if not entries and (parsed.get("bozo") or not version):
            reason = problems[-1] if problems else "no feed elements found"
            raise ParseError(f"no entries in {url}: "
                             f"{'not a feed' if not version else 'unreadable feed'} ({reason})",
                             fix="check that the URL serves RSS or Atom, not an HTML page")
        feed = parsed.get("feed", {})
        return ParsedFeed(entries=entries, title=_text(feed.get("title")),
                          link=_text(feed.get("link")) or None, format=version,
                          problems=tuple(problems))

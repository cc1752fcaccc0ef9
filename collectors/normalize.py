"""Parsed entries -> Article messages: plain text, UTC dates, stable ids, content hashes.

Identity (the article id, first 16 hex digits of a SHA-256):
- from the canonical URL when the entry links to an article: scheme-less, lowercase host,
  no default port, no fragment, tracking parameters (utm_*, fbclid, ...) removed, so the
  same story reached through two feeds or two campaigns has one id;
- from feed id + guid when the link cannot identify the item: missing, not http(s), the
  site's front page, or shared within this feed by items that are clearly different;
- from feed id + title + date + link when the guid is missing too, or repeated within the
  feed by different items (a known CMS bug).
`content_hash` covers the visible text (title, summary, content): same id with a new hash is
an edit.

Text: feed HTML is untrusted. It is reduced to plain text by nh3 (html5ever, a real HTML
parser, linear time): only block tags survive the first pass, are turned into line breaks,
then entities are decoded; script/style/template content is dropped. No regular expression
runs over feed text here.
"""

from __future__ import annotations

import hashlib
import html
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import nh3

from collectors.config import Feed
from collectors.sources.base import ParsedFeed
from newswatch.messages import Article

TITLE_MAX = 1_000
SUMMARY_MAX = 20_000
CONTENT_MAX = 200_000
GUID_MAX = 2_048
URL_MAX = 4_096
OLDEST_DATE = datetime(1990, 1, 1, tzinfo=timezone.utc)
FUTURE_SLACK = timedelta(days=2)

TRACKING_PREFIXES = ("utm_",)
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "twclid",
    "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id",
    "oly_enc_id", "vero_id", "wt.mc_id", "cmpid", "ncid", "ocid", "sr_share", "spm",
})

_BLOCK_TAGS = {"p", "br", "div", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4",
               "h5", "h6", "tr", "td", "th", "table", "blockquote", "pre", "section",
               "article", "header", "footer", "figure", "figcaption", "hr", "aside", "nav"}
_DROPPED_WITH_CONTENT = {"script", "style", "template"}
_CELL_TAGS = {"td", "th"}
_TOKENS = ([(f"<{t}>", " ") for t in _CELL_TAGS] + [(f"</{t}>", " ") for t in _CELL_TAGS]
           + [(f"<{t}>", "\n") for t in _BLOCK_TAGS - _CELL_TAGS]
           + [(f"</{t}>", "\n") for t in _BLOCK_TAGS - _CELL_TAGS])
# C0/C1 controls (but tab and newline), DEL, and the Unicode line/paragraph separators.
_CONTROLS = {c: None for c in [*range(0, 9), *range(11, 32), 127, *range(128, 160)]}
_CONTROLS.update({0x0D: "\n", 0x0B: " ", 0x0C: " ", 0x2028: "\n", 0x2029: "\n"})


def short_hash(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:16]


def html_to_text(value: str, *, single_line: bool = False) -> str:
    """Plain text from untrusted HTML (or from text that merely contains entities)."""
    if not value:
        return ""
    text = value
    if "<" in text or "&" in text:
        cleaned = nh3.clean(text, tags=_BLOCK_TAGS, attributes={}, link_rel=None,
                            strip_comments=True, clean_content_tags=_DROPPED_WITH_CONTENT)
        for token, replacement in _TOKENS:
            if token in cleaned:
                cleaned = cleaned.replace(token, replacement)
        text = html.unescape(cleaned)
    text = text.translate(_CONTROLS)
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return (" " if single_line else "\n").join(line for line in lines if line)


def truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", limit - 200, limit - 1)
    return text[:cut if cut > 0 else limit - 1].rstrip() + "…"


def canonical_url(url: str | None) -> str | None:
    """The URL as an identity: http(s) only, tracking and fragment dropped; else None."""
    if not url or len(url) > URL_MAX:
        return None
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").rstrip(".")
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not host or any(c in host for c in " <>\"'\\"):
        return None
    if ":" in host:
        host = f"[{host}]"
    default = 80 if scheme == "http" else 443
    netloc = host if port in (None, default) else f"{host}:{port}"
    query = "&".join(p for p in parts.query.split("&") if p and not _is_tracking(p))
    path = parts.path or "/"
    return f"{scheme}://{netloc}{path}" + (f"?{query}" if query else "")


def _is_tracking(pair: str) -> bool:
    key = pair.split("=", 1)[0].lower()
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES)


def url_identity(canonical: str) -> str:
    """http and https of the same address are one article."""
    return canonical.split(":", 1)[1]


def _is_front_page(canonical: str) -> bool:
    parts = urlsplit(canonical)
    return parts.path in ("", "/") and not parts.query


def usable_date(value: datetime | None, now: datetime) -> datetime | None:
    """A feed's date, or None when it cannot be right (before 1990, days in the future)."""
    if value is None or value < OLDEST_DATE or value > now + FUTURE_SLACK:
        return None
    return value


def _ambiguous(keys: list[str | None], others: list[tuple]) -> set[str]:
    """Keys (URLs or guids) that several clearly different entries share."""
    seen: dict[str, set[tuple]] = defaultdict(set)
    for key, other in zip(keys, others):
        if key:
            seen[key].add(other)
    return {key for key, variants in seen.items() if len(variants) > 1}


def to_articles(feed: Feed, parsed: ParsedFeed, *, fetched_at: datetime) -> list[Article]:
    """Every entry as an Article, at most one per id (first occurrence wins)."""
    entries = parsed.entries
    source = feed.name or html_to_text(parsed.title, single_line=True)[:200] or feed.id
    home = canonical_url(parsed.link)
    texts = [(truncate(html_to_text(e.title, single_line=True), TITLE_MAX),
              truncate(html_to_text(e.summary), SUMMARY_MAX),
              truncate(html_to_text(e.content), CONTENT_MAX)) for e in entries]
    urls = [canonical_url(e.link) for e in entries]
    guids = [e.guid[:GUID_MAX] if e.guid else None for e in entries]
    shared_urls = _ambiguous(urls, [(g, t[0]) for g, t in zip(guids, texts)])
    shared_guids = _ambiguous(guids, [(u, t[0]) for u, t in zip(urls, texts)])

    articles: list[Article] = []
    produced: set[str] = set()
    for entry, (title, summary, content), url, guid in zip(entries, texts, urls, guids):
        if content == summary:
            content = ""
        published = usable_date(entry.published, fetched_at)
        if url and url not in shared_urls and not _is_front_page(url) and url != home:
            article_id = short_hash("url", url_identity(url))
        elif guid and guid not in shared_guids:
            article_id = short_hash("guid", feed.id, guid)
        else:
            article_id = short_hash("item", feed.id, guid or "", title,
                                    published.isoformat() if published else "", url or "")
        if article_id in produced:
            continue
        produced.add(article_id)
        articles.append(Article(
            id=article_id, feed_id=feed.id, source=source, url=url, guid=guid,
            title=title, summary=summary, content=content, language=feed.language,
            tags=feed.tags, published_at=published, fetched_at=fetched_at,
            content_hash=short_hash("text", title, summary, content)))
    return articles

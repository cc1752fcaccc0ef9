"""Deterministic ids: the same story and route always give the same alert id.

That is what makes redelivered and replayed decisions harmless: the id is already in the
ledger, so nothing is posted again. The story is the canonical URL (tracking parameters,
fragment, `www.` and default ports removed) or, without a usable link, the article id.
"""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_TRACKING = {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "ocid", "cmpid",
             "ref", "ref_src", "rss", "from", "cid", "src", "igshid", "spm"}


def canonical_url(url: str | None) -> str | None:
    """The URL two feeds would agree on for the same article, or None if it is not http(s)."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in ("http", "https") or not host:
        return None
    if host.startswith("www."):
        host = host[4:]
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                   if not k.lower().startswith("utm_") and k.lower() not in _TRACKING)
    path = parts.path or "/"
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    # http and https copies of one article are one story.
    return urlunsplit(("https", host, path, urlencode(query), ""))


def story_key(url: str | None, article_id: str) -> str:
    canonical = canonical_url(url)
    return canonical if canonical else f"article:{article_id}"


def _digest(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:16]


def alert_id(story: str, route: str) -> str:
    """One alert per story and route."""
    return _digest("alert", story, route)


def copy_id(story: str, route: str, article_id: str) -> str:
    """Another article of a story already alerted on this route (recorded as a duplicate)."""
    return _digest("copy", story, route, article_id)


def correction_id(story: str, route: str, article_id: str, content_hash: str) -> str:
    """One thread line per edited version of an article (its new content hash)."""
    return _digest("correction", story, route, article_id, content_hash)


def digest_id(channel: str, first_member: str) -> str:
    """A digest is named by its channel and the first alert it held back."""
    return _digest("digest", channel, first_member)

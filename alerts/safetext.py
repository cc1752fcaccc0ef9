"""Feed text made safe to show in Slack: the one place every piece of feed text goes through.

Feed text is untrusted. It is cleaned of control and bidi-override characters, URLs inside it
are defanged (`https[:]//`) so Slack does not turn them into links, and `&`, `<`, `>` are
escaped, so `<!channel>`, `<@U123>` or `<https://evil|reuters.com>` in a headline show as
text. The only link target is an article's own URL, re-encoded; the only mentions are the
ones configured in alerts.yaml (`mention_markup`).
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

# C0/C1 controls (ANSI escapes start with ESC), bidi overrides and isolates (text that
# displays in another order than it reads), zero-width joiners used to hide text.
_UNSAFE = re.compile("[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e"
                     "\u2060-\u2064\u2066-\u2069\ufeff]")
_SPACES = re.compile(r"\s+")
_SCHEME = re.compile(r"(?i)\b([a-z][a-z0-9+.-]{1,15}):/{2}")
_WWW = re.compile(r"(?i)\bwww\.")


def clean(text: str | None) -> str:
    """One line of displayable text: no control characters, single spaces."""
    if not text:
        return ""
    return _SPACES.sub(" ", _UNSAFE.sub("", text)).strip()


def cut(text: str, limit: int) -> str:
    """At most `limit` characters, with an ellipsis when something was cut."""
    return text if len(text) <= limit else text[:max(0, limit - 1)].rstrip() + "…"


def escape(text: str) -> str:
    """Slack's three control characters; everything else is shown as typed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def defang(text: str) -> str:
    """Stop Slack from auto-linking URLs written inside feed text."""
    return _WWW.sub("www[.]", _SCHEME.sub(r"\1[:]//", text))


def slack_text(text: str, limit: int | None = None) -> str:
    """Feed text made safe for mrkdwn; with `limit`, cut whole characters so that the escaped
    result fits, never half an entity."""
    safe = defang(clean(text))
    full = escape(safe)
    if limit is None or len(full) <= limit:
        return full
    out: list[str] = []
    used = 0
    for ch in safe:
        piece = escape(ch)
        if used + len(piece) > limit - 1:
            break
        out.append(piece)
        used += len(piece)
    return "".join(out).rstrip() + "…"


def safe_url(url: str | None) -> str | None:
    """The article URL fit to be a link target: http(s), a host, no credentials; re-encoded."""
    if not url:
        return None
    url = clean(url)
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    if parts.username is not None or parts.password is not None:
        return None  # https://reuters.com@evil.example reads as reuters, goes to evil
    return quote(url, safe="/:?=&%#+,;@!$'()*~-._[]")


def slack_link(url: str | None, label_mrkdwn: str) -> str:
    """`<url|label>`; a '|' inside the label is shown as '¦' so it cannot split the link."""
    target = safe_url(url)
    if target is None or len(target) > 1500:
        return label_mrkdwn
    return f"<{escape(target)}|{label_mrkdwn.replace('|', '¦')}>"


def mention_markup(target: str) -> str:
    """A configured mention (validated in config.py) as Slack markup."""
    if target in ("here", "channel"):
        return f"<!{target}>"
    if target.startswith("S"):
        return f"<!subteam^{target}>"
    return f"<@{target}>"

"""What an alert says, as a plain view (console) and as Slack Block Kit plus fallback text.

Feed text is untrusted: every piece of it goes through alerts/safetext.py (cleaned,
defanged, escaped) before it is put in a message. The only link in a message is the
article's own URL, re-encoded; the only mentions are the ones configured in alerts.yaml.
Sizes are cut on our side, below Slack's limits (section text 3,000 characters, context
elements 10, blocks 50).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from alerts.feedback.actions import LINE_BLOCK_ID, MARKED_ITEMS, alert_actions, item_select
from alerts.safetext import (clean, cut, defang, escape, mention_markup, safe_url,
                             slack_link, slack_text)
from newswatch.messages import Decision, Match

__all__ = ["AlertView", "DigestItem", "Evidence", "Message", "alert_view", "clean",
           "correction_view", "cut", "defang", "digest_view", "escape", "label",
           "mention_markup", "report_view", "reports_line", "safe_url", "slack_link",
           "slack_text", "to_slack", "when", "with_marks", "with_reports"]

METADATA_EVENT = "newswatch_alert"

# Slack limits are 3,000 (section) and 2,000 (context element); stay below them.
SECTION_LIMIT = 2900
CONTEXT_LIMIT = 1900
TEXT_LIMIT = 3000
TITLE_LIMIT = 250
SENTENCE_LIMIT = 280
TERM_LIMIT = 80

SEVERITY_EMOJI = {"critical": ":rotating_light:", "high": ":red_circle:",
                  "medium": ":large_orange_circle:", "low": ":large_yellow_circle:",
                  "none": ":white_circle:"}

@dataclass(frozen=True)
class Evidence:
    """One matched term in its sentence, with every rule that matched it there."""

    rule_ids: tuple[str, ...]
    category: str
    field: str
    before: str
    term: str
    after: str


@dataclass(frozen=True)
class DigestItem:
    alert_id: str
    title: str
    url: str | None
    severity: str
    categories: tuple[str, ...]
    route: str


@dataclass(frozen=True)
class AlertView:
    """Everything a message says, as plain cleaned text (no markup of any kind)."""

    kind: Literal["alert", "follow-up", "correction", "digest", "report"]
    alert_id: str
    channel: str
    route: str = ""
    article_id: str = ""
    categories: tuple[str, ...] = ()
    severity: str = "none"
    title: str = ""
    url: str | None = None
    source: str = ""
    feed_id: str = ""
    published_at: datetime | None = None
    evidence: tuple[Evidence, ...] = ()
    more_evidence: int = 0
    rule_ids: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    items: tuple[DigestItem, ...] = ()
    held_back: int = 0
    reason: str = ""
    language: str = ""
    escalation: str = ""
    """a follow-up that raises a new category or a higher severity: what it raises"""
    changes: tuple[tuple[str, str, str], ...] = ()
    """a correction: (part, removed, added) for the headline and the lead"""
    dropped: tuple[str, ...] = ()
    """a correction: categories the edited version no longer raises"""


@dataclass(frozen=True)
class Message:
    view: AlertView
    text: str
    blocks: tuple[dict, ...]
    metadata: dict = field(default_factory=dict)


def _evidence(match: Match, rule_ids: tuple[str, ...]) -> Evidence:
    sentence = clean(match.sentence) or clean(match.text)
    term = cut(clean(match.text), TERM_LIMIT)
    at = sentence.casefold().find(term.casefold()) if term else -1
    if at < 0:
        return Evidence(rule_ids, match.category, match.field,
                        cut(sentence, SENTENCE_LIMIT), "", "")
    before, after = sentence[:at], sentence[at + len(term):]
    room = max(20, (SENTENCE_LIMIT - len(term)) // 2)
    if len(before) > room:
        before = "…" + before[-room:].lstrip()
    if len(after) > room:
        after = after[:room].rstrip() + "…"
    return Evidence(rule_ids, match.category, match.field, before,
                    sentence[at:at + len(term)], after)


def pick_evidence(matches: tuple[Match, ...], limit: int) -> tuple[tuple[Evidence, ...], int]:
    """Title evidence first; one line per term and sentence (naming every rule that matched
    it there); how many more lines were left out."""
    order = {"title": 0, "summary": 1, "content": 2, "text": 3}
    groups: dict[tuple[str, str], list[Match]] = {}
    for match in sorted(matches, key=lambda m: (order.get(m.field, 9), m.start)):
        key = (clean(match.text).casefold(), clean(match.sentence).casefold())
        groups.setdefault(key, []).append(match)
    picked = [_evidence(group[0], tuple(dict.fromkeys(m.rule_id for m in group)))
              for group in list(groups.values())[:limit]]
    return tuple(picked), len(groups) - len(picked)


def alert_view(decision: Decision, *, alert_id: str, route: str, channel: str,
               mentions: tuple[str, ...] = (), max_evidence: int = 5,
               kind: Literal["alert", "follow-up"] = "alert",
               escalation: str = "") -> AlertView:
    evidence, more = pick_evidence(decision.matches, max_evidence)
    rule_ids = tuple(dict.fromkeys(m.rule_id for m in decision.matches))
    return AlertView(
        kind=kind, alert_id=alert_id, channel=channel, route=route,
        article_id=decision.article_id, categories=tuple(decision.categories),
        severity=decision.severity, title=clean(decision.title) or "(no title)",
        url=safe_url(decision.url), source=clean(decision.source) or clean(decision.feed_id),
        feed_id=clean(decision.feed_id), published_at=decision.published_at,
        evidence=evidence, more_evidence=more, rule_ids=rule_ids,
        mentions=mentions if kind == "alert" or escalation else (),
        language=clean(decision.language)[:8], escalation=escalation,
    )


def correction_view(decision: Decision, *, alert_id: str, route: str, channel: str,
                    changes: tuple[tuple[str, str, str], ...],
                    dropped: tuple[str, ...]) -> AlertView:
    return AlertView(
        kind="correction", alert_id=alert_id, channel=channel, route=route,
        article_id=decision.article_id, categories=tuple(decision.categories),
        severity=decision.severity, title=clean(decision.title) or "(no title)",
        url=safe_url(decision.url), source=clean(decision.source) or clean(decision.feed_id),
        feed_id=clean(decision.feed_id), published_at=decision.published_at,
        language=clean(decision.language)[:8],
        changes=tuple((part, clean(old), clean(new)) for part, old, new in changes),
        dropped=dropped)


def digest_view(*, digest_id: str, channel: str, items: list[DigestItem], reason: str,
                max_items: int) -> AlertView:
    return AlertView(kind="digest", alert_id=digest_id, channel=channel,
                     items=tuple(items[:max_items]), held_back=len(items), reason=reason)


def report_view(*, report_id: str, channel: str, headline: str, items: list[DigestItem],
                max_items: int) -> AlertView:
    """A list of articles under a headline, posted on request (e.g. a replay's findings)."""
    return AlertView(kind="report", alert_id=report_id, channel=channel,
                     items=tuple(items[:max_items]), held_back=len(items), reason=headline)


def label(categories: tuple[str, ...], severity: str) -> str:
    cats = " + ".join(c.upper() for c in categories) or "ALERT"
    return f"{cats} · {severity.upper()}"


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "time unknown"


def _inline(segment: str) -> str:
    """An already cleaned piece of feed text inside a line (keeps its edge spaces)."""
    return escape(defang(segment))


# Zero-width spaces let Slack see the bold markers even inside a word (독도*는*, 竹島*の*).
_BOLD_OPEN, _BOLD_CLOSE = "\u200b*", "*\u200b"


def _evidence_line(ev: Evidence) -> str:
    if ev.term:
        quoted = _inline(ev.before) + _BOLD_OPEN + _inline(ev.term) + _BOLD_CLOSE \
            + _inline(ev.after)
        head = f"*{_inline(ev.term)}*"
    else:
        quoted = _inline(ev.before)
        head = "_sentence_"
    return f"• {head} “{quoted}” _({_inline(', '.join(ev.rule_ids))} · {ev.field})_"


def _lines_within(lines: list[str], limit: int) -> tuple[list[str], int]:
    """As many whole lines as fit in `limit` (keeping room for one more short line)."""
    out: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) + 1 + 60 > limit:
            break
        out.append(line)
        used += len(line) + 1
    return out, len(lines) - len(out)


def _evidence_block(lines: list[str], more: int) -> str:
    shown, cut_off = _lines_within(lines, SECTION_LIMIT)
    if more + cut_off:
        shown.append(f"_…and {more + cut_off} more matched passage(s)_")
    return "\n".join(shown)


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(*texts: str) -> dict:
    return {"type": "context",
            "elements": [{"type": "mrkdwn", "text": t[:CONTEXT_LIMIT]} for t in texts[:10]]}


def _metadata(view: AlertView) -> dict:
    return {"event_type": METADATA_EVENT,
            "event_payload": {"alert_id": view.alert_id, "article_id": view.article_id,
                              "kind": view.kind}}


def to_slack(view: AlertView) -> Message:
    if view.kind in ("digest", "report"):
        return _digest_message(view)
    title = f"*{slack_link(view.url, slack_text(view.title, TITLE_LIMIT))}*"
    source = slack_text(view.source, 100)
    meta = f"{source} · published {when(view.published_at)}"
    if view.feed_id and view.feed_id != view.source:
        meta += f" · feed {slack_text(view.feed_id, 60)}"
    evidence = _evidence_block([_evidence_line(ev) for ev in view.evidence],
                               view.more_evidence)
    refs = (f"rules: {slack_text(', '.join(view.rule_ids), 600)} · article "
            f"`{slack_text(view.article_id, 80)}` · alert `{view.alert_id}` · route "
            f"{slack_text(view.route, 64)}")
    tag = label(view.categories, view.severity)
    mentions = " ".join(mention_markup(m) for m in view.mentions)
    outlet = f"{source} ({slack_text(view.language, 8)})" if view.language else source
    if view.kind == "follow-up" and view.escalation:
        head = (f"{SEVERITY_EMOJI.get(view.severity, '')} *{tag}* · "
                f"{slack_text(view.escalation, 200)}")
        if mentions:
            head += f"  {mentions}"
        blocks = [_section(head), _section(f"*{outlet}*: {title}"), _context(meta)]
        if evidence:
            blocks.append(_section(evidence))
        blocks.append(_context(refs))
        text = (f"{mentions + ' ' if mentions else ''}[{tag}] Also reported by {outlet}: "
                f"{slack_text(view.title, TITLE_LIMIT)}")
    elif view.kind == "correction":
        blocks, text = _correction(view, outlet, title)
    elif view.kind == "follow-up":  # one line in the event's thread
        blocks = [_section(f":repeat: *{outlet}*: {title}"),
                  _context(f"{when(view.published_at)} · alert `{view.alert_id}`")]
        text = f"Also reported by {outlet}: {slack_text(view.title, TITLE_LIMIT)}"
    else:
        head = f"{SEVERITY_EMOJI.get(view.severity, '')} *{tag}*"
        if mentions:
            head += f"  {mentions}"
        blocks = [_section(head), _section(title), _context(meta)]
        if evidence:
            blocks.append(_section(evidence))
        blocks.append(_context(refs))
        text = (f"{mentions + ' ' if mentions else ''}[{tag}] "
                f"{slack_text(view.title, TITLE_LIMIT)} ({source})")
    if view.kind in ("alert", "follow-up"):
        blocks.append(alert_actions(view.alert_id))  # officers' marks (alerts/feedback)
    return Message(view, cut(text, TEXT_LIMIT), tuple(blocks), _metadata(view))


def _correction(view: AlertView, outlet: str, title: str) -> tuple[list[dict], str]:
    if view.dropped:
        cats = ", ".join(view.dropped)
        head = f":heavy_minus_sign: *No longer matches: {cats}* · {outlet} edited {title}"
        text = f"No longer matches ({cats}): {slack_text(view.title, TITLE_LIMIT)}"
    else:
        head = f":pencil2: *Edited by {outlet}*: {title}"
        text = f"Edited by {outlet}: {slack_text(view.title, TITLE_LIMIT)}"
    lines = []
    for part, removed, added in view.changes:
        if removed or added:
            lines.append(f"*{part}* · removed “{slack_text(removed, 600) or '–'}” · added "
                         f"“{slack_text(added, 600) or '–'}”")
    body = "\n".join(lines) or "_the headline and the lead are unchanged_"
    blocks = [_section(head), _section(body),
              _context(f"{when(view.published_at)} · alert `{view.alert_id}`")]
    return blocks, text


REPORTS_BLOCK = "newswatch-reports"


def reports_line(outlets: list[tuple[str, str]]) -> str:
    """ "3 reports · Yonhap (ko), NHK (ja), Kyodo (en)": the event's outlets, first first."""
    names = [f"{slack_text(clean(s) or 'unknown', 60)}"
             + (f" ({slack_text(clean(lang), 8)})" if lang else "") for s, lang in outlets]
    shown = ", ".join(names[:12]) + (f" and {len(names) - 12} more" if len(names) > 12 else "")
    return f":newspaper: *{len(outlets)} reports* · {shown}"


def with_reports(blocks: list[dict], line: str) -> list[dict]:
    """The message's blocks with its reports line put in (or replaced, when edited again)."""
    return _with_line(blocks, REPORTS_BLOCK, line, at=1)


def with_marks(blocks: list[dict], line: str) -> list[dict]:
    """The message's blocks with the line of officers' marks last (replaced when marked
    again; taken out when nothing is marked any more)."""
    return _with_line(blocks, LINE_BLOCK_ID, line, at=None)


def _with_line(blocks: list[dict], block_id: str, line: str, *, at: int | None) -> list[dict]:
    kept = [b for b in blocks if b.get("block_id") != block_id]
    if not line:
        return kept
    block = {"type": "context", "block_id": block_id,
             "elements": [{"type": "mrkdwn", "text": line[:CONTEXT_LIMIT]}]}
    return kept + [block] if at is None else kept[:at] + [block] + kept[at:]


def _digest_message(view: AlertView) -> Message:
    lines = []
    for item in view.items:
        link = slack_link(item.url, slack_text(item.title or "(no title)", 160))
        lines.append(f"• [{label(item.categories, item.severity)}] {link}")
    if view.kind == "report":
        head = f":mag: *{slack_text(view.reason, 400)}*"
        text = slack_text(view.reason, 400)
    else:
        head = (f":pause_button: *{view.held_back} alert(s) held back* for this channel "
                f"({slack_text(view.reason, 200)})")
        text = f"{view.held_back} alert(s) held back ({slack_text(view.reason, 200)})"
    blocks = [_section(head)]
    marked = 0
    if view.kind == "digest":  # one section and one select per item, up to Slack's caps
        for item, line in zip(view.items[:MARKED_ITEMS], lines):
            blocks.append({**_section(line[:SECTION_LIMIT]),
                           "accessory": item_select(item.alert_id, marked)})
            marked += 1
    shown, cut_off = _lines_within(lines[marked:], SECTION_LIMIT)
    more = view.held_back - len(view.items) + cut_off
    if more > 0:
        shown.append(f"_…and {more} more (the alert ledger lists them)_")
    if shown or not marked:
        blocks.append(_section("\n".join(shown)) if shown else _section("_(empty)_"))
    blocks.append(_context(f"{view.kind} `{view.alert_id}`"))
    return Message(view, cut(text, TEXT_LIMIT), tuple(blocks), _metadata(view))

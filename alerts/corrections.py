"""Edits of an alerted article: a short diff in the event's thread instead of a new alert.

An outlet edits an article after it was alerted (the collector marks the new version
`update: true`). The officer needs what changed, not the same alert again: the edit goes
into the thread of the article's alert as one message with what the headline and lead
lost and gained, or "no longer matches" when the rules no longer raise what the alert
raised. Each edited version gets its own deterministic id (the article and its content
hash), so a redelivered or replayed edit posts nothing, through the same ledger as alerts.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from alerts.ledger import Entry, Ledger
from newswatch.messages import Decision

MAX_CHANGE = 300


@dataclass(frozen=True)
class Change:
    removed: str
    added: str


@dataclass(frozen=True)
class Edit:
    """What to post for one route's alert of an edited article."""

    alert: Entry
    """the article's alert on the route (a first alert or a report in a thread)"""
    previous: Entry
    """the version shown last: the alert itself or the latest correction"""
    title: Change
    lead: Change
    dropped: tuple[str, ...]
    """categories the alert raised that the edited version no longer raises"""


def _tokens(text: str) -> list[str]:
    # Words where the text has spaces; characters for Japanese (no spaces between words).
    return text.split() if " " in text.strip() else list(text)


def change(old: str, new: str) -> Change:
    a, b = _tokens(old), _tokens(new)
    joiner = " " if " " in (old + new).strip() else ""
    removed: list[str] = []
    added: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op in ("delete", "replace"):
            removed.append(joiner.join(a[i1:i2]))
        if op in ("insert", "replace"):
            added.append(joiner.join(b[j1:j2]))
    return Change(" … ".join(removed)[:MAX_CHANGE], " … ".join(added)[:MAX_CHANGE])


def edits_for(ledger: Ledger, decision: Decision, routes: set[str]) -> list[Edit]:
    """The posted alerts of this article whose shown version differs from the decision's.
    `routes`: the routes the edited version still matches."""
    out = []
    entries = ledger.for_article(decision.article_id)
    for alert in entries:
        if alert.correction_of or alert.status != "posted" or not alert.ts \
                or alert.route == "digest":
            continue
        # The version shown last; a correction whose post is not settled does not count,
        # so after a crash its intent is planned again (and looked up before posting).
        versions = [alert] + [e for e in entries if e.correction_of == alert.alert_id
                              and e.status == "posted"]
        previous = max(versions, key=lambda e: e.opened_at or e.at)
        if not previous.content_hash or previous.content_hash == decision.content_hash:
            continue  # the same version again (a replay), or a record without one
        dropped = tuple(c for c in alert.categories if c not in decision.categories) \
            if alert.route not in routes else ()
        out.append(Edit(alert, previous, change(previous.title, decision.title),
                        change(previous.lead, decision.lead), dropped))
    return out

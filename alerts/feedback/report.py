"""Precision from the officers' marks: per category, rule, feed and language.

Each officer's last judgement on an alert counts once. For a category the alert raised:
*relevant* makes it right, *not relevant* wrong, and *should be X* right only if it is X
(an alert raising cooperation and drills marked "should be cooperation" has drills wrong).
A rule is right where the category it fired for is. A feed or a language counts whole
alerts: right only when marked relevant. Plain code over a list of marks; terminal and HTML
output are in report_view.py.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from newswatch.messages import Mark


@dataclass
class Tally:
    right: int = 0
    wrong: int = 0

    @property
    def marks(self) -> int:
        return self.right + self.wrong

    @property
    def precision(self) -> float | None:
        return self.right / self.marks if self.marks else None


@dataclass
class FeedbackReport:
    since: datetime | None
    marks: int = 0
    officers: int = 0
    alerts: int = 0
    by_action: Counter = field(default_factory=Counter)
    category: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    rule: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    feed: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    language: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    wrong_pairs: Counter = field(default_factory=Counter)
    """(categories raised, category it should be) -> marks"""
    per_day: Counter = field(default_factory=Counter)
    """day -> marks"""
    noisy_rules: list[tuple[str, Tally]] = field(default_factory=list)
    """rules that fired mostly on alerts marked not relevant"""
    mutes: int = 0


def category_verdicts(mark: Mark) -> dict[str, bool]:
    """For each category the alert raised: did the officer find it right?"""
    if mark.action == "relevant":
        return {c: True for c in mark.categories}
    if mark.action == "not-relevant":
        return {c: False for c in mark.categories}
    if mark.action == "wrong-category":
        return {c: c == mark.category for c in mark.categories}
    return {}


def build(marks: list[Mark], *, since: datetime | None = None,
          mutes: int = 0, noisy_min_marks: int = 2) -> FeedbackReport:
    kept = [m for m in marks if since is None or m.at >= since]
    report = FeedbackReport(since, marks=len(kept), officers=len({m.user for m in kept}),
                            alerts=len({m.alert_id for m in kept}), mutes=mutes)
    for mark in kept:
        report.by_action[mark.action] += 1
        report.per_day[mark.at.date()] += 1
        verdicts = category_verdicts(mark)
        for category, right in verdicts.items():
            _count(report.category[category], right)
        for rule, category in mark.rules.items():
            if category in verdicts:
                _count(report.rule[rule], verdicts[category])
        whole = mark.action == "relevant"
        _count(report.feed[mark.feed_id or mark.source or "?"], whole)
        _count(report.language[mark.language or "?"], whole)
        if mark.action == "wrong-category":
            raised = "+".join(mark.categories) or "none"
            report.wrong_pairs[(raised, mark.category or "?")] += 1
    report.noisy_rules = sorted(
        ((rule, t) for rule, t in report.rule.items()
         if t.marks >= noisy_min_marks and t.wrong > t.right),
        key=lambda item: (-item[1].wrong, item[0]))
    return report


def _count(tally: Tally, right: bool) -> None:
    if right:
        tally.right += 1
    else:
        tally.wrong += 1


def days(report: FeedbackReport) -> list[tuple[date, int]]:
    return sorted(report.per_day.items())

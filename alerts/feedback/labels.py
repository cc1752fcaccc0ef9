"""Officers' marks as labels: how would a candidate ruleset have done on marked articles?

Per article, the categories officers confirmed and the ones they rejected (see report.py
for what each mark says). Where officers disagree on a category it is left unjudged. A
ruleset is scored only where the marks say something: a category it raises that nobody
judged is counted as unjudged, not as right or wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from alerts.feedback.report import category_verdicts
from newswatch.messages import CATEGORIES, Article, Decision, Mark


THEN_MARKED = "the alerts officers marked"
"""what "then" is when no older ruleset is given: the categories the marked alerts raised"""


@dataclass
class Judged:
    article_id: str
    content_hash: str
    title: str
    then: tuple[str, ...]
    right: set[str] = field(default_factory=set)
    wrong: set[str] = field(default_factory=set)
    disputed: set[str] = field(default_factory=set)
    verdicts: list[str] = field(default_factory=list)


def judged_articles(marks: list[Mark]) -> dict[str, Judged]:
    out: dict[str, Judged] = {}
    votes: dict[tuple[str, str], set[bool]] = {}
    for mark in marks:
        judged = out.setdefault(mark.article_id, Judged(
            mark.article_id, mark.content_hash, mark.title, tuple(mark.categories)))
        judged.verdicts.append(mark.action if mark.action != "wrong-category"
                               else f"should be {mark.category}")
        verdicts = category_verdicts(mark)
        if mark.action == "wrong-category" and mark.category:
            verdicts.setdefault(mark.category, True)  # the one it should have raised
        for category, right in verdicts.items():
            votes.setdefault((mark.article_id, category), set()).add(right)
    for (article_id, category), seen in votes.items():
        judged = out[article_id]
        if len(seen) > 1:
            judged.disputed.add(category)
        elif True in seen:
            judged.right.add(category)
        else:
            judged.wrong.add(category)
    return out


@dataclass
class Score:
    right: int = 0
    wrong: int = 0
    unjudged: int = 0

    @property
    def precision(self) -> float | None:
        return self.right / (self.right + self.wrong) if self.right + self.wrong else None


@dataclass
class LabelRow:
    judged: Judged
    then: list[str]
    now: list[str]
    now_rules: list[str]

    @property
    def dropped(self) -> list[str]:
        return [c for c in self.then if c not in self.now]

    @property
    def added(self) -> list[str]:
        return [c for c in self.now if c not in self.then]

    def effect(self) -> str:
        """What the change does by the marks: fixes, breaks, or cannot be told."""
        good = sum(c in self.judged.wrong for c in self.dropped) + \
            sum(c in self.judged.right for c in self.added)
        bad = sum(c in self.judged.right for c in self.dropped) + \
            sum(c in self.judged.wrong for c in self.added)
        if not self.dropped and not self.added:
            return "same"
        return "better" if good and not bad else "worse" if bad and not good else \
            "mixed" if good else "unjudged"


@dataclass
class LabelResult:
    then_label: str
    now_label: str
    rows: list[LabelRow]
    missing: list[str]
    """judged articles the articles topic no longer holds"""

    def scores(self) -> list[tuple[str, Score, Score]]:
        out = []
        for category in CATEGORIES:
            then, now = Score(), Score()
            for row in self.rows:
                for score, raised in ((then, row.then), (now, row.now)):
                    if category not in raised:
                        continue
                    if category in row.judged.right:
                        score.right += 1
                    elif category in row.judged.wrong:
                        score.wrong += 1
                    else:
                        score.unjudged += 1
            out.append((category, then, now))
        return out

    @property
    def changed(self) -> list[LabelRow]:
        return [r for r in self.rows if r.dropped or r.added]


def compare(judged: dict[str, Judged], articles: dict[str, Article], *,
            classify_now: Callable[[Article], Decision], now_label: str,
            classify_then: Callable[[Article], Decision] | None = None,
            then_label: str = THEN_MARKED) -> LabelResult:
    rows, missing = [], []
    for article_id, j in sorted(judged.items()):
        article = articles.get(article_id)
        if article is None:
            missing.append(article_id)
            continue
        now = classify_now(article)
        then = list(classify_then(article).categories) if classify_then else list(j.then)
        rows.append(LabelRow(j, then, list(now.categories),
                             sorted({m.rule_id for m in now.matches})))
    return LabelResult(then_label, now_label, rows, missing)

"""Fit the numbers of a rules file to labelled articles (`newswatch rules fit`).

Hand-tuned points plateau: each change is judged on a few articles. Here every labelled
article is classified once, keeping where each rule's sentences stood (title, lead, body;
Verdict.positions), and the decision is then recomputed from those positions for any choice
of numbers, without reading text again. A coordinate search on a small grid changes one
number at a time (a position weight, a category threshold or body threshold, a rule's score)
and keeps a change only when the objective rises by at least `min_gain`, so the fitted file
differs from the original in as few numbers as the labels justify, and every number stays
one an officer can read and edit. Term lists, conditions and max_hits are never touched.

Objective: the mean of the overall macro-F1 and the macro-F1 of each language, so a change
that helps English and hurts Japanese is not taken for free.

Plain code: no files, no Kafka; the command does the reading and writing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable, Iterator

from processors.evaluation import Gold, Predicted, Report, evaluate

CATEGORIES = ("cooperation", "dispute", "drills")
WEIGHT_GRID = {"title": (1.0, 1.5, 2.0, 2.5, 3.0), "lead": (0.75, 1.0, 1.25, 1.5, 2.0),
               "body": (0.25, 0.5, 0.75, 1.0)}
THRESHOLD_GRID = tuple(x / 2 for x in range(4, 17))  # 2 .. 8
BODY_THRESHOLD_GRID = tuple(float(x) for x in range(3, 17))  # 3 .. 16
SCORE_STEPS = tuple(x / 2 for x in range(-4, 5) if x)  # +-0.5 .. +-2 around the current
SCORE_LIMIT = 10.0
GROUPS = ("weights", "thresholds", "scores")


@dataclass(frozen=True)
class Example:
    """One labelled article as the fit sees it: its labels and where each rule hit."""

    id: str
    labels: frozenset[str]
    language: str
    positions: dict[str, tuple[str, ...]]  # rule id -> positions of its sentences, best first


@dataclass(frozen=True)
class RuleShape:
    category: str
    max_hits: int


@dataclass(frozen=True)
class Numbers:
    """Every number the fit may change, as it stands in the rules file."""

    weights: dict[str, float]  # title, lead, body
    thresholds: dict[str, float]
    body_thresholds: dict[str, float | None]
    scores: dict[str, float]  # rule id -> score

    def changes(self, other: "Numbers") -> list[tuple[str, float | None, float | None]]:
        """(dotted name, before, after) of every number that differs in `other`."""
        out = []
        for kind, mine, theirs in (("scoring", self.weights, other.weights),
                                   ("threshold", self.thresholds, other.thresholds),
                                   ("body_threshold", self.body_thresholds,
                                    other.body_thresholds),
                                   ("score", self.scores, other.scores)):
            for key in mine:
                if mine[key] != theirs[key]:
                    out.append((_dotted(kind, key), mine[key], theirs[key]))
        return out


def _dotted(kind: str, key: str) -> str:
    if kind == "scoring":
        return f"scoring.{key}"
    if kind == "score":
        return f"rules[{key}].score"
    return f"categories.{key}.{kind}"


@dataclass(frozen=True)
class Model:
    """The fixed shape of a ruleset: which category each rule scores, and what implies what."""

    rules: dict[str, RuleShape]
    implies: dict[str, tuple[str, ...]]

    def decide(self, numbers: Numbers, example: Example) -> frozenset[str]:
        """The categories the classifier would raise for `example` under `numbers`."""
        weights = numbers.weights
        body = weights["body"]
        points = dict.fromkeys(numbers.thresholds, 0.0)
        up_front: set[str] = set()
        for rule_id, where in example.positions.items():
            shape = self.rules.get(rule_id)
            if shape is None or not where:
                continue
            counted = sorted((weights[w] for w in where), reverse=True)[:shape.max_hits]
            gained = numbers.scores[rule_id] * sum(counted)
            points[shape.category] += gained
            if gained > 0 and counted[0] > body:
                up_front.add(shape.category)
        raised = {c for c, p in points.items() if p >= numbers.thresholds[c] and (
            c in up_front or numbers.body_thresholds[c] is None
            or p >= numbers.body_thresholds[c])}
        pending = list(raised)
        while pending:
            for other in self.implies.get(pending.pop(), ()):
                if other not in raised:
                    raised.add(other)
                    pending.append(other)
        return frozenset(raised)

    def report(self, numbers: Numbers, examples: Iterable[Example]) -> Report:
        examples = list(examples)
        gold = [Gold(e.id, e.labels, e.language) for e in examples]
        got = {e.id: Predicted(e.id, self.decide(numbers, e)) for e in examples}
        return evaluate(gold, got)


def objective(report: Report) -> float:
    """Mean of the overall macro-F1 and each language's macro-F1."""
    languages = [g for g in report.groups if g.startswith("lang:")]
    overall = report.macro_f1("all")
    if not languages:
        return overall
    return (overall + sum(report.macro_f1(g) for g in languages) / len(languages)) / 2


@dataclass
class FitResult:
    before: Numbers
    after: Numbers


def fit(model: Model, numbers: Numbers, examples: list[Example], *,
        groups: Iterable[str] = GROUPS, min_gain: float = 0.002, passes: int = 4) -> FitResult:
    """Coordinate search from `numbers`: each candidate change of one number is tried, the
    best one is kept when it gains at least `min_gain`, until nothing does (or `passes`
    rounds over every number)."""
    groups = set(groups)
    unknown = groups - set(GROUPS)
    if unknown:
        raise ValueError(f"unknown groups {sorted(unknown)}; valid: {', '.join(GROUPS)}")
    used = {rule_id for e in examples for rule_id in e.positions}
    result = FitResult(before=numbers, after=numbers)
    current = numbers
    best = objective(model.report(current, examples))
    for _ in range(passes):
        improved = False
        for _name, candidates in _coordinates(model, current, groups, used):
            top, top_value = None, best
            for candidate in candidates:
                value = objective(model.report(candidate, examples))
                if value > top_value + 1e-12:
                    top, top_value = candidate, value
            if top is not None and top_value >= best + min_gain:
                current, best, improved = top, top_value, True
        if not improved:
            break
    result.after = current
    return result


def _coordinates(model: Model, n: Numbers, groups: set[str],
                 used: set[str]) -> Iterator[tuple[str, list[Numbers]]]:
    if "weights" in groups:
        for key, grid in WEIGHT_GRID.items():
            options = [replace(n, weights={**n.weights, key: v})
                       for v in _nearest(grid, n.weights[key])
                       if _ordered({**n.weights, key: v})]
            yield f"scoring.{key}", options
    if "thresholds" in groups:
        for cat in n.thresholds:
            yield f"categories.{cat}.threshold", [
                replace(n, thresholds={**n.thresholds, cat: v})
                for v in _nearest(THRESHOLD_GRID, n.thresholds[cat])
                if n.body_thresholds[cat] is None or v <= n.body_thresholds[cat]]
            if n.body_thresholds[cat] is not None:
                yield f"categories.{cat}.body_threshold", [
                    replace(n, body_thresholds={**n.body_thresholds, cat: v})
                    for v in _nearest(BODY_THRESHOLD_GRID, n.body_thresholds[cat])
                    if v >= n.thresholds[cat]]
    if "scores" in groups:
        for rule_id, score in n.scores.items():
            if rule_id not in used:
                continue  # no labelled article touches it: nothing to learn
            options = []
            for step in sorted(SCORE_STEPS, key=abs):
                v = score + step
                # A rule keeps its sign (it stays evidence for, or against, its category).
                if (v > 0) == (score > 0) and v != 0 and abs(v) <= SCORE_LIMIT:
                    options.append(replace(n, scores={**n.scores, rule_id: v}))
            yield f"rules[{rule_id}].score", options


def _nearest(grid: tuple[float, ...], current: float) -> list[float]:
    """The grid's other values, nearest first: among equally good changes the search keeps
    the smallest (it takes the first best candidate)."""
    return sorted((v for v in grid if v != current), key=lambda v: (abs(v - current), v))


def _ordered(weights: dict[str, float]) -> bool:
    """The title counts at least as much as the lead, the lead at least as the body."""
    return weights["title"] >= weights["lead"] >= weights["body"]


def model_of(spec) -> tuple[Model, Numbers]:
    """The fixed shape and the fittable numbers of a validated rules file (RulesFile)."""
    rules = [r for r in spec.rules if r.enabled]
    model = Model(rules={r.id: RuleShape(r.category, r.max_hits) for r in rules},
                  implies={name: tuple(c.implies) for name, c in spec.categories.items()})
    numbers = Numbers(
        weights={"title": spec.scoring.title, "lead": spec.scoring.lead,
                 "body": spec.scoring.body},
        thresholds={name: c.threshold for name, c in spec.categories.items()},
        body_thresholds={name: c.body_threshold for name, c in spec.categories.items()},
        scores={r.id: r.score for r in rules})
    return model, numbers

"""Score decisions against labels: precision, recall, F1 per category and per language.

Plain functions, no I/O beyond reading the two files, so `newswatch eval`, `make eval` and
the tests share one definition of every figure.

Labels: JSON Lines or a YAML list of items with `id`, `labels` (categories; empty for none),
optional `language` and `split`. Decisions: JSON Lines as `newswatch classify` prints them
(`id` or `article_id`, `categories`, `matches` with rule ids and sentences), or slim records
with `rules` (rule id @ field) and no text, as the real-article set keeps them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from newswatch.errors import InputError
from processors.inputs import json_objects, read_utf8


@dataclass(frozen=True)
class Gold:
    id: str
    labels: frozenset[str]
    language: str = ""
    split: str = ""


@dataclass(frozen=True)
class Predicted:
    id: str
    categories: frozenset[str]
    evidence: tuple[tuple[str, str], ...] = ()  # (rule id, sentence or field)


@dataclass(frozen=True)
class Scores:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def support(self) -> int:
        return self.tp + self.fn


@dataclass
class Report:
    categories: tuple[str, ...]
    groups: dict[str, dict[str, Scores]] = field(default_factory=dict)  # group -> cat -> scores
    sizes: dict[str, int] = field(default_factory=dict)
    disagreements: list[tuple[Gold, Predicted]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # labelled ids with no decision

    def macro_f1(self, group: str = "all") -> float:
        scores = self.groups[group]
        return sum(scores[c].f1 for c in self.categories) / len(self.categories)

    def as_dict(self) -> dict:
        return {
            "groups": {g: {"articles": self.sizes[g], "macro_f1": round(self.macro_f1(g), 4),
                           **{c: {"p": round(s.precision, 4), "r": round(s.recall, 4),
                                  "f1": round(s.f1, 4), "tp": s.tp, "fp": s.fp, "fn": s.fn}
                              for c, s in cats.items()}}
                       for g, cats in self.groups.items()},
            "disagreements": [{"id": g.id, "language": g.language, "gold": sorted(g.labels),
                               "got": sorted(p.categories),
                               "evidence": [list(e) for e in p.evidence]}
                              for g, p in self.disagreements],
            "missing": self.missing,
        }


def score(pairs: list[tuple[frozenset[str], frozenset[str]]], category: str) -> Scores:
    tp = sum(1 for gold, got in pairs if category in gold and category in got)
    fp = sum(1 for gold, got in pairs if category not in gold and category in got)
    fn = sum(1 for gold, got in pairs if category in gold and category not in got)
    return Scores(tp, fp, fn)


def evaluate(gold: list[Gold], predicted: dict[str, Predicted],
             categories: tuple[str, ...] = ("cooperation", "dispute", "drills")) -> Report:
    """Scores overall ("all") and per language ("lang:xx"), and every disagreement."""
    report = Report(categories=categories)
    groups: dict[str, list[tuple[frozenset[str], frozenset[str]]]] = {"all": []}
    for item in gold:
        got = predicted.get(item.id)
        if got is None:
            report.missing.append(item.id)
            continue
        pair = (item.labels, got.categories & set(categories))
        groups["all"].append(pair)
        if item.language:
            groups.setdefault(f"lang:{item.language}", []).append(pair)
        if pair[0] != pair[1]:
            report.disagreements.append((item, got))
    for name in sorted(groups, key=lambda g: (g != "all", g)):
        report.groups[name] = {c: score(groups[name], c) for c in categories}
        report.sizes[name] = len(groups[name])
    return report


def read_records(path: Path) -> list[dict]:
    """The items of a YAML list or a JSON Lines file, each a mapping."""
    text = read_utf8(path)
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            data = yaml.safe_load(text) or []
        except yaml.YAMLError as exc:
            raise InputError(f"{path}: not YAML ({exc})") from None
        if not isinstance(data, list):
            raise InputError(f"{path}: expected a list of items")
        return data
    out = []
    for number, obj in json_objects(path, text):
        if not isinstance(obj, dict):
            raise InputError(f"{path}:{number}: expected a JSON object")
        out.append(obj)
    return out


def load_gold(paths: list[Path], split: str | None = None) -> list[Gold]:
    gold: list[Gold] = []
    seen: set[str] = set()
    for path in paths:
        for number, obj in enumerate(read_records(path), 1):
            if not isinstance(obj, dict) or "id" not in obj or \
                    not isinstance(obj.get("labels", []), list):
                raise InputError(f"{path}: item {number}: expected an id and a list of labels")
            ident = str(obj["id"])
            if ident in seen:
                raise InputError(f"{path}: duplicate id {ident!r}")
            seen.add(ident)
            item = Gold(ident, frozenset(obj.get("labels") or ()), str(obj.get("language", "")),
                        str(obj.get("split", "")))
            if split is None or item.split == split:
                gold.append(item)
    return gold


def load_predicted(path: Path) -> dict[str, Predicted]:
    out: dict[str, Predicted] = {}
    for number, obj in enumerate(read_records(path), 1):
        ident = obj.get("id", obj.get("article_id"))
        cats = obj.get("categories")
        if ident is None or not isinstance(cats, list):
            raise InputError(f"{path}:{number}: a decision needs an id and a categories list")
        if "matches" in obj:
            evidence = tuple((m.get("rule_id", "?"), m.get("sentence", "")) for m in
                             obj["matches"])
        else:
            evidence = tuple(tuple(r.split("@", 1)) if "@" in r else (r, "")
                             for r in obj.get("rules", []))
        out[str(ident)] = Predicted(str(ident), frozenset(cats), tuple(dict.fromkeys(evidence)))
    return out

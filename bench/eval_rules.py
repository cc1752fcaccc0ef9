"""Precision, recall and F1 per category of a rules file on the labelled development set.

    python -m bench.eval_rules [--rules config/rules.yaml] [--devset tests/devset] [--errors]

The set (tests/devset/*.yaml) is split into `dev`, used while writing and tuning rules, and
`heldout`, kept aside to estimate how the rules do on stories they were not tuned on. Errors
are listed for the dev split only (with --errors); --show-heldout lists held-out errors too,
which spends the held-out set.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from processors import Classifier, load_ruleset  # noqa: E402
from processors.evaluation import score  # noqa: E402

SPLITS = ("dev", "heldout")


@dataclass(frozen=True)
class Example:
    id: str
    split: str
    labels: frozenset[str]
    title: str
    text: str
    source: str


def load_devset(folder: Path, categories: set[str]) -> list[Example]:
    examples: list[Example] = []
    seen: set[str] = set()
    for path in sorted(folder.glob("*.yaml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            ident = str(item["id"])
            labels = frozenset(item.get("labels") or ())
            if ident in seen:
                raise SystemExit(f"{path}: duplicate id {ident}")
            if item.get("split") not in SPLITS:
                raise SystemExit(f"{path}: {ident}: split must be one of {SPLITS}")
            if not labels <= categories:
                raise SystemExit(f"{path}: {ident}: unknown labels {sorted(labels - categories)}")
            seen.add(ident)
            examples.append(Example(ident, item["split"], labels, item.get("title", ""),
                                    item["text"], path.name))
    return examples


def scores(pairs: list[tuple[frozenset[str], frozenset[str]]], category: str) -> dict:
    """The figures of processors.evaluation.score, as the dict this report prints."""
    s = score(pairs, category)
    return {"tp": s.tp, "fp": s.fp, "fn": s.fn, "p": s.precision, "r": s.recall, "f1": s.f1,
            "support": s.support}


def report(name: str, pairs, categories: list[str]) -> dict[str, dict]:
    exact = sum(1 for gold, pred in pairs if gold == pred)
    print(f"\n{name}: {len(pairs)} articles, exact label-set match {exact}/{len(pairs)}")
    print(f"  {'category':<12} {'P':>6} {'R':>6} {'F1':>6}   tp  fp  fn  support")
    out = {}
    for cat in categories:
        s = out[cat] = scores(pairs, cat)
        print(f"  {cat:<12} {s['p']:6.3f} {s['r']:6.3f} {s['f1']:6.3f}  {s['tp']:3d} {s['fp']:3d} "
              f"{s['fn']:3d}  {s['support']:5d}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=Path, default=ROOT / "config" / "rules.yaml")
    parser.add_argument("--devset", type=Path, default=ROOT / "tests" / "devset")
    parser.add_argument("--errors", action="store_true", help="list dev-split errors")
    parser.add_argument("--show-heldout", action="store_true",
                        help="also list held-out errors (spends the held-out set)")
    args = parser.parse_args(argv)

    ruleset = load_ruleset(args.rules)
    categories = list(ruleset.spec.categories)
    examples = load_devset(args.devset, set(categories))
    classifier = Classifier(ruleset)
    print(f"rules: {ruleset.describe()}")
    results = {}
    for ex in examples:
        verdict = classifier.explain([("title", ex.title), ("text", ex.text)])
        results[ex.id] = (ex, frozenset(verdict.categories), verdict)
    for split in SPLITS:
        report(split, [(ex.labels, pred) for ex, pred, _ in results.values() if ex.split == split],
               categories)
    report("all", [(ex.labels, pred) for ex, pred, _ in results.values()], categories)
    show = {"dev"} | ({"heldout"} if args.show_heldout else set())
    if args.errors or args.show_heldout:
        print("\nerrors:")
        for ex, pred, verdict in results.values():
            if ex.split in show and ex.labels != pred:
                points = ", ".join(f"{c}={p:g}" for c, p in verdict.category_points.items())
                print(f"  {ex.id} [{ex.split}] gold={sorted(ex.labels)} got={sorted(pred)} "
                      f"({points}) {ex.title[:70]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

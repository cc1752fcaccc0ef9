"""The real-article development set (tests/devset/real/) keeps metadata and decisions only,
and its paraphrased cases (tests/devset/cases/) keep the rules honest in CI.

What is checked here is what makes the figures trustworthy: the set is large and mixed
enough, no article text is kept anywhere, every case stands for a real dev item with the
same labels, and the default rules reach the level reported on those cases."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from processors import Classifier, load_ruleset
from processors.evaluation import Gold, Predicted, evaluate

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "tests" / "devset" / "real"
CASES = ROOT / "tests" / "devset" / "cases"
CATEGORIES = {"cooperation", "dispute", "drills"}
META_KEYS = {"id", "split", "url", "source", "date", "language", "labels", "hard_negative",
             "rationale", "query", "rank", "classes"}
DECISION_KEYS = {"id", "ruleset", "categories", "severity", "score", "rules"}


def _items() -> list[dict]:
    return [json.loads(line) for path in sorted(REAL.glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _cases() -> list[dict]:
    return [case for path in sorted(CASES.glob("*.yaml"))
            for case in yaml.safe_load(path.read_text(encoding="utf-8")) or []]


ITEMS = _items()
BY_ID = {item["id"]: item for item in ITEMS}


class TestMetadataOnly:
    def test_items_carry_metadata_keys_and_nothing_else(self):
        for item in ITEMS:
            assert set(item) <= META_KEYS, item["id"]
            assert {"id", "split", "url", "source", "language", "labels", "rationale",
                    "query"} <= set(item), item["id"]
            assert item["url"].startswith(("http://", "https://")), item["id"]
            assert item["language"] in {"en", "ko", "ja"}
            assert item["split"] in {"dev", "heldout", "heldout2", "heldout3", "heldout4",
                                     "heldout5", "heldout6", "heldout7", "heldout8", "heldout9",
                                     "heldout10", "heldout11", "heldout12", "heldout13"}
            assert set(item["labels"]) <= CATEGORIES, item["id"]
            assert "drills" not in item["labels"] or "cooperation" in item["labels"]
            assert len(item["rationale"]) <= 300, f"{item['id']}: a rationale is one line"

    def test_ids_and_urls_are_unique(self):
        assert len({i["id"] for i in ITEMS}) == len(ITEMS)
        assert len({i["url"] for i in ITEMS}) == len(ITEMS)

    def test_recorded_decisions_keep_no_text(self):
        paths = sorted((REAL / "decisions").glob("*.jsonl"))
        assert paths
        for path in paths:
            for line in path.read_text(encoding="utf-8").splitlines():
                decision = json.loads(line)
                assert set(decision) <= DECISION_KEYS, path.name
                assert decision["id"] in BY_ID, f"{path.name}: {decision['id']}"
                for rule in decision["rules"]:
                    assert re.fullmatch(r"[a-z0-9-]+@(title|text|summary|content)", rule), rule


class TestComposition:
    def test_large_enough_in_every_language_with_hard_negatives(self):
        languages = Counter(item["language"] for item in ITEMS)
        assert len(ITEMS) >= 200
        assert languages["en"] >= 80 and languages["ko"] >= 60 and languages["ja"] >= 60
        assert sum(bool(item.get("hard_negative")) for item in ITEMS) >= len(ITEMS) / 4

    def test_both_splits_in_every_language_and_every_category(self):
        for language in ("en", "ko", "ja"):
            for split in ("dev", "heldout"):
                part = [i for i in ITEMS if i["language"] == language and i["split"] == split]
                assert len(part) >= 25, (language, split)
        for category in CATEGORIES:
            assert sum(category in i["labels"] for i in ITEMS if i["split"] == "heldout") >= 20


@pytest.fixture(scope="module")
def report():
    classifier = Classifier(load_ruleset(ROOT / "config" / "rules.yaml"))
    cases = _cases()
    gold = [Gold(c["id"], frozenset(c["labels"]), c["language"]) for c in cases]
    got = {c["id"]: Predicted(c["id"], frozenset(classifier.explain(
        [("title", c["title"]), ("text", c["text"])]).categories)) for c in cases}
    return evaluate(gold, got)


class TestCases:
    def test_every_case_stands_for_a_real_dev_item_with_its_labels(self):
        cases = _cases()
        assert len(cases) >= 150
        for case in cases:
            item = BY_ID.get(case["id"])
            assert item is not None, f"{case['id']}: no such real item"
            # Cases stand for dev items, and for a held-out part's errors once that part was
            # spent (studied after its one measurement); never for the latest batch.
            assert item["split"] in {"dev", "heldout", "heldout2", "heldout3", "heldout4",
                                     "heldout5", "heldout6", "heldout7", "heldout8",
                                     "heldout9", "heldout10", "heldout11", "heldout12"}, \
                f"{case['id']}: no case for heldout13"
            assert sorted(case["labels"]) == item["labels"], case["id"]
            assert case["language"] == item["language"], case["id"]
            assert case["title"].strip() and case["text"].strip(), case["id"]

    def test_default_rules_on_the_cases_overall(self, report):
        # The cases hold every held-out batch's errors, those no rule covers yet included
        # (160 of 1342), so the gate is the level reached (0.92-0.94 per category), not 1.
        for category, scores in report.groups["all"].items():
            assert scores.f1 >= 0.92, (category, scores)

    @pytest.mark.parametrize("language", ["en", "ko", "ja"])
    def test_default_rules_on_the_cases_per_language(self, report, language):
        for category, scores in report.groups[f"lang:{language}"].items():
            assert scores.f1 >= 0.90, (language, category, scores)

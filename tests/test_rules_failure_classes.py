"""The failure classes seen on real published news, as short cases written here
(tests/devset/regressions/failure_classes.yaml): each case gets exactly its labels.

1 dispute evidence in the body, 2 Korea's own Dokdo drills, 3 separate bilateral drills,
4 cancelled joint drills, 5 Dokdo as a place or a name, 6 summits and analysis pieces,
7 Korean and Japanese wording of talks, drills and cancellations."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from processors import Classifier, load_ruleset

ROOT = Path(__file__).resolve().parent.parent
CASES = yaml.safe_load((ROOT / "tests" / "devset" / "regressions" / "failure_classes.yaml")
                       .read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def classifier():
    return Classifier(load_ruleset(ROOT / "config" / "rules.yaml"))


def test_every_class_is_covered_in_more_than_one_language():
    for cls in range(1, 8):
        cases = [c for c in CASES if c["class"] == cls]
        assert len(cases) >= 2, cls
    assert {c["language"] for c in CASES} == {"en", "ko", "ja"}


@pytest.mark.parametrize("case", CASES, ids=[f"class{c['class']}-{c['id']}" for c in CASES])
def test_case_gets_exactly_its_labels(classifier, case):
    verdict = classifier.explain([("title", case["title"]), ("text", case["text"])])
    assert sorted(verdict.categories) == sorted(case["labels"]), (
        f"points {verdict.category_points}, rules {verdict.rule_points}")

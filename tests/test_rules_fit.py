"""`newswatch rules fit`: numbers fitted to labelled articles, written into a copy that keeps
every comment, and never a decision the classifier would not make."""

from __future__ import annotations

import glob

import pytest
import yaml

from newswatch.errors import ConfigError
from processors import Classifier, load_ruleset
from processors.fitting import Example, fit, model_of
from processors.rules.edit import format_number, set_numbers
from tests.processutil import DEFAULT_RULES, ROOT
from tests.test_process_cli import newswatch

RULES = """\
name: fit-me
# the officer's comment on scoring stays
scoring: {title: 2, lead: 1.5, body: 1}
categories:
  dispute:
    threshold: 5   # too strict: a headline protest earns 4
  cooperation: {threshold: 2}
terms:
  dokdo: [Dokdo, Takeshima]
  protest: [protest, protests, protested]
  talks: [talks]
rules:
  - id: dokdo-protest
    category: dispute
    score: 2
    terms: [dokdo]
    context: {same_sentence: [protest]}
  - id: defense-talks
    category: cooperation
    score: 2
    terms: [talks]
"""


def _items(n: int = 6) -> list[dict]:
    items = []
    for i in range(n):
        items.append({"id": f"p{i}", "language": "en", "labels": ["dispute"],
                      "title": f"Seoul protests Tokyo's Dokdo claim, number {i}",
                      "text": "The foreign ministry summoned a diplomat."})
        items.append({"id": f"n{i}", "language": "en", "labels": [],
                      "title": f"Weather on the coast, day {i}",
                      "text": "Tourists visited Dokdo by ferry."})
    return items


@pytest.fixture
def fit_files(tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES, encoding="utf-8")
    labels = tmp_path / "labels.yaml"
    labels.write_text(yaml.safe_dump(_items(), allow_unicode=True), encoding="utf-8")
    return rules, labels


def _examples(classifier, items):
    return [Example(i["id"], frozenset(i["labels"]), i["language"],
                    classifier.explain([("title", i["title"]), ("text", i["text"])]).positions)
            for i in items]


class TestReScoring:
    def test_the_fit_decides_every_shipped_case_as_the_classifier_does(self):
        ruleset = load_ruleset(DEFAULT_RULES)
        classifier = Classifier(ruleset)
        model, numbers = model_of(ruleset.spec)
        cases = [c for f in sorted(glob.glob(str(ROOT / "tests/devset/cases/*.yaml")))
                 for c in yaml.safe_load(open(f, encoding="utf-8"))]
        assert len(cases) > 200
        for case in cases:
            fields = [("title", case["title"]), ("text", case["text"])]
            verdict = classifier.explain(fields)
            example = Example(case["id"], frozenset(), "", verdict.positions)
            assert model.decide(numbers, example) == frozenset(verdict.categories), case["id"]

    def test_a_threshold_too_strict_for_the_labels_is_lowered_and_no_further(self, fit_files):
        rules, _labels = fit_files
        ruleset = load_ruleset(rules)
        model, numbers = model_of(ruleset.spec)
        examples = _examples(Classifier(ruleset), _items())
        result = fit(model, numbers, examples, groups=["thresholds"])
        assert result.after.thresholds["dispute"] == 4.0  # the nearest value that works
        assert numbers.changes(result.after) == [("categories.dispute.threshold", 5, 4.0)]
        report = model.report(result.after, examples)
        assert report.groups["all"]["dispute"].f1 == 1.0

    def test_nothing_changes_when_nothing_gains(self, fit_files):
        rules, _labels = fit_files
        ruleset = load_ruleset(rules)
        model, numbers = model_of(ruleset.spec)
        negatives = [i for i in _items() if not i["labels"]]
        result = fit(model, numbers, _examples(Classifier(ruleset), negatives))
        assert numbers.changes(result.after) == []

    def test_unknown_groups_are_refused_with_the_valid_names(self, fit_files):
        rules, _labels = fit_files
        model, numbers = model_of(load_ruleset(rules).spec)
        with pytest.raises(ValueError, match="weights, thresholds, scores"):
            fit(model, numbers, [], groups=["bias"])


class TestWrittenCopy:
    def test_numbers_change_in_place_and_comments_stay(self):
        out = set_numbers(RULES, {"categories.dispute.threshold": 4.0,
                                  "rules[defense-talks].score": 2.5, "scoring.body": 0.5})
        assert "threshold: 4   # too strict: a headline protest earns 4" in out
        assert "# the officer's comment on scoring stays" in out
        assert "scoring: {title: 2, lead: 1.5, body: 0.5}" in out
        spec = yaml.safe_load(out)
        assert spec["rules"][1]["score"] == 2.5 and spec["rules"][0]["score"] == 2
        assert len(out.splitlines()) == len(RULES.splitlines())

    def test_a_number_the_file_lacks_is_refused(self):
        with pytest.raises(ConfigError, match="no number categories.dispute.body_threshold"):
            set_numbers(RULES, {"categories.dispute.body_threshold": 8.0})

    def test_numbers_are_written_as_a_person_writes_them(self):
        assert [format_number(v) for v in (4.0, 2.5, 0.75, -3.0)] == ["4", "2.5", "0.75", "-3"]


class TestCommand:
    def test_dry_run_prints_the_change_and_writes_nothing(self, fit_files, tmp_path):
        rules, labels = fit_files
        before = rules.read_text(encoding="utf-8")
        result = newswatch("rules", "fit", labels, "--rules", rules, "--fit", "thresholds")
        assert result.returncode == 0, result.stderr
        assert "categories.dispute.threshold: 5 -> 4" in result.stdout
        assert "dry run: nothing written" in result.stdout
        assert rules.read_text(encoding="utf-8") == before
        assert sorted(p.name for p in tmp_path.iterdir()) == ["labels.yaml", "rules.yaml"]

    def test_out_writes_a_copy_that_loads_and_decides_as_fitted(self, fit_files, tmp_path):
        rules, labels = fit_files
        out = tmp_path / "fitted.yaml"
        result = newswatch("rules", "fit", labels, "--rules", rules, "--fit", "thresholds",
                           "--out", out, "--check", labels)
        assert result.returncode == 0, result.stderr
        assert "checked on 12 articles" in result.stdout
        fitted = load_ruleset(out)
        assert fitted.spec.categories["dispute"].threshold == 4
        verdict = Classifier(fitted).explain([("title", "Seoul protests the Dokdo claim"),
                                              ("text", "A diplomat was summoned.")])
        assert verdict.categories == ("dispute",)

    def test_labels_without_text_are_refused_with_the_fix(self, fit_files, tmp_path):
        rules, _labels = fit_files
        result = newswatch("rules", "fit", ROOT / "tests/devset/real/en-a.jsonl",
                           "--rules", rules)
        assert result.returncode == 2
        assert "no article text" in result.stderr and "paraphrased cases" in result.stderr

    def test_the_rules_file_itself_is_never_the_output(self, fit_files):
        rules, labels = fit_files
        result = newswatch("rules", "fit", labels, "--rules", rules, "--out", rules)
        assert result.returncode == 2 and "is the rules file itself" in result.stderr

    def test_an_unknown_group_lists_the_valid_ones(self, fit_files):
        rules, labels = fit_files
        result = newswatch("rules", "fit", labels, "--rules", rules, "--fit", "bias")
        assert result.returncode == 2 and "weights, thresholds, scores" in result.stderr


def test_a_rule_score_change_is_printed_with_the_rule_id(fit_files):
    rules, labels = fit_files
    result = newswatch("rules", "fit", labels, "--rules", rules, "--fit", "scores")
    assert result.returncode == 0, result.stderr
    assert "rules[dokdo-protest].score: 2 -> 2.5" in result.stdout

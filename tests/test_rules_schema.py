"""The rules file: loading, validation with file/line/rule id, version hash, shipped rules."""

from __future__ import annotations

import time

import pytest

from newswatch.configfile import ConfigFileError
from processors import load_ruleset
from processors.ruleset import load_ruleset_bytes
from tests.processutil import DEFAULT_RULES, SMALL_RULES, write_rules


def problems_of(path) -> list[str]:
    with pytest.raises(ConfigFileError) as info:
        load_ruleset(path)
    return [str(p) for p in info.value.problems]


class TestShippedRules:
    def test_default_rules_load(self):
        ruleset = load_ruleset(DEFAULT_RULES)
        assert ruleset.name == "korea-japan-security"
        assert set(ruleset.spec.categories) == {"cooperation", "dispute", "drills"}
        assert len(ruleset.rules) >= 10

    def test_version_is_hash_of_bytes_and_changes_with_any_edit(self, tmp_path):
        data = DEFAULT_RULES.read_bytes()
        a = load_ruleset_bytes(data, "rules.yaml")
        b = load_ruleset_bytes(data + b"\n# a comment\n", "rules.yaml")
        assert a.version == load_ruleset(DEFAULT_RULES).version
        assert len(a.version) == 12 and a.version != b.version

    def test_record_carries_text_for_audits(self):
        ruleset = load_ruleset(DEFAULT_RULES)
        record = ruleset.record()
        assert record.version == ruleset.version and record.text == DEFAULT_RULES.read_text()


class TestProblemsNameLineAndRule:
    def test_bad_severity_and_unknown_term_list_are_both_reported(self, tmp_path):
        text = SMALL_RULES.replace("severity: high", "severity: urgent").replace(
            "terms: [exercise]", "terms: [exercises]")
        found = problems_of(write_rules(tmp_path, text))
        lines = text.splitlines()
        assert len(found) == 2
        sev = next(p for p in found if "severity" in p)
        assert "(id=dokdo-protest)" in sev
        line = int(sev.split(":")[1])
        assert "severity: urgent" in lines[line - 1]
        unknown = next(p for p in found if "exercises" in p)
        assert "(id=joint-drill)" in unknown and "did you mean 'exercise'?" in unknown

    def test_a_misspelt_value_is_echoed_with_the_nearest_valid_one(self, tmp_path):
        text = SMALL_RULES.replace("severity: high", "severity: meduim")
        found = problems_of(write_rules(tmp_path, text))
        assert len(found) == 1
        assert "severity: 'meduim' is not one of" in found[0]
        assert "did you mean 'medium'?" in found[0] and "(fix: write 'medium')" in found[0]

    def test_a_term_list_name_nothing_resembles_lists_the_valid_names(self, tmp_path):
        text = SMALL_RULES.replace("terms: [exercise]", "terms: [zzz_unrelated]")
        found = problems_of(write_rules(tmp_path, text))
        assert "'zzz_unrelated'" in found[0] and "did you mean" not in found[0]
        assert "use one of: dokdo, exercise, japan, korea, protest" in found[0]

    def test_unknown_category_and_duplicate_rule_id(self, tmp_path):
        text = SMALL_RULES.replace("category: drills\n", "category: drill\n").replace(
            "id: joint-drill", "id: dokdo-protest")
        found = problems_of(write_rules(tmp_path, text))
        assert any("unknown category 'drill'" in p for p in found)
        assert sum("used more than once" in p for p in found) == 2

    def test_invalid_spacy_pattern_is_caught_at_load(self, tmp_path):
        text = SMALL_RULES + """\
  - id: bad-pattern
    category: drills
    score: 1
    kind: tokens
    anchor: [exercise]
    patterns:
      - [{LOWR: joint}, {LOWER: drill}]
"""
        found = problems_of(write_rules(tmp_path, text))
        assert len(found) == 1
        assert "(id=bad-pattern)" in found[0] and "not a valid spaCy token pattern" in found[0]
        assert "LOWR" in found[0]
        assert int(found[0].split(":")[1]) == text.splitlines().index("  - id: bad-pattern") + 1

    def test_token_pattern_attribute_the_processor_does_not_compute(self, tmp_path):
        text = SMALL_RULES + """\
  - id: shape-pattern
    category: drills
    score: 1
    kind: tokens
    anchor: [exercise]
    patterns:
      - [{SHAPE: dddd}]
"""
        assert any("SHAPE" in p and "computes only" in p
                   for p in problems_of(write_rules(tmp_path, text)))

    def test_regex_with_backtracking_feature_is_refused(self, tmp_path):
        text = SMALL_RULES + """\
  - id: lookbehind
    category: dispute
    score: 1
    kind: regex
    pattern: '(?<=Japan )claims'
"""
        found = problems_of(write_rules(tmp_path, text))
        assert any("(id=lookbehind)" in p and "RE2" in p for p in found)

    def test_tokens_rule_needs_an_anchor(self, tmp_path):
        text = SMALL_RULES + """\
  - id: no-anchor
    category: drills
    score: 1
    kind: tokens
    patterns: [[{LOWER: drill}]]
"""
        assert any("needs `anchor:`" in p for p in problems_of(write_rules(tmp_path, text)))

    def test_yaml_syntax_error_names_the_line(self, tmp_path):
        text = SMALL_RULES.replace("  korea: [South Korea, Seoul, 한국]",
                                   "  korea: [South Korea, Seoul")
        found = problems_of(write_rules(tmp_path, text))
        assert len(found) == 1 and "invalid YAML" in found[0]

    def test_term_lists_including_each_other(self, tmp_path):
        text = SMALL_RULES.replace("  korea: [South Korea, Seoul, 한국]",
                                   "  korea: {aliases: [Seoul], include: [japan]}").replace(
            "  japan: [Japan, Tokyo, 일본, 日本]", "  japan: {aliases: [Tokyo], include: [korea]}")
        assert any("include each other" in p for p in problems_of(write_rules(tmp_path, text)))

    def test_missing_file(self, tmp_path):
        assert "file not found" in problems_of(tmp_path / "nope.yaml")[0]


class TestRegexIsLinearTime:
    def test_pathological_pattern_runs_in_linear_time(self, tmp_path):
        """(a+)+$ backtracks exponentially in Python's re; RE2 does not backtrack."""
        from processors import Classifier
        text = SMALL_RULES + """\
  - id: nested
    category: dispute
    score: 1
    kind: regex
    pattern: '(a+)+$'
"""
        clf = Classifier(load_ruleset(write_rules(tmp_path, text)))
        started = time.monotonic()
        verdict = clf.explain([("text", "a" * 30_000 + "b")])
        # Not a speed assertion: a backtracking engine would not return at all.
        assert verdict.categories == ()
        assert time.monotonic() - started < 60

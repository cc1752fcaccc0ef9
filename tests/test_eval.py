"""`newswatch eval LABELS DECISIONS`: the figures an officer checks, and the disagreements."""

from __future__ import annotations

import json

import pytest

from newswatch.errors import InputError
from processors.evaluation import Gold, Predicted, evaluate, load_gold, load_predicted
from tests.processutil import DEFAULT_RULES
from tests.test_process_cli import newswatch


def _gold(ident, labels, lang="en"):
    return Gold(ident, frozenset(labels), lang)


def _got(ident, cats, evidence=()):
    return Predicted(ident, frozenset(cats), tuple(evidence))


class TestFigures:
    def test_precision_recall_f1_per_category_and_language(self):
        gold = [_gold("a", ["dispute"]), _gold("b", ["dispute"]), _gold("c", []),
                _gold("d", ["cooperation"], "ko"), _gold("e", ["dispute"], "ko")]
        got = {"a": _got("a", ["dispute"]), "b": _got("b", []), "c": _got("c", ["dispute"]),
               "d": _got("d", ["cooperation"]), "e": _got("e", ["dispute"])}
        report = evaluate(gold, got)
        dispute = report.groups["all"]["dispute"]
        assert (dispute.tp, dispute.fp, dispute.fn) == (2, 1, 1)
        assert dispute.precision == pytest.approx(2 / 3) and dispute.recall == pytest.approx(2 / 3)
        assert report.groups["lang:ko"]["dispute"].f1 == 1.0
        assert report.groups["lang:en"]["dispute"].f1 == 0.5
        assert report.sizes == {"all": 5, "lang:en": 3, "lang:ko": 2}
        assert [g.id for g, _ in report.disagreements] == ["b", "c"]

    def test_a_category_never_labelled_nor_raised_counts_as_perfect(self):
        report = evaluate([_gold("a", [])], {"a": _got("a", [])})
        assert report.groups["all"]["drills"].f1 == 1.0 and report.macro_f1() == 1.0

    def test_labelled_articles_without_a_decision_are_listed_not_scored(self):
        report = evaluate([_gold("a", ["dispute"]), _gold("z", ["dispute"])],
                          {"a": _got("a", ["dispute"])})
        assert report.missing == ["z"] and report.sizes["all"] == 1


class TestFiles:
    def test_slim_and_full_decisions_both_load(self, tmp_path):
        path = tmp_path / "d.jsonl"
        path.write_text(json.dumps({"id": "s", "categories": ["dispute"],
                                    "rules": ["dispute-dokdo-claim@title"]}) + "\n"
                        + json.dumps({"article_id": "f", "categories": [], "matches": [
                            {"rule_id": "r1", "sentence": "A sentence."}]}) + "\n")
        got = load_predicted(path)
        assert got["s"].evidence == (("dispute-dokdo-claim", "title"),)
        assert got["f"].evidence == (("r1", "A sentence."),)

    def test_split_filter_and_duplicate_ids(self, tmp_path):
        path = tmp_path / "l.jsonl"
        path.write_text('{"id": "a", "labels": [], "split": "dev"}\n'
                        '{"id": "b", "labels": [], "split": "heldout"}\n')
        assert [g.id for g in load_gold([path], "heldout")] == ["b"]
        path.write_text('{"id": "a", "labels": []}\n{"id": "a", "labels": []}\n')
        with pytest.raises(InputError, match="duplicate id 'a'"):
            load_gold([path])

    def test_broken_decision_line_names_file_and_line(self, tmp_path):
        path = tmp_path / "d.jsonl"
        path.write_text('{"id": "a", "categories": []}\n{broken\n')
        with pytest.raises(InputError, match=r"d\.jsonl:2: not JSON"):
            load_predicted(path)


class TestCommand:
    def test_classify_then_eval_lists_each_disagreement_with_its_evidence(self, tmp_path):
        articles = tmp_path / "a.jsonl"
        articles.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in [
            {"id": "k1", "title": "일본 방위백서 독도 영유권 주장에 항의",
             "text": "정부는 일본 방위백서의 독도 영유권 주장에 강력히 항의했다."},
            {"id": "e1", "title": "Stocks rise in Seoul", "text": "Markets rose."},
            {"id": "e2", "title": "Ferry to Dokdo resumes for tourists",
             "text": "Tourists boarded the ferry in Pohang."}]), encoding="utf-8")
        labels = tmp_path / "labels.jsonl"
        labels.write_text('{"id": "k1", "labels": ["dispute"], "language": "ko"}\n'
                          '{"id": "e1", "labels": ["cooperation"], "language": "en"}\n'
                          '{"id": "e2", "labels": [], "language": "en"}\n')
        classified = newswatch("classify", "--rules", DEFAULT_RULES, articles)
        assert classified.returncode == 0, classified.stderr
        decisions = tmp_path / "decisions.jsonl"
        decisions.write_text(classified.stdout, encoding="utf-8")
        result = newswatch("eval", labels, decisions)
        assert result.returncode == 0, result.stderr
        out = result.stdout
        assert "lang:ko" in out and "lang:en" in out and "macro-F1" in out
        assert "e1 [en]  labels ['cooperation']  got none" in out
        assert "nothing fired" in out
        assert "k1 [ko]" not in out  # agreed: not listed
        report = json.loads(newswatch("eval", "--json", labels, decisions).stdout)
        assert report["groups"]["lang:ko"]["dispute"]["f1"] == 1.0
        assert report["groups"]["all"]["cooperation"]["fn"] == 1

    def test_missing_file_exits_2(self, tmp_path):
        result = newswatch("eval", tmp_path / "none.jsonl", tmp_path / "none2.jsonl")
        assert result.returncode == 2 and "file not found" in result.stderr

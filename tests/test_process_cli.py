"""`newswatch classify`, `rules check` and `rules test` as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.processutil import DEFAULT_RULES, ROOT, SEED, SMALL_RULES, write_rules


def newswatch(*args: str, cwd=ROOT, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSWATCH_")}
    env["COLUMNS"] = "200"
    result = subprocess.run([sys.executable, "-m", "newswatch", *map(str, args)], cwd=cwd,
                            env=env, capture_output=True, input=stdin or b"", timeout=120)
    return subprocess.CompletedProcess(result.args, result.returncode,
                                       result.stdout.decode("utf-8"),
                                       result.stderr.decode("utf-8"))


def test_classify_seed_prints_cooperation_with_evidence():
    result = newswatch("classify", "--rules", DEFAULT_RULES, SEED)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    decision = json.loads(lines[0])
    assert decision["id"] == decision["article_id"] == SEED.stem
    assert decision["categories"] == ["cooperation"]
    assert decision["severity"] == "medium" and decision["score"] > 0
    assert decision["published_at"].startswith("2026-01-30")
    texts = {m["text"] for m in decision["matches"]}
    assert {"Dokdo islets", "General Security of Military Information Agreement"} <= texts
    assert all({"rule_id", "category", "field", "start", "end", "sentence"} <= set(m)
               for m in decision["matches"])


def test_classify_jsonl_gives_one_decision_per_line(tmp_path):
    data = tmp_path / "in.jsonl"
    data.write_text("\n".join(json.dumps(o, ensure_ascii=False) for o in [
        {"id": "k1", "title": "독도 항의", "text": "일본이 독도에 대해 항의했다."},
        {"id": "k2", "title": "Stocks", "text": "Markets rose."},
    ]) + "\n", encoding="utf-8")
    result = newswatch("classify", "--rules", write_rules(tmp_path), data)
    assert result.returncode == 0, result.stderr
    decisions = [json.loads(line) for line in result.stdout.splitlines()]
    assert [d["article_id"] for d in decisions] == ["k1", "k2"]
    assert decisions[0]["categories"] == ["dispute"] and decisions[1]["categories"] == []


def test_classify_bad_input_exits_2_naming_the_line(tmp_path):
    data = tmp_path / "in.jsonl"
    data.write_text('{"id": "ok", "text": "x"}\n{not json\n', encoding="utf-8")
    result = newswatch("classify", "--rules", DEFAULT_RULES, data)
    assert result.returncode == 2
    assert "in.jsonl:2" in result.stderr and result.stdout == ""


def test_classify_stdin_reads_one_piped_article():
    story = ("Seoul protests Tokyo's renewed Dokdo claim\n"
             "South Korea summoned a Japanese diplomat on Tuesday over the defense white "
             "paper, which again calls the Dokdo islets Japanese territory.\n")
    result = newswatch("classify", "--rules", DEFAULT_RULES, "-", stdin=story.encode())
    assert result.returncode == 0, result.stderr
    (decision,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert decision["id"] == "stdin" and decision["categories"] == ["dispute"]
    assert decision["title"] == "Seoul protests Tokyo's renewed Dokdo claim"


def test_classify_stdin_reads_json_lines():
    lines = "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in [
        {"id": "j1", "title": "竹島の日に抗議", "text": "韓国政府は竹島の日の式典に抗議した。"},
        {"id": "j2", "title": "Weather", "text": "Rain in Osaka."}])
    result = newswatch("classify", "--rules", DEFAULT_RULES, "-", stdin=lines.encode())
    assert result.returncode == 0, result.stderr
    assert [json.loads(x)["id"] for x in result.stdout.splitlines()] == ["j1", "j2"]


def test_classify_stdin_empty_or_not_utf8_exits_2_with_one_line():
    for data, words in ((b"", "empty"), (b"  \n\n", "empty"),
                        ("독도".encode("euc-kr"), "not UTF-8")):
        result = newswatch("classify", "--rules", DEFAULT_RULES, "-", stdin=data)
        assert result.returncode == 2, data
        assert words in result.stderr and len(result.stderr.strip().splitlines()) == 1
        assert result.stdout == ""


def test_rules_check_ok_and_broken_copy(tmp_path):
    ok = newswatch("rules", "check", DEFAULT_RULES)
    assert ok.returncode == 0 and "korea-japan-security" in ok.stdout
    broken_text = DEFAULT_RULES.read_text(encoding="utf-8").replace(
        "  - id: dispute-gsomia-threat\n    category: dispute\n    severity: critical",
        "  - id: dispute-gsomia-threat\n    category: dispute\n    severity: catastrophic")
    broken = tmp_path / "rules.yaml"
    broken.write_text(broken_text, encoding="utf-8")
    result = newswatch("rules", "check", broken)
    assert result.returncode == 2
    line = broken_text.splitlines().index("    severity: catastrophic") + 1
    assert f"{broken}:{line}:" in result.stderr
    assert "id=dispute-gsomia-threat" in result.stderr and "1 problem(s)" in result.stderr


def test_rules_check_uses_config_dir(tmp_path):
    write_rules(tmp_path, SMALL_RULES.replace("score: 2", "score: two", 1))
    result = newswatch("rules", "check", "--config-dir", tmp_path)
    assert result.returncode == 2 and "id=dokdo-protest" in result.stderr


def test_rules_test_shows_sentences_and_prints_only(tmp_path):
    article = tmp_path / "story.txt"
    article.write_text("Seoul protests Tokyo's Dokdo claim\nJapan again claimed Dokdo on Tuesday."
                       " South Korea lodged a protest.\n", encoding="utf-8")
    result = newswatch("rules", "test", "--rules", DEFAULT_RULES, article)
    assert result.returncode == 0, result.stderr
    assert "dispute" in result.stdout and "dispute-dokdo-claim" in result.stdout
    assert "Japan again claimed Dokdo on Tuesday." in result.stdout
    assert "threshold" in result.stdout

"""Replay over retained history: windows by record timestamp, comparison with what was
decided at the time, reports by extension, clear answers at the edges.

The classifier is injected; here a keyword classifier stands in for a rules file so the
window and comparison logic is tested on its own (tests/test_replay_rules.py uses real rules).
"""

import csv
import json
from datetime import datetime, timedelta, timezone

import pytest

from newswatch.broker.clients import make_producer
from newswatch.errors import InputError
from newswatch.messages import Article, Decision, Match, Provenance, RulesetRef
from newswatch.replay import replay, write_report

DAY0 = datetime(2026, 3, 1, tzinfo=timezone.utc)


def keyword_classifier(words: dict[str, str], version: str):
    def classify(article: Article) -> Decision:
        text = f"{article.title} {article.content}".lower()
        cats = sorted({cat for word, cat in words.items() if word in text})
        return Decision(article_id=article.id, title=article.title,
                        ruleset=RulesetRef(name="kw", version=version),
                        categories=tuple(cats),
                        matches=tuple(Match(rule_id=f"kw-{w}", category=c, text=w,
                                            field="text", start=0, end=len(w), sentence="")
                                      for w, c in words.items() if w in text),
                        decided_at=DAY0)
    return classify


OLD = keyword_classifier({"gsomia": "dispute", "defense talks": "cooperation"}, "old")
NEW = keyword_classifier({"gsomia": "dispute", "defense talks": "cooperation",
                          "joint drill": "drills"}, "new")
# The new rules also stop calling every GSOMIA mention a dispute: a lost match.
NEWER = keyword_classifier({"defense talks": "cooperation", "joint drill": "drills"}, "newer")

STORIES = [  # (day, id, text)
    (0, "a0", "Seoul and Tokyo open defense talks"),
    (1, "a1", "Trilateral joint drill held off Jeju"),
    (2, "a2", "GSOMIA row deepens"),
    (3, "a3", "K-league final tonight"),
    (4, "a4", "Joint drill and defense talks in one week"),
    (5, "a5", "GSOMIA renewal and joint drill"),
]


@pytest.fixture
def history(settings, topics):
    """Articles with known record timestamps, and the decisions OLD rules recorded for them."""
    producer = make_producer(settings)
    for day, aid, text in STORIES:
        ts = int((DAY0 + timedelta(days=day)).timestamp() * 1000)
        art = Article(id=aid, feed_id="f", source="Wire", title=text, fetched_at=DAY0,
                      content_hash=f"h-{aid}")
        meta = producer.send(topics.articles, key=aid.encode(), value=art.to_json(),
                             timestamp_ms=ts).get(30)
        decided = OLD(art).model_copy(update={
            "content_hash": art.content_hash,
            "input": Provenance(topic=topics.articles, partition=meta.partition,
                                offset=meta.offset)})
        producer.send(topics.decisions, key=aid.encode(), value=decided.to_json(),
                      timestamp_ms=ts + 1000).get(30)
    producer.close()
    return settings


def at(day):
    return DAY0 + timedelta(days=day)


def test_window_cuts_through_history_by_record_timestamp(history):
    result = replay(history, at(1), at(4), classify_now=OLD, now_label="same rules")
    assert sorted(r.article_id for r in result.rows) == ["a1", "a2", "a3"]
    assert result.changed == []  # same rules as at the time: nothing changes
    assert all(r.then_ruleset == "kw@old" for r in result.rows)


def test_open_ended_window_reads_to_the_end(history):
    result = replay(history, at(3), None, classify_now=OLD, now_label="same")
    assert sorted(r.article_id for r in result.rows) == ["a3", "a4", "a5"]


def test_rules_change_reports_gains_and_losses_per_category(history):
    result = replay(history, at(0), None, classify_now=NEWER, now_label="newer")
    changes = {r.article_id: (r.change, r.gained, r.lost) for r in result.changed}
    assert changes == {
        "a1": ("gained", ["drills"], []),
        "a2": ("lost", [], ["dispute"]),
        "a4": ("gained", ["drills"], []),
        "a5": ("changed", ["drills"], ["dispute"]),
    }
    summary = {s.category: s for s in result.summary()}
    assert (summary["drills"].matched_then, summary["drills"].matched_now,
            summary["drills"].newly_caught) == (0, 3, 3)
    assert (summary["dispute"].matched_then, summary["dispute"].no_longer_caught) == (2, 2)
    assert summary["cooperation"].newly_caught == summary["cooperation"].no_longer_caught == 0
    assert all(s.articles == 6 for s in result.summary())


def test_rules_diff_compares_two_rule_sets_without_recorded_decisions(history):
    result = replay(history, at(0), at(6), classify_now=NEW, classify_then=OLD,
                    now_label="new", then_label="old")
    assert sorted(r.article_id for r in result.changed) == ["a1", "a4", "a5"]
    assert all(r.then_ruleset == "kw@old" for r in result.rows)


def test_empty_window_gives_an_empty_result(history):
    result = replay(history, at(30), at(31), classify_now=NEW, now_label="new")
    assert result.rows == [] and result.plan.total == 0


def test_until_before_since_is_an_input_error(history):
    with pytest.raises(InputError, match="is not after --since"):
        replay(history, at(3), at(2), classify_now=NEW, now_label="new")


def test_articles_without_a_recorded_decision_are_marked_new(settings, topics):
    producer = make_producer(settings)
    art = Article(id="x", feed_id="f", source="s", title="joint drill", fetched_at=DAY0,
                  content_hash="h")
    producer.send(topics.articles, key=b"x", value=art.to_json(),
                  timestamp_ms=int(at(1).timestamp() * 1000)).get(30)
    producer.send(topics.articles, key=b"bad", value=b"not json",
                  timestamp_ms=int(at(1).timestamp() * 1000)).get(30)
    producer.close()
    result = replay(settings, at(0), None, classify_now=NEW, now_label="new")
    assert [(r.article_id, r.change, r.then) for r in result.rows] == [("x", "new", None)]
    assert result.undecided_then == 1
    assert len(result.unreadable) == 1 and "not JSON" in result.unreadable[0]


def test_reports_by_extension(history, tmp_path):
    result = replay(history, at(0), None, classify_now=NEWER, now_label="newer")
    write_report(result, tmp_path / "r.jsonl")
    lines = [json.loads(x) for x in (tmp_path / "r.jsonl").read_text().splitlines()]
    assert lines[0]["type"] == "summary" and lines[0]["changed"] == 4
    assert {x["article_id"] for x in lines[1:]} == {s[1] for s in STORIES}

    write_report(result, tmp_path / "r.csv")
    rows = list(csv.DictReader((tmp_path / "r.csv").open()))
    a5 = next(r for r in rows if r["article_id"] == "a5")
    assert (a5["change"], a5["gained"], a5["lost"]) == ("changed", "drills", "dispute")

    write_report(result, tmp_path / "r.html")
    page = (tmp_path / "r.html").read_text()
    assert page.startswith("<!doctype html>") and "GSOMIA renewal and joint drill" in page
    assert "<script" not in page and "http" not in page.split("</style>")[1].split("<h1>")[0]

    with pytest.raises(InputError, match="name the report .jsonl, .csv or .html"):
        write_report(result, tmp_path / "r.pdf")


def test_html_report_escapes_feed_text(settings, topics, tmp_path):
    producer = make_producer(settings)
    art = Article(id="evil", feed_id="f", source="<b>x</b>",
                  title="<script>alert(1)</script> joint drill", fetched_at=DAY0,
                  content_hash="h")
    producer.send(topics.articles, key=b"evil", value=art.to_json(),
                  timestamp_ms=int(at(1).timestamp() * 1000)).get(30)
    producer.close()
    result = replay(settings, at(0), None, classify_now=NEW, now_label="new")
    write_report(result, tmp_path / "r.html")
    page = (tmp_path / "r.html").read_text()
    assert "<script>" not in page and "&lt;script&gt;" in page and "<b>x</b>" not in page

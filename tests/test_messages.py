"""Message contracts: JSON round trip, schema field, UTC timestamps, clear decode errors."""

from datetime import datetime, timedelta, timezone

import json
import pytest

from newswatch.errors import DecodeError
from newswatch.messages import (SCHEMAS, Alert, Article, DeadLetter, Decision, DecisionHeader,
                                Mark, Match, Provenance, RulesetRecord, RulesetRef, decode,
                                decode_as)

NOW = datetime(2026, 1, 30, 9, 15, tzinfo=timezone.utc)


def sample_records():
    article = Article(id="b2a89f96822d7eba", feed_id="yonhap", source="Yonhap",
                      url="https://example.org/a", guid="g1", title="독도 talks",
                      summary="s", content="c", published_at=NOW, fetched_at=NOW,
                      content_hash="abc")
    decision = Decision(
        article_id=article.id, title=article.title, url=article.url, source="Yonhap",
        published_at=NOW, ruleset=RulesetRef(name="rules", version="v1"),
        categories=("cooperation",), severity="high", score=3.5,
        matches=(Match(rule_id="r1", category="cooperation", text="defense talks",
                       field="content", start=3, end=16, sentence="The defense talks."),),
        decided_at=NOW, input=Provenance(topic="newswatch.articles", partition=2, offset=7))
    alert = Alert(alert_id="x1", article_id=article.id, route="main", channel="#watch",
                  status="posted", ts="1700000000.000100", attempts=1, at=NOW)
    dead = DeadLetter(stage="processor", reason="not JSON", value="{", at=NOW,
                      source=Provenance(topic="t", partition=0, offset=1))
    ruleset = RulesetRecord(name="rules", version="v1", text="rules: []", recorded_at=NOW)
    mark = Mark(alert_id="0123456789abcdef", user="U0OFFICER1", action="wrong-category",
                category="drills", at=NOW, article_id=article.id, categories=("cooperation",),
                rules={"r1": "cooperation"}, story="0123456789abcdef")
    return [article, decision, alert, dead, ruleset, mark]


@pytest.mark.parametrize("record", sample_records(), ids=lambda r: r.SCHEMA)
def test_every_record_round_trips_with_its_schema_field(record):
    wire = record.to_json()
    assert json.loads(wire)["schema"] == record.SCHEMA
    assert decode(wire) == record
    assert type(record).from_json(wire) == record


def test_every_schema_is_registered_once():
    assert set(SCHEMAS) == {"newswatch.article/1", "newswatch.decision/1", "newswatch.alert/1",
                            "newswatch.deadletter/1", "newswatch.ruleset/1",
                            "newswatch.mark/1"}


def test_timestamps_are_written_as_utc_iso8601():
    seoul = timezone(timedelta(hours=9))
    article = Article(id="a", feed_id="f", source="s", content_hash="h",
                      fetched_at=datetime(2026, 1, 30, 18, 0, tzinfo=seoul),
                      published_at=datetime(2026, 1, 30, 18, 0))  # naive: taken as UTC
    obj = json.loads(article.to_json())
    assert obj["fetched_at"] == "2026-01-30T09:00:00Z"
    assert obj["published_at"] == "2026-01-30T18:00:00Z"


def test_non_ascii_text_survives_as_utf8():
    article = sample_records()[0]
    assert "독도".encode() in article.to_json()
    assert decode(article.to_json()).title == "독도 talks"


def test_unknown_fields_from_a_newer_writer_are_ignored():
    obj = json.loads(sample_records()[0].to_json())
    obj["added_later"] = 1
    assert decode(json.dumps(obj)).id == "b2a89f96822d7eba"


@pytest.mark.parametrize("raw, expected", [
    (b"{not json", "not JSON"),
    (b"[1, 2]", "expected a JSON object"),
    (b'{"schema": "newswatch.article/9"}', "unknown schema"),
    (b'{"id": "x"}', "unknown schema"),
    (b'{"schema": "newswatch.article/1", "id": "x"}', "feed_id"),
    (b"\xff\xfe", "not JSON"),
    (None, "tombstone"),
])
def test_broken_records_raise_decode_error_with_the_cause(raw, expected):
    with pytest.raises(DecodeError, match=expected):
        decode(raw)


def test_from_json_refuses_a_record_of_another_type():
    alert = sample_records()[2]
    with pytest.raises(DecodeError, match="expected schema 'newswatch.article/1'"):
        Article.from_json(alert.to_json())


class TestDecodeAs:
    """The one-pass reader replay uses must read what decode reads, and fail as it fails."""

    @pytest.mark.parametrize("record", sample_records(), ids=lambda r: r.SCHEMA)
    def test_reads_every_record_as_decode_does(self, record):
        assert decode_as(type(record), record.to_json()) == decode(record.to_json())

    def test_a_decision_header_keeps_what_replay_compares(self):
        decision = sample_records()[1]
        header = decode_as(DecisionHeader, decision.to_json())
        assert (header.article_id, header.categories, header.ruleset, header.input) == \
            (decision.article_id, decision.categories, decision.ruleset, decision.input)

    @pytest.mark.parametrize("raw, expected", [
        (b"{not json", "not JSON"),
        (b'{"schema": "newswatch.article/1", "id": "x"}', "feed_id"),
        (None, "tombstone"),
    ])
    def test_broken_records_fail_with_decode_s_cause(self, raw, expected):
        with pytest.raises(DecodeError, match=expected):
            decode_as(Article, raw)

    def test_a_record_of_another_type_is_refused_by_name(self):
        alert = sample_records()[2]
        with pytest.raises(DecodeError, match="expected newswatch.decision/1, got "
                                              "newswatch.alert/1"):
            decode_as(DecisionHeader, alert.to_json())

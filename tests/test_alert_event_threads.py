"""One event, one Slack thread (real broker, fake Slack): reports of one event in Korean,
Japanese and English join the first alert's thread, and the first alert lists them."""

from __future__ import annotations

import json

import pytest

from newswatch.audit import audit
from newswatch.messages import EventEvidence
from processors import Classifier, load_ruleset
from tests.alertutil import (AlerterThread, committed, decision, final_status, ledger,
                             produce, with_slack, write_config)
from tests.eventutil import TAKESHIMA_DAY, TEXTBOOK_PROTEST, decide
from tests.processutil import DEFAULT_RULES

DISPUTE = "C0DISPUTE1"


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier(load_ruleset(DEFAULT_RULES))


@pytest.fixture
def slack_settings(settings, fake):
    write_config(settings)
    return with_slack(settings, fake)


def _top(fake) -> list[dict]:
    return [p for p in fake.posts(DISPUTE) if not p["thread_ts"]]


def _replies(fake) -> list[dict]:
    return [p for p in fake.posts(DISPUTE) if p["thread_ts"]]


def _reports_line(message: dict) -> str:
    return next((b["elements"][0]["text"] for b in message["blocks"]
                 if b.get("block_id") == "newswatch-reports"), "")


def test_three_languages_of_one_event_make_one_alert_with_its_reports(
        slack_settings, fake, classifier):
    ko, ja, en = (decide(r, classifier) for r in TAKESHIMA_DAY)
    assert all("dispute" in d.categories for d in (ko, ja, en))
    produce(slack_settings, [ko])
    with AlerterThread(slack_settings) as alerter:
        alerter.wait(lambda: len(_top(fake)) == 1, what="the first alert")
        produce(slack_settings, [ja])
        alerter.wait(lambda: "2 reports" in _reports_line(_top(fake)[0]), what="2 reports")
        produce(slack_settings, [en])
        alerter.wait(lambda: "3 reports" in _reports_line(_top(fake)[0]), what="3 reports")
        alerter.wait(lambda: committed(slack_settings, "newswatch-alerter") == 3, what="commit")
        alerter.stop()
    top, replies = _top(fake), _replies(fake)
    assert len(top) == 1 and len(replies) == 2
    assert all(r["thread_ts"] == top[0]["ts"] for r in replies)
    assert [r["text"].split(":")[0] for r in replies] == ["Also reported by NHK (ja)",
                                                          "Also reported by Kyodo (en)"]
    assert top[0]["edits"] == 2
    assert _reports_line(top[0]) == ":newspaper: *3 reports* · Yonhap (ko), NHK (ja), Kyodo (en)"
    assert top[0]["metadata"]["event_payload"]["article_id"] == "ev-ko"  # kept on the edit
    # audit of any of the three shows all three under one alert
    report = audit(slack_settings, "ev-en")
    event = {f.record.article_id for f in report.event}
    assert event == {"ev-ko", "ev-ja", "ev-en"}
    parent = top[0]["metadata"]["event_payload"]["alert_id"]
    assert {f.record.duplicate_of or f.record.alert_id for f in report.event} == {parent}


def test_two_events_with_shared_vocabulary_make_two_alerts(slack_settings, fake, classifier):
    first, other = decide(TAKESHIMA_DAY[0], classifier), decide(TEXTBOOK_PROTEST, classifier)
    assert "dispute" in other.categories
    produce(slack_settings, [first, other])
    with AlerterThread(slack_settings) as alerter:
        alerter.wait(lambda: committed(slack_settings, "newswatch-alerter") == 2, what="commit")
        alerter.stop()
    assert len(_top(fake)) == 2 and _replies(fake) == []


def test_a_report_that_raises_the_severity_is_broadcast_with_the_mention(slack_settings, fake):
    evidence = EventEvidence(terms=("dokdo", "formal_protest", "protest_words", "envoy_recall"),
                             dates=("--22",))
    first = decision("esc1", title="Seoul protests Takeshima Day", severity="high",
                     source="Yonhap").model_copy(update={"evidence": evidence, "language": "en"})
    worse = decision("esc2", title="竹島の日で韓国が大使召還", severity="critical", source="NHK"
                     ).model_copy(update={"evidence": evidence, "language": "ja"})
    produce(slack_settings, [first])
    with AlerterThread(slack_settings) as alerter:
        alerter.wait(lambda: len(_top(fake)) == 1, what="the first alert")
        produce(slack_settings, [worse])
        alerter.wait(lambda: committed(slack_settings, "newswatch-alerter") == 2, what="commit")
        alerter.stop()
    replies = _replies(fake)
    assert len(replies) == 1
    reply = replies[0]
    assert reply["params"].get("reply_broadcast") is True
    assert "<!subteam^S0DUTY0001>" in reply["text"]  # the mention configured for critical
    assert "severity raised from high to critical" in json.dumps(reply["blocks"])
    status = final_status(ledger(slack_settings))
    assert sorted(status.values()).count("posted") >= 2


def test_audit_prints_the_event_with_every_report(slack_settings, fake, classifier, env_for):
    import subprocess
    import sys

    produce(slack_settings, [decide(r, classifier) for r in TAKESHIMA_DAY[:2]])
    with AlerterThread(slack_settings) as alerter:
        alerter.wait(lambda: _top(fake) and "2 reports" in _reports_line(_top(fake)[0]),
                     what="2 reports")
        alerter.stop()
    out = subprocess.run([sys.executable, "-m", "newswatch", "audit", "ev-ja"],
                         env=env_for(slack_settings), capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert "Event — 2 report(s) under alert" in out.stdout
    assert "the first alert lists 2" in out.stdout
    assert "ev-ko" in out.stdout and "first alert" in out.stdout and "in its thread" in out.stdout

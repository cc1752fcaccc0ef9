"""`newswatch audit`: one command shows an article's versions, decisions, ruleset and alerts."""

import json
import subprocess
import sys
from datetime import datetime, timezone

import pytest

from newswatch.audit import audit
from newswatch.broker.clients import make_producer, send
from newswatch.errors import InputError
from newswatch.messages import (Alert, Article, Decision, Match, Provenance, RulesetRecord,
                                RulesetRef)

T0 = datetime(2026, 1, 30, 9, 0, tzinfo=timezone.utc)


def article(aid, title="Seoul and Tokyo hold defense talks", chash="h1", update=False):
    return Article(id=aid, feed_id="wire", source="Wire", url=f"https://news.example/{aid}",
                   title=title, content="...", fetched_at=T0, content_hash=chash,
                   update=update)


def decision(aid, cats, version="v1", offset=0, chash="h1"):
    matches = tuple(Match(rule_id=f"{c}-rule", category=c, text="defense talks",
                          field="title", start=20, end=33, sentence="Seoul and Tokyo hold "
                          "defense talks") for c in cats)
    return Decision(article_id=aid, title="t", ruleset=RulesetRef(name="rules", version=version),
                    categories=tuple(cats), severity="high" if cats else "none",
                    score=2.0 if cats else 0.0, matches=matches, decided_at=T0,
                    content_hash=chash,
                    input=Provenance(topic="x", partition=0, offset=offset))


def ledger(aid, alert_id, status, **kw):
    return Alert(alert_id=alert_id, article_id=aid, route="watch", channel="#kj-watch",
                 status=status, at=T0, **kw)


@pytest.fixture
def history(settings, topics):
    producer = make_producer(settings)
    send(producer, topics.rulesets, "v1",
         RulesetRecord(name="rules", version="v1", text="rules: []", source_path="config/rules.yaml",
                       recorded_at=T0))
    # alerted, with an edit
    send(producer, topics.articles, "alerted", article("alerted"))
    send(producer, topics.articles, "alerted",
         article("alerted", title="Seoul and Tokyo hold defense talks (update)", chash="h2",
                 update=True))
    send(producer, topics.decisions, "alerted", decision("alerted", ["cooperation"]))
    send(producer, topics.alerts, "al-1", ledger("alerted", "al-1", "intent", attempts=0))
    send(producer, topics.alerts, "al-1", ledger("alerted", "al-1", "posted", attempts=1,
                                                   ts="1769763600.000100"))
    # duplicate story, suppressed
    send(producer, topics.articles, "dupe", article("dupe"))
    send(producer, topics.decisions, "dupe", decision("dupe", ["cooperation"]))
    send(producer, topics.alerts, "al-2", ledger("dupe", "al-2", "duplicate",
                                                 duplicate_of="al-1"))
    # never matched
    send(producer, topics.articles, "quiet", article("quiet", title="K-league results"))
    send(producer, topics.decisions, "quiet", decision("quiet", []))
    producer.flush()
    producer.close()
    return settings


def test_alerted_article_shows_versions_decision_ruleset_and_ledger(history):
    report = audit(history, "alerted")
    assert [f.record.content_hash for f in report.articles] == ["h1", "h2"]
    assert report.articles[1].record.update is True
    assert [f.record.categories for f in report.decisions] == [("cooperation",)]
    assert report.rulesets["v1"].text == "rules: []"
    assert [f.record.status for f in report.alerts] == ["intent", "posted"]
    assert report.alerts[1].record.ts == "1769763600.000100"


def test_suppressed_duplicate_shows_what_it_duplicated(history):
    report = audit(history, "dupe")
    assert [(f.record.status, f.record.duplicate_of) for f in report.alerts] == \
        [("duplicate", "al-1")]


def test_never_matched_article_has_a_decision_and_no_alert(history):
    report = audit(history, "quiet")
    assert report.decisions[0].record.categories == ()
    assert report.alerts == []


def test_unknown_article_id_is_a_clear_input_error(history):
    with pytest.raises(InputError, match="no article, decision or alert with id 'nope'"):
        audit(history, "nope")


def run_cli(env, *args):
    return subprocess.run([sys.executable, "-m", "newswatch", *args], env=env,
                          capture_output=True, text=True, timeout=120)


def test_cli_prints_the_story_of_an_alert(history, env_for):
    result = run_cli(env_for(history), "audit", "alerted")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "2 version(s) collected" in out
    assert "cooperation" in out and "rules@v1" in out and "config/rules.yaml" in out
    assert "posted" in out and "1769763600.000100" in out and "#kj-watch" in out


def test_cli_json_and_unknown_id_exit_code(history, env_for):
    env = env_for(history)
    result = run_cli(env, "audit", "dupe", "--json")
    data = json.loads(result.stdout)
    assert data["alerts"][0]["status"] == "duplicate"
    missing = run_cli(env, "audit", "nope")
    assert missing.returncode == 2
    assert "no article, decision or alert" in missing.stderr

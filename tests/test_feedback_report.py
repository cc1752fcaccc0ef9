"""From marks to numbers: precision per category and rule from officers' marks, and a
changed ruleset scored against them (`replay --labels feedback`)."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone

from alerts.feedback.labels import compare, judged_articles
from alerts.feedback.report import build
from alerts.feedback.report_view import html_page
from newswatch.broker.clients import make_producer, send
from newswatch.messages import Mark
from processors import Classifier, load_ruleset
from tests.alertutil import AlerterThread, committed, produce, with_slack, write_config
from tests.feedbackutil import ServerThread, marks, with_secret
from tests.processutil import SMALL_RULES, article, write_rules

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)


def _mark(alert: str, action: str, categories: tuple[str, ...], rules: dict[str, str], *,
          user: str = "U0OFFICER1", category: str | None = None, day: int = 0,
          feed: str = "yonhap-en", language: str = "en") -> Mark:
    return Mark(alert_id=alert, user=user, action=action, category=category,
                at=T0 + timedelta(days=day), article_id=f"art-{alert}", categories=categories,
                rules=rules, feed_id=feed, language=language)


MARKS = [
    _mark("a1", "relevant", ("dispute",), {"dokdo-protest": "dispute"}),
    _mark("a2", "not-relevant", ("dispute",), {"dokdo-protest": "dispute"}, day=1,
          feed="herald-en"),
    _mark("a3", "not-relevant", ("dispute",), {"dokdo-protest": "dispute"}, day=1,
          feed="herald-en"),
    _mark("a4", "wrong-category", ("cooperation", "drills"),
          {"joint-drill": "drills", "talks": "cooperation"}, category="cooperation", day=2,
          language="ja", feed="nhk-ja"),
]


def test_precision_per_category_rule_feed_and_language():
    report = build(MARKS)
    assert (report.marks, report.officers, report.alerts) == (4, 1, 4)
    assert report.category["dispute"].precision == 1 / 3
    # "should be cooperation" on cooperation + drills: cooperation right, drills wrong.
    assert (report.category["cooperation"].right, report.category["drills"].wrong) == (1, 1)
    assert (report.rule["dokdo-protest"].right, report.rule["dokdo-protest"].wrong) == (1, 2)
    assert report.rule["talks"].precision == 1.0 and report.rule["joint-drill"].precision == 0
    assert report.feed["herald-en"].precision == 0 and report.feed["yonhap-en"].precision == 1
    assert report.language["ja"].wrong == 1  # a wrong category is not a relevant alert
    assert [rule for rule, _ in report.noisy_rules] == ["dokdo-protest"]
    assert report.wrong_pairs[("cooperation+drills", "cooperation")] == 1
    assert sorted(report.per_day.values()) == [1, 1, 2]
    assert build(MARKS, since=T0 + timedelta(days=1)).marks == 3


def test_the_html_page_is_self_contained_and_escapes_names():
    marks = MARKS + [_mark("a5", "relevant", ("dispute",), {"<script>x</script>": "dispute"})]
    page = html_page(build(marks))
    assert page.startswith("<!doctype html>") and page.count("<svg") == 2
    assert "<script" not in page and "&lt;script&gt;" in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_officers_who_disagree_leave_a_category_unjudged():
    two = [_mark("a1", "relevant", ("dispute",), {}),
           _mark("a1", "not-relevant", ("dispute",), {}, user="U0OFFICER2")]
    judged = judged_articles(two)["art-a1"]
    assert judged.disputed == {"dispute"} and not judged.right and not judged.wrong


OLD_RULES = SMALL_RULES
NEW_RULES = SMALL_RULES.replace("unless: [ROKS Dokdo]", "unless: [ROKS Dokdo, Dokdo shrimp]")
STORIES = [  # (article id, title, what the officer says)
    ("fr-1", "South Korea protested Japan's Dokdo claim in a new white paper", "relevant"),
    ("fr-2", "Dokdo shrimp festival vendors protest a rise in stall fees", "not-relevant"),
    ("fr-3", "Seoul and Tokyo hold a joint drill for search and rescue", "cooperation"),
]
CHANNELS = {"fr-1": "C0DISPUTE1", "fr-2": "C0DISPUTE1", "fr-3": "C0COOPER01"}


def test_marks_from_slack_to_report_to_a_scored_ruleset(settings, fake, topics, env_for,
                                                        tmp_path):
    write_config(settings)
    slack_settings = with_secret(with_slack(settings, fake), fake)
    old = write_rules(settings.config_dir, OLD_RULES)
    new = write_rules(tmp_path, NEW_RULES, "candidate.yaml")
    classifier = Classifier(load_ruleset(old))
    producer = make_producer(settings)
    decisions = []
    for aid, title, _ in STORIES:
        art = article(aid, title=title)
        send(producer, topics.articles, aid, art)
        decisions.append(classifier.classify_article(art))
    producer.flush(10)
    producer.close()
    assert [set(d.categories) for d in decisions] == [{"dispute"}, {"dispute"},
                                                      {"cooperation", "drills"}]
    produce(slack_settings, decisions)
    with AlerterThread(slack_settings) as alerter:
        alerter.wait(lambda: committed(slack_settings, "newswatch-alerter") == 3, what="alerts")
        alerter.stop()
    with ServerThread(slack_settings) as server:
        for aid, _, verdict in STORIES:
            post = next(p for p in fake.posts(CHANNELS[aid])
                        if aid in p["metadata"]["event_payload"]["article_id"])
            alert_id = post["metadata"]["event_payload"]["alert_id"]
            payload = (fake.click_payload(post, "newswatch_mark_category",
                                          option=f"wrong-category|{alert_id}|{verdict}")
                       if verdict == "cooperation" else
                       fake.click_payload(post, f"newswatch_mark_{verdict.replace('-', '_')}"))
            assert fake.interact(server.url, payload).status_code == 200
        marks(slack_settings, expect=3)

    env = env_for(settings)
    page = tmp_path / "marks.html"
    report = subprocess.run([sys.executable, "-m", "newswatch", "feedback", "report",
                             "--report", str(page)], env=env, capture_output=True, text=True,
                            timeout=120)
    assert report.returncode == 0, report.stderr
    out = report.stdout
    assert "3 mark(s) by 1 officer(s) on 3 alert(s)" in out
    rule = next(line for line in out.splitlines() if "dokdo-protest" in line)
    assert [c.strip() for c in rule.strip("│ ").split("│")] == ["dokdo-protest", "1", "1",
                                                                "0.50"]  # right, wrong
    assert "rules that fire mostly on alerts marked wrong" not in out  # 1 of 2 is not most
    assert page.read_text().count("<svg") == 2

    replayed = subprocess.run([sys.executable, "-m", "newswatch", "replay", "--labels",
                               "feedback", "--rules", str(new)], env=env,
                              capture_output=True, text=True, timeout=120)
    assert replayed.returncode == 0, replayed.stderr
    lines = replayed.stdout.splitlines()
    dispute = next(line for line in lines if line.strip("│ ").startswith("dispute"))
    cells = [c.strip() for c in dispute.strip("│ ").split("│")]
    # category, right then, wrong then, precision then, right now, wrong now, precision now
    assert cells[:7] == ["dispute", "1", "1", "0.50", "1", "0", "1.00"]
    assert any("better" in line and "fr-2" in line and "drops dispute" in line
               for line in lines)
    assert "2 marked article(s) decided as before" in replayed.stdout

    diffed = subprocess.run([sys.executable, "-m", "newswatch", "rules", "diff", str(old),
                             str(new), "--labels", "feedback"], env=env, capture_output=True,
                            text=True, timeout=120)
    assert diffed.returncode == 0, diffed.stderr
    assert "then: small@" in diffed.stdout and str(old) in diffed.stdout
    row = next(line for line in diffed.stdout.splitlines()
               if line.strip("│ ").startswith("dispute"))
    assert [c.strip() for c in row.strip("│ ").split("│")][:7] == \
        ["dispute", "1", "1", "0.50", "1", "0", "1.00"]  # the old rules, re-run, agree

    unknown = subprocess.run([sys.executable, "-m", "newswatch", "replay", "--labels",
                              "officers"], env=env, capture_output=True, text=True,
                             timeout=120)
    assert unknown.returncode == 2 and "valid: feedback" in unknown.stderr


def test_scoring_needs_the_article_still_retained():
    judged = judged_articles(MARKS[:1])
    result = compare(judged, {}, classify_now=lambda a: None, now_label="new")  # type: ignore
    assert result.missing == ["art-a1"] and result.rows == []

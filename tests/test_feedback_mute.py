"""Mute this story (real broker, fake Slack): later copies and reports of a muted story are
not posted and the ledger says so; `feedback unmute` lets them through again; `audit`
shows who muted the story and when."""

from __future__ import annotations

import logging
import subprocess
import sys

from newswatch.audit import audit
from tests.alertutil import AlerterThread, committed, decision, final_status, ledger, produce
from tests.feedbackutil import ServerThread, marks, slack_settings  # noqa: F401 (fixture)

DISPUTE = "C0DISPUTE1"
TITLE = "Seoul summons Japanese envoy over Takeshima Day ceremony"


def test_a_muted_story_posts_nothing_more_until_unmuted(slack_settings, fake, env_for,
                                                         caplog):
    caplog.set_level(logging.INFO, logger="alerts.service")
    first = decision("mu-1", title=TITLE, url="https://news.example.org/takeshima-day")
    produce(slack_settings, [first])
    with AlerterThread(slack_settings) as alerter:
        alerter.wait(lambda: committed(slack_settings, "newswatch-alerter") == 1, what="alert")
        [post] = fake.posts(DISPUTE)
        with ServerThread(slack_settings) as server:
            assert fake.interact(server.url, fake.click_payload(
                post, "newswatch_mark_mute")).status_code == 200
            [mute] = marks(slack_settings, expect=1)
        story = post["metadata"]["event_payload"]["alert_id"]
        assert (mute.action, mute.story, mute.key) == ("mute", story, f"mute:{story}")
        # Another feed's copy (same URL) and another outlet's report (same headline).
        copy = decision("mu-2", title=TITLE, url="https://www.news.example.org/takeshima-day",
                        feed_id="herald-en", source="Korea Herald")
        other = decision("mu-3", title=TITLE + " again", url="https://other.example/td",
                         feed_id="kyodo-en", source="Kyodo")
        alerter.wait(lambda: "1 story(ies) muted" in caplog.text, what="the mute read")
        produce(slack_settings, [copy, other])
        alerter.wait(lambda: committed(slack_settings, "newswatch-alerter") == 3,
                     what="the later reports settled")
        stats = alerter.stop()
    assert stats.muted == 2
    assert len(fake.posts(DISPUTE)) == 1  # nothing in the channel, nothing in the thread
    records = ledger(slack_settings)
    muted = [r for r in records if r.status == "muted"]
    assert sorted(r.article_id for r in muted) == ["mu-2", "mu-3"]
    assert all(r.duplicate_of == story and r.muted_by.startswith("U0OFFICER1 at ")
               for r in muted)

    report = audit(slack_settings, "mu-1")
    assert [(f.record.action, f.record.user) for f in report.marks] == [("mute", "U0OFFICER1")]

    env = env_for(slack_settings, SLACK_BOT_TOKEN=fake.token, NEWSWATCH_SLACK_API_URL=fake.url)
    undo = subprocess.run([sys.executable, "-m", "newswatch", "feedback", "unmute", story],
                          env=env, capture_output=True, text=True, timeout=120)
    assert undo.returncode == 0, undo.stderr
    assert f"story {story} unmuted" in undo.stdout and "U0OFFICER1" in undo.stdout
    again = subprocess.run([sys.executable, "-m", "newswatch", "feedback", "unmute", story],
                           env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 2 and "is not muted" in again.stderr

    later = decision("mu-4", title=TITLE + " once more", url="https://third.example/td",
                     feed_id="nhk-en", source="NHK")
    produce(slack_settings, [later])
    with AlerterThread(slack_settings) as alerter:
        alerter.wait(lambda: committed(slack_settings, "newswatch-alerter") == 4,
                     what="the report after the unmute")
        alerter.stop()
    replies = [p for p in fake.posts(DISPUTE) if p["thread_ts"]]
    assert len(replies) == 1 and "NHK" in replies[0]["text"]
    assert final_status(ledger(slack_settings))[
        next(r.alert_id for r in ledger(slack_settings) if r.article_id == "mu-4")] == "posted"

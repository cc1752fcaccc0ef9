"""Edits of an alerted article: a short diff in the thread, never a second alert."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from alerts.corrections import change
from alerts.render import to_slack
from tests.alertutil import (AlerterThread, committed, decision, final_status, ledger,
                             produce, with_slack, write_config)
from tests.test_alert_planner import Setup, _config


def edited(d, **update):
    return d.model_copy(update={"update": True, **update})


class TestChange:
    def test_words_removed_and_added(self):
        c = change("Seoul protests Japan's claim", "Seoul strongly protests Japan's new claim")
        assert c.removed == "" and c.added == "strongly … new"

    def test_japanese_is_compared_by_character(self):
        c = change("韓国が抗議", "韓国が強く抗議")
        assert c.added == "強く" and c.removed == ""


class TestPlanning:
    def _posted(self, tmp_path):
        s = Setup(_config(tmp_path))
        first = decision("a1", title="Japan repeats Dokdo claim in white paper").model_copy(
            update={"content_hash": "v1", "lead": "Tokyo repeated its claim on Tuesday."})
        s.plan(first)
        job = s.due()[0]
        s.recorder.record(job.base, "posted", ts="1.000")
        s.schedule.finished(job)
        return s, first, job.alert_id

    def test_an_edit_is_a_correction_in_the_alerts_thread(self, tmp_path):
        s, first, aid = self._posted(tmp_path)
        s.plan(edited(first, content_hash="v2", title="Japan repeats Dokdo claim in 2025 white paper",
                      lead="Tokyo repeated its claim on Tuesday; Seoul summoned a diplomat."),
               offset=1)
        jobs = s.due()
        assert len(jobs) == 1 and jobs[0].original == aid and jobs[0].view.kind == "correction"
        message = to_slack(jobs[0].view)
        assert message.text.startswith("Edited by Yonhap")
        body = message.blocks[1]["text"]["text"]
        assert "*headline* · removed “–” · added “2025”" in body
        assert "added “Tuesday; Seoul summoned a diplomat.”" in body
        assert s.stats.corrections == 1  # and no second alert planned (one job above)

    def test_the_same_edit_again_posts_nothing(self, tmp_path):
        s, first, _aid = self._posted(tmp_path)
        again = edited(first, content_hash="v2", title="Japan repeats Dokdo claim, edited")
        s.plan(again, offset=1)
        job = s.due()[0]
        s.recorder.record(job.base, "posted", ts="2.000")
        s.schedule.finished(job)
        s.plan(again, offset=2)
        assert s.due() == [] and s.stats.corrections == 1

    def test_an_edit_that_no_longer_matches_says_so(self, tmp_path):
        s, first, _aid = self._posted(tmp_path)
        s.plan(edited(first, content_hash="v3", categories=(), severity="none",
                      title="Japan releases its white paper"), offset=1)
        job = s.due()[0]
        assert job.view.dropped == ("dispute",)
        assert to_slack(job.view).text.startswith("No longer matches (dispute)")

    def test_an_unchanged_version_is_not_a_correction(self, tmp_path):
        s, first, _aid = self._posted(tmp_path)
        s.plan(edited(first), offset=1)  # same content hash: a replay of the first version
        assert s.due() == [] and s.stats.already_settled == 1


def test_an_edit_posts_a_diff_in_the_thread_and_no_new_alert(settings, fake):
    write_config(settings)
    slack = with_slack(settings, fake)
    first = decision("c1", title="Japan repeats Dokdo claim in white paper").model_copy(
        update={"content_hash": "v1", "lead": "Tokyo repeated its claim.",
                "published_at": datetime.now(timezone.utc)})
    produce(slack, [first])
    with AlerterThread(slack) as alerter:
        alerter.wait(lambda: len(fake.posts()) == 1, what="the alert")
        produce(slack, [edited(first, content_hash="v2", lead="Tokyo repeated its claim; "
                               "Seoul protested.")])
        alerter.wait(lambda: committed(slack, "newswatch-alerter") == 2, what="commit")
        alerter.stop()
    top = [p for p in fake.posts() if not p["thread_ts"]]
    replies = [p for p in fake.posts() if p["thread_ts"]]
    assert len(top) == 1 and len(replies) == 1 and replies[0]["thread_ts"] == top[0]["ts"]
    assert replies[0]["text"].startswith("Edited by Yonhap")
    assert "Seoul protested." in replies[0]["blocks"][1]["text"]["text"]
    assert top[0].get("edits", 0) == 0  # a correction is not another report of the event
    records = ledger(slack)
    assert [r.status for r in records if r.correction_of] == ["intent", "posted"]
    assert sorted(final_status(records).values()) == ["posted", "posted"]


def test_a_correction_left_as_an_intent_is_looked_up_then_posted_once(tmp_path):
    first_run = TestPlanning()._posted(tmp_path)
    s, first, _aid = first_run
    edit = edited(first, content_hash="v2", title="Japan repeats Dokdo claim, edited")
    s.plan(edit, offset=1)  # intent written, then the alerter stopped before posting
    restarted = Setup(_config(tmp_path), ledger=s.ledger)
    restarted.plan(edit, offset=1)
    jobs = restarted.due()
    assert len(jobs) == 1 and jobs[0].reconcile and jobs[0].view.kind == "correction"
    assert restarted.recorder.records == []  # no second intent


def test_an_edit_of_an_article_published_long_ago_is_not_alerted_again(tmp_path):
    s = Setup(_config(tmp_path))
    old = decision("o1").model_copy(update={
        "update": True, "content_hash": "v9",
        "published_at": s.clock.now() - timedelta(days=30)})
    s.plan(old)
    assert s.due() == [] and s.stats.stale == 1


def test_an_edit_that_comes_before_the_alert_is_posted_waits_for_it(tmp_path):
    s = Setup(_config(tmp_path))
    first = decision("w1", title="Japan repeats Dokdo claim in white paper").model_copy(
        update={"content_hash": "v1"})
    s.plan(first, offset=0)
    edit_src = s.plan(edited(first, content_hash="v2", title="Japan repeats Dokdo claim, "
                                                            "edited"), offset=1)
    job = s.due()[0]
    assert job.kind == "alert" and not edit_src.done  # the edit holds its offset
    s.recorder.record(job.base, "posted", ts="1.000")
    s.schedule.finished(job)
    later = s.due()
    assert [j.view.kind for j in later] == ["correction"] and later[0].original == job.alert_id
    assert not edit_src.done

"""The alerter on the real broker against the fake Slack: what officers see in the channels
and what the ledger says, for normal flow, replays, copies of a story, bursts and failures."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone

import pytest
from rich.console import Console

from alerts.service import run
from alerts.sinks.console import ConsoleSink
from newswatch.errors import AlertError
from newswatch.messages import DeadLetter
from newswatch.topics import Topics
from tests.alertutil import (
    FAST_CONFIG,
    AlerterThread,
    committed,
    decision,
    final_status,
    headline,
    ledger,
    produce,
    produce_raw,
    with_slack,
    write_config,
)
from tests.kafkautil import read_topic


@pytest.fixture
def slack_settings(settings, fake):
    write_config(settings)
    return with_slack(settings, fake)


def alert_ids(posts):
    return [p["metadata"]["event_payload"]["alert_id"] for p in posts]


# ------------------------------------------------------------------ normal flow


def test_each_matching_decision_reaches_its_channels_once(slack_settings, fake):
    produce(slack_settings, [
        decision("a1", categories=("dispute",), severity="high"),
        decision("a2", title="South Korea, Japan agree to annual defense talks",
                 categories=("cooperation",), severity="medium"),
        decision("a3", title="Seoul weather: sunny", categories=()),
        decision("a4", title="Japan moves to scrap GSOMIA over Dokdo row",
                 categories=("dispute",), severity="critical"),
    ])
    with AlerterThread(slack_settings) as alerter:
        alerter.wait(lambda: len(fake.posts()) >= 4, what="4 posts")
        alerter.wait(lambda: committed(slack_settings, "newswatch-alerter") == 4,
                 what="all four decisions committed")
        stats = alerter.stop()
    assert sorted(p["metadata"]["event_payload"]["article_id"]
                  for p in fake.posts("C0DISPUTE1")) == ["a1", "a4"]
    assert [p["metadata"]["event_payload"]["article_id"]
            for p in fake.posts("#kr-jp-cooperation")] == ["a2"]
    floor = fake.posts("C0FLOOR001")
    assert [p["metadata"]["event_payload"]["article_id"] for p in floor] == ["a4"]
    # Only the critical alert mentions the duty group configured in alerts.yaml.
    assert "<!subteam^S0DUTY0001>" in floor[0]["text"]
    by_article = {p["metadata"]["event_payload"]["article_id"]: p for p in fake.posts("C0DISPUTE1")}
    assert "subteam" not in by_article["a1"]["text"]
    assert "<!subteam^S0DUTY0001>" in by_article["a4"]["text"]
    # Every post: blocks plus fallback text, no unfurling, no link_names.
    for post in fake.posts():
        assert post["text"] and post["blocks"]
        assert post["params"]["unfurl_links"] is False
        assert post["params"]["unfurl_media"] is False
        assert post["params"].get("link_names") in (False, None)
    assert stats.posted == 4 and stats.matched == 3 and stats.decisions == 4
    records = ledger(slack_settings)
    status = final_status(records)
    assert sorted(status.values()) == ["posted"] * 4
    for aid in status:  # intent strictly before the result for every alert
        seq = [r.status for r in records if r.alert_id == aid]
        assert seq == ["intent", "posted"]
    posted = {r.alert_id: r for r in records if r.status == "posted"}
    for post in fake.posts():
        record = posted[post["metadata"]["event_payload"]["alert_id"]]
        assert record.ts == post["ts"]
        assert record.decision is not None and record.decision.topic.endswith("decisions")


def test_replaying_old_decisions_posts_nothing_new(slack_settings, fake):
    batch = [decision(f"r{i}", title=headline(i)) for i in range(3)]
    produce(slack_settings, batch)
    with AlerterThread(slack_settings) as alerter:
        alerter.wait(lambda: len(fake.posts()) == 3, what="3 posts")
        alerter.stop()
    before = len(ledger(slack_settings))
    # A new consumer group reads the whole decisions topic again, and the same decisions
    # arrive again (a processor restart re-deciding them).
    produce(slack_settings, batch)
    with AlerterThread(slack_settings, group_id="audit-replay") as replay:
        replay.wait(lambda: committed(slack_settings, "audit-replay") == 6,
                 what="the replay group to consume everything")
        stats = replay.stop()
    assert len(fake.posts()) == 3
    assert stats.already_settled == 6 and stats.posted == 0
    assert len(ledger(slack_settings)) == before


def test_decisions_older_than_max_age_are_not_alerted(slack_settings, fake):
    old = datetime.now(timezone.utc) - timedelta(hours=100)
    produce(slack_settings, [decision("old1", decided_at=old), decision("new1")])
    with AlerterThread(slack_settings) as alerter:
        alerter.wait(lambda: committed(slack_settings, "newswatch-alerter") == 2, what="commit")
        stats = alerter.stop()
    assert alert_ids(fake.posts()) and len(fake.posts()) == 1
    assert fake.posts()[0]["metadata"]["event_payload"]["article_id"] == "new1"
    assert stats.stale == 1


def test_an_unreadable_decision_is_dead_lettered_and_the_rest_still_alert(slack_settings, fake):
    produce_raw(slack_settings, "bad", b"{not json")
    produce(slack_settings, [decision("ok1")])
    with AlerterThread(slack_settings) as alerter:
        alerter.wait(lambda: len(fake.posts()) == 1, what="the good decision's post")
        alerter.wait(lambda: committed(slack_settings, "newswatch-alerter") == 2, what="commit")
        alerter.stop()
    dead = read_topic(slack_settings, Topics.from_settings(slack_settings).deadletter, expect=1)
    assert isinstance(dead[0], DeadLetter) and dead[0].stage == "alerts"
    assert "not JSON" in dead[0].reason and dead[0].value == "{not json"


# ------------------------------------------------------------------ copies of a story


def test_same_story_from_several_feeds_gives_one_alert_and_follow_ups_in_its_thread(
        slack_settings, fake):
    first = decision("s1", title="Japan repeats Dokdo claim in defense white paper",
                     url="https://www.yna.co.kr/view/AEN1?utm_source=rss", feed_id="yonhap-en")
    same_url = decision("s2", title="Japan repeats Dokdo claim in defense white paper",
                        url="http://yna.co.kr/view/AEN1", feed_id="yonhap-rss2")
    near_title = decision("s3", title="Japan repeats Dokdo claim in defense white paper "
                          "- Korea Herald", url="https://koreaherald.example/1",
                          feed_id="herald", source="Korea Herald")
    produce(slack_settings, [first])
    with AlerterThread(slack_settings) as alerter:
        alerter.wait(lambda: len(fake.posts()) == 1, what="the first alert")
        produce(slack_settings, [same_url, near_title])
        alerter.wait(lambda: committed(slack_settings, "newswatch-alerter") == 3, what="commit")
        alerter.stop()
    top = [p for p in fake.posts("C0DISPUTE1") if not p["thread_ts"]]
    replies = [p for p in fake.posts("C0DISPUTE1") if p["thread_ts"]]
    assert len(top) == 1
    assert len(replies) == 1 and replies[0]["thread_ts"] == top[0]["ts"]
    assert "Also reported by" in replies[0]["text"] and "Korea Herald" in replies[0]["text"]
    status = final_status(ledger(slack_settings))
    records = ledger(slack_settings)
    dup = [r for r in records if r.status == "duplicate"]
    assert len(dup) == 1 and dup[0].article_id == "s2"
    assert dup[0].duplicate_of == top[0]["metadata"]["event_payload"]["alert_id"]
    # the reply is posted; the first alert was then edited to list both reports
    assert sorted(status.values()) == ["duplicate", "posted", "updated"]
    assert "*2 reports* · Yonhap, Korea Herald" in json.dumps(top[0]["blocks"], ensure_ascii=False)


def test_copies_arriving_together_with_the_first_are_duplicates_too(slack_settings, fake):
    title = "Seoul and Tokyo restore full GSOMIA intelligence sharing"
    produce(slack_settings, [
        decision("t1", title=title, url="https://news.example/gsomia?utm_medium=feed"),
        decision("t2", title=title, url="https://news.example/gsomia", feed_id="other"),
        decision("t3", title=title, url="https://news.example/gsomia#top", feed_id="third"),
    ])
    with AlerterThread(slack_settings) as alerter:
        alerter.wait(lambda: committed(slack_settings, "newswatch-alerter") == 3, what="commit")
        stats = alerter.stop()
    assert len(fake.posts()) == 1
    assert stats.duplicates == 2
    dup = [r for r in ledger(slack_settings) if r.status == "duplicate"]
    posted_id = fake.posts()[0]["metadata"]["event_payload"]["alert_id"]
    assert len(dup) == 2 and {r.duplicate_of for r in dup} == {posted_id}
    assert len({r.alert_id for r in dup}) == 2


def test_without_threading_copies_are_recorded_as_duplicates(settings, fake):
    write_config(settings, FAST_CONFIG + "threading: {follow_ups: false}\n")
    slack_settings = with_slack(settings, fake)
    produce(slack_settings, [
        decision("d1", title="Seoul protests Japan's Takeshima Day ceremony"),
        decision("d2", title="Seoul protests Japan's Takeshima Day ceremony | Kyodo",
                 url="https://kyodo.example/2"),
    ])
    with AlerterThread(slack_settings) as alerter:
        alerter.wait(lambda: committed(slack_settings, "newswatch-alerter") == 2, what="commit")
        stats = alerter.stop()
    assert len(fake.posts()) == 1
    assert stats.duplicates == 1
    dup = [r for r in ledger(slack_settings) if r.status == "duplicate"]
    assert [r.article_id for r in dup] == ["d2"]


# ------------------------------------------------------------------ bursts


def test_a_burst_beyond_the_channel_limit_becomes_one_digest(settings, fake):
    write_config(settings, """
        routes:
          - {name: dispute, channel: "C0DISPUTE1", match: {categories: [dispute]}}
        throttle: {per_second: 1, burst: 2, max_wait_seconds: 0, max_per_window: 20,
                   window_seconds: 60, digest_after_seconds: 1, digest_max_items: 3}
    """)
    slack_settings = with_slack(settings, fake)
    burst = [decision(f"b{i}", title=headline(i)) for i in range(7)]
    produce(slack_settings, burst)
    with AlerterThread(slack_settings) as alerter:
        alerter.wait(lambda: any(p["metadata"]["event_payload"]["kind"] == "digest"
                             for p in fake.posts()), what="the digest")
        alerter.wait(lambda: committed(slack_settings, "newswatch-alerter") == 7, what="commit")
        stats = alerter.stop()
    posts = fake.posts("C0DISPUTE1")
    singles = [p for p in posts if p["metadata"]["event_payload"]["kind"] == "alert"]
    digests = [p for p in posts if p["metadata"]["event_payload"]["kind"] == "digest"]
    assert len(singles) == 2 and len(digests) == 1  # the burst of 2, then one digest
    assert "5 alert(s) held back" in digests[0]["text"]
    digest_text = json.dumps(digests[0]["blocks"])
    assert "and 2 more" in digest_text  # digest_max_items: 3
    # The channel's rate held: the digest went out at least a second after the burst.
    assert digests[0]["received_at"] - singles[-1]["received_at"] >= 0.9
    records = ledger(slack_settings)
    held = [r for r in records if r.status == "throttled"]
    digest_id = digests[0]["metadata"]["event_payload"]["alert_id"]
    assert len(held) == 5 and {r.digest_id for r in held} == {digest_id}
    assert final_status(records)[digest_id] == "posted"
    assert stats.throttled == 5 and stats.digests == 1


# ------------------------------------------------------------------ Slack failures


def test_429_storm_waits_for_retry_after_and_posts_once(slack_settings, fake):
    fake.fail_next("chat.postMessage", status=429, retry_after=1, times=2)
    produce(slack_settings, [decision("rl1")])
    with AlerterThread(slack_settings) as alerter:
        alerter.wait(lambda: len(fake.posts()) == 1, what="the post after the 429s")
        alerter.wait(lambda: committed(slack_settings, "newswatch-alerter") == 1, what="commit")
        alerter.stop()
    calls = fake.calls_to("chat.postMessage")
    assert [c.status for c in calls] == [429, 429, 200]
    assert calls[1].at - calls[0].at >= 1.0 and calls[2].at - calls[1].at >= 1.0
    posted = [r for r in ledger(slack_settings) if r.status == "posted"]
    assert len(posted) == 1 and posted[0].attempts == 3


def test_server_error_then_success_posts_once(slack_settings, fake):
    fake.fail_next("chat.postMessage", status=500)
    produce(slack_settings, [decision("e1")])
    with AlerterThread(slack_settings) as alerter:
        alerter.wait(lambda: len(fake.posts()) == 1, what="the post after the 500")
        alerter.wait(lambda: committed(slack_settings, "newswatch-alerter") == 1, what="commit")
        alerter.stop()
    methods = [(c.method, c.status) for c in fake.calls if c.method != "auth.test"]
    # Before posting again after a 500 it looks in the channel: the 500 might have posted.
    assert methods == [("chat.postMessage", 500), ("conversations.history", 200),
                       ("chat.postMessage", 200)]
    assert len(fake.posts()) == 1


def test_connection_dropped_after_slack_stored_the_post_does_not_post_twice(
        slack_settings, fake):
    fake.drop_next("chat.postMessage", after_store=True)
    produce(slack_settings, [decision("x1")])
    with AlerterThread(slack_settings) as alerter:
        alerter.wait(lambda: committed(slack_settings, "newswatch-alerter") == 1, what="commit")
        stats = alerter.stop()
    assert len(fake.posts()) == 1
    assert stats.reconciled == 1
    assert list(final_status(ledger(slack_settings)).values()) == ["posted"]


def test_slack_down_for_a_while_loses_nothing_and_posts_once(slack_settings, fake):
    # 1 + 2 retries inside the post, then the alerter's own backoff, then more failures.
    fake.fail_next("chat.postMessage", status=503, times=4)
    produce(slack_settings, [decision("o1")])
    with AlerterThread(slack_settings) as alerter:
        alerter.wait(lambda: any(r.status == "failed" for r in ledger(slack_settings)),
                 what="the failure in the ledger")
        assert committed(slack_settings, "newswatch-alerter") == 0  # held, not lost
        alerter.wait(lambda: len(fake.posts()) == 1, timeout=30, what="the post after recovery")
        alerter.wait(lambda: committed(slack_settings, "newswatch-alerter") == 1, what="commit")
        alerter.stop()
    assert len(fake.posts()) == 1
    assert list(final_status(ledger(slack_settings)).values()) == ["posted"]


def test_channel_not_found_dead_letters_that_alert_and_goes_on(slack_settings, fake):
    fake.error_next("chat.postMessage", "channel_not_found")
    produce(slack_settings, [decision("c1", title=headline(0)),
                             decision("c2", title=headline(1))])
    with AlerterThread(slack_settings) as alerter:
        alerter.wait(lambda: committed(slack_settings, "newswatch-alerter") == 2, what="commit")
        stats = alerter.stop()
    assert len(fake.posts()) == 1
    assert stats.dead_lettered == 1
    status = final_status(ledger(slack_settings))
    assert sorted(status.values()) == ["dead-lettered", "posted"]
    dead = [r for r in read_topic(slack_settings,
                                  Topics.from_settings(slack_settings).deadletter, expect=1)
            if isinstance(r, DeadLetter)]
    assert len(dead) == 1 and "channel_not_found" in dead[0].reason
    assert dead[0].source is not None and dead[0].source.topic.endswith("decisions")


@pytest.mark.parametrize("error", ["not_in_channel", "is_archived"])
def test_other_channel_errors_dead_letter_too(slack_settings, fake, error):
    fake.error_next("chat.postMessage", error)
    produce(slack_settings, [decision("n1")])
    with AlerterThread(slack_settings) as alerter:
        alerter.wait(lambda: committed(slack_settings, "newswatch-alerter") == 1, what="commit")
        alerter.stop()
    records = ledger(slack_settings)
    assert [r.status for r in records] == ["intent", "dead-lettered"]
    assert error in records[-1].error


def test_invalid_token_stops_before_consuming_anything(settings, fake):
    write_config(settings)
    bad = with_slack(settings, fake).model_copy(
        update={"slack_bot_token": with_slack(settings, fake).slack_bot_token.__class__("xoxb-wrong")})
    produce(bad, [decision("t1")])
    import threading
    with pytest.raises(AlertError, match="invalid_auth"):
        run(bad, threading.Event())
    assert fake.posts() == []
    assert committed(bad, "newswatch-alerter") == 0


def test_token_revoked_mid_run_stops_commits_nothing_and_a_restart_posts_once(
        slack_settings, fake):
    produce(slack_settings, [decision("v1")])
    with AlerterThread(slack_settings) as alerter:
        alerter.wait(lambda: len(fake.posts()) == 1, what="the first post")
        alerter.wait(lambda: committed(slack_settings, "newswatch-alerter") == 1, what="commit")
        fake.revoked = True
        produce(slack_settings, [decision("v2", title="Dokdo row deepens")])
        alerter.thread.join(30)
    assert isinstance(alerter.error, AlertError) and "token_revoked" in str(alerter.error)
    assert committed(slack_settings, "newswatch-alerter") == 1  # v2 not committed
    assert [r.status for r in ledger(slack_settings) if r.article_id == "v2"] == \
        ["intent", "failed"]
    fake.revoked = False
    with AlerterThread(slack_settings) as again:
        again.wait(lambda: committed(slack_settings, "newswatch-alerter") == 2, what="commit")
        again.stop()
    assert sorted(p["metadata"]["event_payload"]["article_id"] for p in fake.posts()) == \
        ["v1", "v2"]


# ------------------------------------------------------------------ other targets


def test_without_slack_alerts_print_to_the_console(settings):
    write_config(settings)
    out = io.StringIO()
    console = Console(file=out, width=120, force_terminal=False, color_system=None)
    produce(settings, [decision("p1", title="Japan claims Takeshima [bold]again[/bold]")])
    with AlerterThread(settings, console=console) as alerter:
        alerter.wait(lambda: "Takeshima" in out.getvalue(), what="the console alert")
        alerter.stop()
    text = out.getvalue()
    assert "DISPUTE · HIGH" in text and "[bold]again[/bold]" in text
    assert "https://news.example.org/p1" in text
    assert "dokdo-claim" in text or "rules:" in text


def test_incoming_webhook_target(settings, fake):
    write_config(settings)
    hook_settings = with_slack(settings, fake, webhook=True)
    produce(hook_settings, [decision("w1")])
    with AlerterThread(hook_settings) as alerter:
        alerter.wait(lambda: len(fake.posts()) == 1, what="the webhook post")
        alerter.stop()
    post = fake.posts()[0]
    assert post["via_webhook"] and post["params"]["unfurl_links"] is False
    assert "Japan repeats Dokdo claim" in post["text"]


def test_injected_sink_is_used_as_given(settings):
    write_config(settings)
    out = io.StringIO()
    sink = ConsoleSink(Console(file=out, width=100, color_system=None))
    produce(settings, [decision("i1")])
    with AlerterThread(settings, sink=sink) as alerter:
        alerter.wait(lambda: "i1" in out.getvalue(), what="the alert through the injected sink")
        alerter.stop()

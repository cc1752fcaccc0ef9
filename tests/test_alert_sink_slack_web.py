"""The Slack Web API target, with the real slack-sdk client against the fake Slack."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from slack_sdk import WebClient

from alerts.config import Delivery
from alerts.render import alert_view, to_slack
from alerts.sinks import make_sink
from alerts.sinks.base import DeliveryError
from alerts.sinks.slack_web import SlackWebSink
from newswatch.settings import Settings
from tests.alertutil import decision, with_slack

SINCE = datetime.now(timezone.utc) - timedelta(minutes=5)


class RecordingSleep:
    """Stands in for time.sleep: records what the retry logic asked for, returns at once."""

    def __init__(self) -> None:
        self.asked: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)


def sink_for(fake, *, token=None, sleep=None, **delivery) -> SlackWebSink:
    client = WebClient(token=token or fake.token, base_url=fake.url, timeout=5)
    return SlackWebSink(client, Delivery(**delivery), sleep=sleep or RecordingSleep())


def message(aid="0123456789abcdef", article="a1"):
    view = alert_view(decision(article), alert_id=aid, route="dispute", channel="C0DISPUTE1")
    return to_slack(view)


# ------------------------------------------------------------------ posting


def test_post_sends_blocks_text_and_metadata_without_unfurling(fake):
    result = sink_for(fake).post("C0DISPUTE1", message())
    (post,) = fake.posts("C0DISPUTE1")
    assert result.ts == post["ts"] and result.attempts == 1 and not result.found
    assert post["metadata"] == {"event_type": "newswatch_alert", "event_payload": {
        "alert_id": "0123456789abcdef", "article_id": "a1", "kind": "alert"}}
    params = post["params"]
    assert params["unfurl_links"] is False and params["unfurl_media"] is False
    assert params["link_names"] is False and params["parse"] == "none"
    assert params["blocks"] and params["text"]
    call = fake.calls_to("chat.postMessage")[0]
    assert call.token == fake.token  # bearer token in the header, not in the body
    assert "token" not in call.params


def test_settings_choose_the_web_sink_and_its_base_url(fake):
    settings = with_slack(Settings.load(), fake)
    sink = make_sink(settings, Delivery())
    assert isinstance(sink, SlackWebSink)
    assert "Fake Watch" in sink.check()


def test_post_by_channel_name(fake):
    result = sink_for(fake).post("#kr-jp-dispute", message())
    assert result.channel_id == "C0DISPUTE1" and len(fake.posts("C0DISPUTE1")) == 1


# ------------------------------------------------------------------ 429 and 5xx


def test_429_waits_retry_after_each_time_then_posts_once(fake):
    fake.fail_next("chat.postMessage", status=429, retry_after=2, times=3)
    sleep = RecordingSleep()
    result = sink_for(fake, sleep=sleep).post("C0DISPUTE1", message())
    assert [c.status for c in fake.calls_to("chat.postMessage")] == [429, 429, 429, 200]
    assert len(sleep.asked) == 3 and all(2.0 <= s <= 2.25 for s in sleep.asked)
    assert result.attempts == 4 and len(fake.posts()) == 1


def test_429_storm_beyond_the_retry_cap_is_a_transient_failure(fake):
    fake.fail_next("chat.postMessage", status=429, retry_after=1, times=5)
    with pytest.raises(DeliveryError) as info:
        sink_for(fake, rate_limit_retries=2).post("C0DISPUTE1", message())
    assert info.value.kind == "transient" and info.value.retry_after == 1
    assert len(fake.calls_to("chat.postMessage")) == 3 and fake.posts() == []


def test_retry_after_longer_than_the_cap_is_left_to_the_alerter(fake):
    fake.fail_next("chat.postMessage", status=429, retry_after=600)
    sleep = RecordingSleep()
    with pytest.raises(DeliveryError) as info:
        sink_for(fake, sleep=sleep, max_retry_after_seconds=60).post("C0DISPUTE1", message())
    assert info.value.retry_after == 600 and sleep.asked == []


def test_500_looks_in_the_channel_before_posting_again(fake):
    fake.fail_next("chat.postMessage", status=500)
    result = sink_for(fake).post("C0DISPUTE1", message())
    assert [(c.method, c.status) for c in fake.calls] == [
        ("chat.postMessage", 500), ("conversations.history", 200), ("chat.postMessage", 200)]
    assert result.attempts == 2 and len(fake.posts()) == 1


def test_persistent_5xx_is_a_transient_failure_after_the_configured_attempts(fake):
    fake.fail_next("chat.postMessage", status=502, times=10)
    with pytest.raises(DeliveryError) as info:
        sink_for(fake, server_error_retries=2).post("C0DISPUTE1", message())
    assert info.value.kind == "transient"
    assert len(fake.calls_to("chat.postMessage")) == 3 and fake.posts() == []


def test_history_reads_retry_5xx_inside_the_client(fake):
    sink = sink_for(fake)
    sink.post("C0DISPUTE1", message())
    fake.fail_next("conversations.history", status=503, times=2)
    assert sink.find_posted("C0DISPUTE1", "0123456789abcdef", since=SINCE)
    assert [c.status for c in fake.calls_to("conversations.history")] == [503, 503, 200]


# ------------------------------------------------------------------ dropped connections


def test_connection_dropped_after_the_post_arrived_finds_it_and_does_not_repost(fake):
    fake.drop_next("chat.postMessage", after_store=True)
    result = sink_for(fake).post("C0DISPUTE1", message())
    assert result.found and len(fake.posts()) == 1
    assert result.ts == fake.posts()[0]["ts"]


def test_connection_dropped_before_the_post_arrived_posts_once(fake):
    fake.drop_next("chat.postMessage", after_store=False)
    result = sink_for(fake).post("C0DISPUTE1", message())
    assert not result.found and len(fake.posts()) == 1


def test_slack_unreachable_is_transient(fake):
    sink = sink_for(fake, connection_retries=1)
    fake.close()
    with pytest.raises(DeliveryError) as info:
        sink.post("C0DISPUTE1", message())
    assert info.value.kind == "transient"


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize("error", ["invalid_auth", "token_revoked"])
def test_refused_token_is_fatal(fake, error):
    fake.error_next("chat.postMessage", error)
    with pytest.raises(DeliveryError) as info:
        sink_for(fake).post("C0DISPUTE1", message())
    assert info.value.kind == "fatal" and info.value.code == error
    assert "SLACK_BOT_TOKEN" in info.value.fix


def test_check_with_a_wrong_token_is_fatal(fake):
    with pytest.raises(DeliveryError) as info:
        sink_for(fake, token="xoxb-wrong").check()
    assert info.value.kind == "fatal" and info.value.code == "invalid_auth"


@pytest.mark.parametrize("error", ["channel_not_found", "not_in_channel", "is_archived"])
def test_channel_errors_are_per_alert(fake, error):
    fake.error_next("chat.postMessage", error)
    with pytest.raises(DeliveryError) as info:
        sink_for(fake).post("C0DISPUTE1", message())
    assert info.value.kind == "channel" and info.value.code == error


def test_real_channel_state_gives_the_same_errors(fake):
    fake.add_channel("C0ARCHIVE1", "old-room", archived=True)
    fake.add_channel("C0NOTMEM01", "private-room", member=False)
    sink = sink_for(fake)
    for channel, code in (("C0ARCHIVE1", "is_archived"), ("C0NOTMEM01", "not_in_channel"),
                          ("#no-such-room", "channel_not_found")):
        with pytest.raises(DeliveryError) as info:
            sink.post(channel, message())
        assert info.value.code == code


def test_rejected_message_is_not_retried(fake):
    fake.error_next("chat.postMessage", "invalid_blocks")
    with pytest.raises(DeliveryError) as info:
        sink_for(fake).post("C0DISPUTE1", message())
    assert info.value.kind == "rejected" and len(fake.calls_to("chat.postMessage")) == 1


# ------------------------------------------------------------------ finding earlier posts


def test_find_posted_by_alert_id_in_history_and_in_threads(fake):
    sink = sink_for(fake)
    first = sink.post("#kr-jp-dispute", message("aaaaaaaaaaaaaaaa"))
    reply = sink.post("#kr-jp-dispute", message("bbbbbbbbbbbbbbbb", "a2"), thread_ts=first.ts)
    fresh = sink_for(fake)  # a restarted alerter: no cached channel ids
    assert fresh.find_posted("#kr-jp-dispute", "aaaaaaaaaaaaaaaa", since=SINCE) == first.ts
    assert fresh.find_posted("#kr-jp-dispute", "bbbbbbbbbbbbbbbb", since=SINCE,
                             thread_ts=first.ts) == reply.ts
    assert fresh.find_posted("#kr-jp-dispute", "cccccccccccccccc", since=SINCE) is None
    later = datetime.now(timezone.utc) + timedelta(minutes=5)
    assert fresh.find_posted("C0DISPUTE1", "aaaaaaaaaaaaaaaa", since=later) is None


def test_find_posted_pages_through_history(fake):
    sink = sink_for(fake)
    target = sink.post("C0DISPUTE1", message("dddddddddddddddd"))
    for i in range(450):
        fake._store("C0DISPUTE1", {"text": f"chatter {i}"})
    assert sink.find_posted("C0DISPUTE1", "dddddddddddddddd", since=SINCE) == target.ts
    assert len(fake.calls_to("conversations.history")) == 3

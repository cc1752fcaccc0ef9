"""The interactivity endpoint (real broker, real uvicorn, fake Slack signing its requests):
a click becomes a mark in newswatch.feedback and a line on the alert; every request that is
not a genuine, fresh click from Slack is refused and writes nothing."""

from __future__ import annotations

import json
import logging
import time
from urllib.parse import urlencode

import httpx
import pytest

from alerts.feedback.writer import MarkWriter
from tests.alertutil import (AlerterThread, committed, decision, headline, ledger, produce,
                             wait_for, write_config)
from tests.feedbackutil import (ServerThread, marks, marks_line,  # noqa: F401 (fixture)
                                slack_settings)
from tests.feedtools import dead_producer

DISPUTE = "C0DISPUTE1"
OFFICER = "U0OFFICER1"


def _alert(slack_settings, fake, *decisions):
    produce(slack_settings, list(decisions))
    with AlerterThread(slack_settings) as alerter:
        alerter.wait(lambda: committed(slack_settings, "newswatch-alerter") == len(decisions),
                     what="the alerts settled")
        alerter.stop()
    return [p for p in fake.posts(DISPUTE) if not p["thread_ts"]]


def test_a_click_becomes_a_mark_and_a_line_on_the_alert(slack_settings, fake):
    [post] = _alert(slack_settings, fake, decision("fb-1", feed_id="kyodo-en",
                                                   source="Kyodo"))
    with ServerThread(slack_settings) as server:
        answer = fake.interact(server.url, fake.click_payload(post, "newswatch_mark_relevant"))
        assert answer.status_code == 200 and answer.text == ""  # nothing echoed back
        [mark] = marks(slack_settings, expect=1)
        assert (mark.action, mark.user, mark.article_id) == ("relevant", OFFICER, "fb-1")
        assert mark.alert_id == post["metadata"]["event_payload"]["alert_id"]
        assert mark.categories == ("dispute",) and mark.rules == {"dokdo-claim": "dispute"}
        assert (mark.ruleset_version, mark.feed_id, mark.source) == ("v1", "kyodo-en", "Kyodo")
        wait_for(lambda: marks_line(fake.posts(DISPUTE)[0]) == f"Marked relevant by <@{OFFICER}>",
                 30, "the marks line")

        # The officer changes their mind: one mark per officer and alert is shown.
        payload = fake.click_payload(fake.posts(DISPUTE)[0], "newswatch_mark_category",
                                     option=f"wrong-category|{mark.alert_id}|cooperation")
        assert fake.interact(server.url, payload).status_code == 200
        wait_for(lambda: marks_line(fake.posts(DISPUTE)[0])
                 == f"Marked should be cooperation by <@{OFFICER}>", 30, "the changed mark")
        second = marks(slack_settings, expect=2)[-1]
        assert (second.action, second.category, second.key) == \
            ("wrong-category", "cooperation", mark.key)
    alert = fake.posts(DISPUTE)[0]
    assert alert["metadata"]["event_payload"]["alert_id"] == mark.alert_id  # kept on edit
    assert any(b.get("block_id") == "newswatch-marks" for b in alert["blocks"])


def _form(payload: dict) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


def test_requests_that_are_not_fresh_genuine_clicks_are_refused(slack_settings, fake, caplog):
    [post] = _alert(slack_settings, fake, decision("fb-2"))
    caplog.set_level(logging.WARNING, logger="alerts.feedback.server")
    click = fake.click_payload(post, "newswatch_mark_not_relevant")
    with ServerThread(slack_settings) as server:
        body = _form(click)

        def send(content: bytes, headers: dict) -> httpx.Response:
            return httpx.post(server.url, content=content, headers=headers, timeout=10)

        wrong = send(body, fake.sign(body, secret="not-the-signing-secret"))
        stale = send(body, fake.sign(body, timestamp=int(time.time()) - 400))
        unsigned = send(body, {"Content-Type": "application/x-www-form-urlencoded"})
        huge = b"payload=" + b"x" * (300 * 1024)
        oversized = send(huge, fake.sign(huge))
        bad_json = b"payload=%7Bnot+json"
        malformed = send(bad_json, fake.sign(bad_json))
        forged = dict(click, actions=[dict(click["actions"][0], value="relevant|<!channel>")])
        forged_body = _form(forged)
        not_ours = send(forged_body, fake.sign(forged_body))
        good_headers = fake.sign(body)
        first = send(body, good_headers)
        replayed = send(body, good_headers)
        unknown = fake.interact(server.url, dict(click, actions=[
            dict(click["actions"][0], value="relevant|0123456789abcdef")]))
        wait_for(lambda: fake.ephemerals, 30, "the note about the unknown alert")
        guest = fake.interact(server.url, dict(click, user={"id": "U0GUEST001",
                                                            "team_id": "T0OTHER01"}))
        assert guest.status_code == 200
        wait_for(lambda: len(fake.ephemerals) == 2, 30, "the note to the guest")

        assert [r.status_code for r in (wrong, stale, unsigned)] == [401, 401, 401]
        assert oversized.status_code == 413
        assert [malformed.status_code, not_ours.status_code] == [400, 400]
        assert (first.status_code, replayed.status_code, unknown.status_code) == (200, 401, 200)
        for answer in (wrong, stale, oversized, malformed, not_ours, replayed):
            assert answer.text in ("refused", "request too large", "malformed payload")
    recorded = marks(slack_settings, expect=1)
    assert [m.action for m in recorded] == ["not-relevant"]  # only the genuine click
    assert fake.ephemerals[0]["user"] == OFFICER
    assert "does not know this alert" in fake.ephemerals[0]["text"]
    assert fake.ephemerals[1]["user"] == "U0GUEST001"  # a Slack Connect guest: not recorded
    assert "Only members of this workspace" in fake.ephemerals[1]["text"]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for reason in ("signature does not match", "off (more than 300s", "no Slack signature",
                   "larger than", "not JSON", "not ours", "a replay", "not in the alert ledger",
                   "not this workspace"):
        assert reason in logged, reason


def test_a_click_on_a_digest_item_marks_that_alert(slack_settings, fake):
    write_config(slack_settings, """
routes:
  - {name: dispute, channel: "C0DISPUTE1", match: {categories: [dispute]}}
throttle: {per_second: 1, burst: 1, max_wait_seconds: 0, max_per_window: 20,
           window_seconds: 60, digest_after_seconds: 1}
""")
    produce(slack_settings, [decision(f"fb-d{i}", title=headline(i)) for i in range(3)])
    with AlerterThread(slack_settings) as alerter:
        alerter.wait(lambda: any(p["metadata"]["event_payload"]["kind"] == "digest"
                                 for p in fake.posts()), what="the digest")
        alerter.stop()
    digest = next(p for p in fake.posts(DISPUTE) if "held back" in p["text"])
    selects = [b["accessory"] for b in digest["blocks"] if "accessory" in b]
    assert len(selects) == 2
    option = next(o["value"] for o in selects[1]["options"]
                  if o["value"].startswith("not-relevant|"))
    with ServerThread(slack_settings) as server:
        payload = fake.click_payload(digest, selects[1]["action_id"], option=option)
        assert fake.interact(server.url, payload).status_code == 200
        [mark] = marks(slack_settings, expect=1)
        held = {a.alert_id: a.article_id for a in ledger(slack_settings)
                if a.status == "throttled"}
        assert mark.action == "not-relevant" and held[mark.alert_id] == mark.article_id
        wait_for(lambda: "item 2: not relevant" in marks_line(
            next(p for p in fake.posts(DISPUTE) if p["ts"] == digest["ts"])), 30,
            "the digest's marks line")


def test_kafka_down_the_officer_is_told_to_click_again(slack_settings, fake, topics):
    [post] = _alert(slack_settings, fake, decision("fb-3"))
    down = MarkWriter(dead_producer(slack_settings), topics.feedback, timeout=1.0)
    with ServerThread(slack_settings, writer=down) as server:
        answer = fake.interact(server.url, fake.click_payload(post, "newswatch_mark_relevant"))
        assert answer.status_code == 200
        wait_for(lambda: fake.ephemerals, 30, "the note to click again")
    assert "could not be recorded" in fake.ephemerals[0]["text"]
    assert marks(slack_settings) == []
    assert marks_line(fake.posts(DISPUTE)[0]) == ""
    with ServerThread(slack_settings) as server:  # Kafka back: the second click holds
        assert fake.interact(server.url, fake.click_payload(
            post, "newswatch_mark_relevant")).status_code == 200
        assert [m.action for m in marks(slack_settings, expect=1)] == ["relevant"]


def test_the_endpoint_will_not_start_without_its_secret_or_a_bot_token(tmp_path, fake):
    from pydantic import SecretStr

    from alerts.feedback.server import FeedbackServer
    from newswatch.errors import ConfigError
    from newswatch.settings import Settings

    bare = Settings.load(config_dir=tmp_path, kafka_bootstrap_servers="127.0.0.1:9")
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET is not set"):
        FeedbackServer(bare)
    signed = bare.model_copy(update={"slack_signing_secret": SecretStr("s3cret")})
    (tmp_path / "alerts.yaml").write_text(
        'routes:\n  - {name: d, channel: "C0DISPUTE1", match: {categories: [dispute]}}\n')
    with pytest.raises(ConfigError, match="set SLACK_BOT_TOKEN"):
        FeedbackServer(signed)  # the console target cannot edit messages

"""The buttons' values and the reading of a Slack payload (no broker, no server)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

import pytest

from alerts.feedback.actions import alert_actions, decode, encode
from alerts.feedback.book import FeedbackBook
from alerts.feedback.clicks import clicks_of, payload_of
from newswatch.errors import FeedbackError
from newswatch.messages import Mark

AID = "0123456789abcdef"
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)


def test_values_round_trip_and_carry_no_text():
    for action in ("relevant", "not-relevant", "mute"):
        assert decode(encode(action, AID)).action == action
    assert decode(encode("wrong-category", AID, "drills")).category == "drills"
    for el in alert_actions(AID)["elements"]:
        values = [o["value"] for o in el["options"]] if "options" in el else [el["value"]]
        assert all(decode(v).alert_id == AID for v in values)


@pytest.mark.parametrize("value", [None, 7, "", "relevant", f"relevant|{AID}|dispute",
                                   f"wrong-category|{AID}", f"wrong-category|{AID}|weather",
                                   f"delete|{AID}", "relevant|<!channel>", "x" * 200])
def test_anything_else_is_refused(value):
    with pytest.raises(ValueError):
        decode(value)


def _payload(**over) -> dict:
    base = {"type": "block_actions", "user": {"id": "U0OFFICER1"},
            "container": {"message_ts": "1700000000.000100", "channel_id": "C0DISPUTE1"},
            "actions": [{"action_id": "newswatch_mark_relevant",
                         "value": f"relevant|{AID}"}]}
    return {**base, **over}


def test_a_click_is_read_from_what_slack_fills_in():
    [click] = clicks_of(_payload())
    assert (click.user, click.channel, click.message_ts) == \
        ("U0OFFICER1", "C0DISPUTE1", "1700000000.000100")
    [chosen] = clicks_of(_payload(actions=[{"action_id": "newswatch_mark_category",
                                            "selected_option": {"value": encode(
                                                "wrong-category", AID, "dispute")}}]))
    assert chosen.value.category == "dispute"


@pytest.mark.parametrize("payload, reason", [
    (_payload(type="view_submission"), "not handled"),
    (_payload(user={"id": "<!here>"}), "no Slack user"),
    (_payload(actions=[]), "no actions"),
    (_payload(actions=[{"action_id": "someone_elses_button", "value": "x"}]), "none of"),
])
def test_payloads_that_are_not_our_clicks_are_explained(payload, reason):
    with pytest.raises(FeedbackError, match=reason):
        clicks_of(payload)


def test_the_body_must_be_one_form_field_of_json():
    good = urlencode({"payload": json.dumps(_payload())}).encode()
    assert payload_of(good)["type"] == "block_actions"
    for body in (b"\xff\xfe", b"payload=%5B1%5D", b"other=1", b"payload=%7Bbroken"):
        with pytest.raises(FeedbackError):
            payload_of(body)


def _mark(action: str, at: datetime, user: str = "U0OFFICER1") -> Mark:
    return Mark(alert_id=AID, user=user, action=action, at=at, story=AID,
                story_url="https://news.example.org/a", route="dispute")


def test_the_book_keeps_the_last_word_per_officer_and_story():
    book = FeedbackBook()
    book.apply(_mark("not-relevant", T0 + timedelta(minutes=5)))
    book.apply(_mark("relevant", T0))  # written last (a clock behind): it wins, as in Kafka
    assert [m.action for m in book.judgements()] == ["relevant"]
    book.apply(_mark("mute", T0 + timedelta(minutes=6), user="U0OFFICER2"))
    assert book.muted(url_key="https://news.example.org/a", route="dispute").user == "U0OFFICER2"
    assert book.muted(url_key="https://news.example.org/a", route="floor") is None
    assert book.line_for([AID]) == ("Marked relevant by <@U0OFFICER1> · story muted by "
                                    "<@U0OFFICER2>")
    book.apply(_mark("unmute", T0 + timedelta(minutes=7), user="cli:alice"))
    assert book.muted(story=AID) is None and book.mutes() == []
    assert "by cli:alice" in book.line_for([AID])  # not a mention: not a Slack user id

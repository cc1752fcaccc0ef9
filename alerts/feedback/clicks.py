"""Reading a Slack interactivity payload (already verified) into the clicks it carries.

Plain code, no I/O: the server verifies the signature, this module checks the shape. Only
what Slack itself fills in is trusted (the user id, the channel and message the click came
from); the button's value is checked against the short vocabulary of alerts/feedback/
actions.py. Anything else is a `FeedbackError` that says what was wrong, never echoing the
payload.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qs

from alerts.feedback.actions import ActionValue, decode, is_mark_action
from alerts.identity import story_key
from alerts.ledger import Entry
from newswatch.errors import FeedbackError
from newswatch.messages import Mark

SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,20}$")
_CHANNEL = re.compile(r"^[CGD][A-Z0-9]{2,20}$")
_TS = re.compile(r"^\d{1,12}\.\d{1,8}$")


@dataclass(frozen=True)
class Click:
    """One officer's click on one of our buttons."""

    user: str
    value: ActionValue
    channel: str | None
    message_ts: str | None
    team: str | None = None
    """the officer's own workspace (Slack Connect channels hold other workspaces' users)"""


def payload_of(body: bytes) -> dict:
    """The JSON object in a form-encoded `payload=` body, as Slack sends interactivity."""
    try:
        form = parse_qs(body.decode("utf-8"), strict_parsing=True, max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        raise FeedbackError("the request body is not a form", fix="Slack sends "
                            "application/x-www-form-urlencoded with one payload field") from None
    raw = form.get("payload")
    if not raw or len(raw) != 1:
        raise FeedbackError("the request has no payload field",
                            fix="point only Slack's interactivity Request URL here")
    try:
        payload = json.loads(raw[0])
    except json.JSONDecodeError as exc:
        raise FeedbackError(f"the payload is not JSON (at character {exc.pos})") from None
    if not isinstance(payload, dict):
        raise FeedbackError("the payload is not a JSON object")
    return payload


def clicks_of(payload: dict) -> list[Click]:
    """Our clicks in a block_actions payload; other Slack actions give an empty list."""
    if payload.get("type") != "block_actions":
        raise FeedbackError(f"payload type {str(payload.get('type'))[:40]!r} is not handled",
                            fix="only block_actions (button clicks) are sent here")
    who = payload.get("user") if isinstance(payload.get("user"), dict) else {}
    user = who.get("id")
    team = who.get("team_id") if isinstance(who.get("team_id"), str) else None
    if not isinstance(user, str) or not SLACK_USER.match(user):
        raise FeedbackError("the payload names no Slack user")
    container = payload.get("container") if isinstance(payload.get("container"), dict) else {}
    channel = (payload.get("channel") or {}).get("id") if isinstance(payload.get("channel"),
                                                                      dict) else None
    channel = channel or container.get("channel_id")
    ts = container.get("message_ts")
    channel = channel if isinstance(channel, str) and _CHANNEL.match(channel) else None
    ts = ts if isinstance(ts, str) and _TS.match(ts) else None
    actions = payload.get("actions")
    if not isinstance(actions, list) or not actions:
        raise FeedbackError("the payload carries no actions")
    out = []
    for action in actions[:5]:
        if not isinstance(action, dict) or not is_mark_action(action.get("action_id")):
            continue
        raw = action.get("value")
        if raw is None and isinstance(action.get("selected_option"), dict):
            raw = action["selected_option"].get("value")
        try:
            value = decode(raw)
        except ValueError as exc:
            raise FeedbackError(f"a button value is not ours: {exc}") from None
        out.append(Click(user, value, channel, ts, team))
    if not out:
        raise FeedbackError("the payload carries none of newswatch's buttons")
    return out


def build_mark(click: Click, entry: Entry, root: Entry | None, now: datetime) -> Mark:
    """The mark a click makes on a ledger entry (`root`: the alert that opened its story)."""
    story = root or entry
    return Mark(alert_id=entry.alert_id, user=click.user, action=click.value.action,
                category=click.value.category, at=now, story=story.alert_id,
                story_url=story_key(story.url, story.article_id),
                article_id=entry.article_id, content_hash=entry.content_hash,
                route=entry.route, channel=entry.channel,
                message_ts=click.message_ts, ruleset_version=entry.ruleset_version,
                categories=entry.categories, rules=dict(entry.rules), feed_id=entry.feed_id,
                source=entry.source, language=entry.language, title=entry.title[:300])

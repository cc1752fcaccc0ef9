"""The buttons officers mark alerts with, and the values those buttons carry.

A value is `action|alert id` (or `wrong-category|alert id|category`): never feed text, so
nothing an outlet writes can reach the endpoint through a click, and the endpoint can check
every part against a short list. Block Kit caps a message at 50 blocks and an action block
at 25 elements; a digest gives one select per item up to MARKED_ITEMS and lists the rest
without controls, so a long digest still posts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from newswatch.messages import CATEGORIES

BLOCK_ID = "newswatch-marks"
LINE_BLOCK_ID = "newswatch-marks-line"
ACTION_PREFIX = "newswatch_mark"
MARKED_ITEMS = 40
"""digest items that get their own select (the rest are listed without one)"""

JUDGEMENTS = ("relevant", "not-relevant", "wrong-category")
ACTIONS = JUDGEMENTS + ("mute", "unmute")
LABELS = {"relevant": "Relevant", "not-relevant": "Not relevant",
          "wrong-category": "Wrong category", "mute": "Mute this story",
          "unmute": "Unmute this story"}
_ALERT_ID = re.compile(r"^[0-9a-f]{16}$")


@dataclass(frozen=True)
class ActionValue:
    action: str
    alert_id: str
    category: str | None = None


def encode(action: str, alert_id: str, category: str | None = None) -> str:
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    return f"{action}|{alert_id}" + (f"|{category}" if category else "")


def decode(value: object) -> ActionValue:
    """The parts of a button's value; ValueError says what is wrong with it."""
    if not isinstance(value, str) or len(value) > 80:
        raise ValueError("the action value is not a short string")
    parts = value.split("|")
    action, alert_id = parts[0], parts[1] if len(parts) > 1 else ""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action[:30]!r}; known: {', '.join(ACTIONS)}")
    if not _ALERT_ID.match(alert_id):
        raise ValueError("the action value carries no alert id")
    if action == "wrong-category":
        category = parts[2] if len(parts) == 3 else ""
        if category not in CATEGORIES:
            raise ValueError(f"wrong-category needs one of {', '.join(CATEGORIES)}")
        return ActionValue(action, alert_id, category)
    if len(parts) != 2:
        raise ValueError(f"{action} takes no category")
    return ActionValue(action, alert_id)


def _text(text: str) -> dict:
    return {"type": "plain_text", "text": text, "emoji": True}


def _option(text: str, value: str) -> dict:
    return {"text": _text(text), "value": value}


def alert_actions(alert_id: str) -> dict:
    """The action block under an alert: relevant, not relevant, wrong category, mute.
    "Should be X" means X alone is right (an alert raising two categories, one of them
    wrong, is marked with the one that is right)."""
    return {"type": "actions", "block_id": BLOCK_ID, "elements": [
        {"type": "button", "action_id": f"{ACTION_PREFIX}_relevant", "style": "primary",
         "text": _text(LABELS["relevant"]), "value": encode("relevant", alert_id)},
        {"type": "button", "action_id": f"{ACTION_PREFIX}_not_relevant", "style": "danger",
         "text": _text(LABELS["not-relevant"]), "value": encode("not-relevant", alert_id)},
        {"type": "static_select", "action_id": f"{ACTION_PREFIX}_category",
         "placeholder": _text(LABELS["wrong-category"]),
         "options": [_option(f"Should be {c}", encode("wrong-category", alert_id, c))
                     for c in CATEGORIES]},
        {"type": "button", "action_id": f"{ACTION_PREFIX}_mute",
         "text": _text(LABELS["mute"]), "value": encode("mute", alert_id)},
    ]}


def item_select(alert_id: str, index: int) -> dict:
    """One select beside a digest item: every mark in one element (a section takes one)."""
    return {"type": "static_select", "action_id": f"{ACTION_PREFIX}_item_{index}",
            "placeholder": _text("Mark…"),
            "options": [_option(LABELS["relevant"], encode("relevant", alert_id)),
                        _option(LABELS["not-relevant"], encode("not-relevant", alert_id))]
            + [_option(f"Should be {c}", encode("wrong-category", alert_id, c))
               for c in CATEGORIES]
            + [_option(LABELS["mute"], encode("mute", alert_id))]}


def is_mark_action(action_id: object) -> bool:
    return isinstance(action_id, str) and action_id.startswith(ACTION_PREFIX)

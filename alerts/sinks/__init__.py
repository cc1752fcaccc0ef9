"""Alert targets, one module each, registered by name in `SINKS`.

The target follows the settings: SLACK_BOT_TOKEN -> Slack Web API (exactly once), else
SLACK_WEBHOOK_URL -> incoming webhook, else the console.
"""

from __future__ import annotations

from rich.console import Console

from alerts.config import Delivery
from alerts.sinks import console as _console  # noqa: F401  (registers "console")
from alerts.sinks import slack_web as _slack_web  # noqa: F401  (registers "slack-web")
from alerts.sinks import slack_webhook as _slack_webhook  # noqa: F401
from alerts.sinks.base import SINKS, DeliveryError, PostResult, Sink
from newswatch.settings import Settings

__all__ = ["SINKS", "DeliveryError", "PostResult", "Sink", "sink_name", "make_sink"]


def sink_name(settings: Settings) -> str:
    if settings.slack_bot_token is not None and settings.slack_bot_token.get_secret_value():
        return "slack-web"
    if settings.slack_webhook_url is not None and settings.slack_webhook_url.get_secret_value():
        return "slack-webhook"
    return "console"


def make_sink(settings: Settings, delivery: Delivery, console: Console | None = None) -> Sink:
    return SINKS.get(sink_name(settings)).from_settings(settings, delivery, console)

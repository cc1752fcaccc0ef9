"""Slack through an incoming webhook (SLACK_WEBHOOK_URL), for teams without a bot token.

A webhook posts into the one channel it was created for (route channels are ignored), has
no history to look in and returns no message ts: there are no threads, and an alert whose
post was cut off by a crash may appear twice. Use a bot token for exactly-once.
"""

from __future__ import annotations

import http.client
import logging
import time
from typing import Callable
from urllib.error import URLError

from rich.console import Console
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.webhook import WebhookClient

from alerts.config import Delivery
from alerts.render import Message
from alerts.sinks.base import SINKS, DeliveryError, PostResult, Sink
from alerts.sinks.slack_web import ConnectionRetry, RateLimitRetry, _Counter, _retry_after
from newswatch.errors import ConfigError
from newswatch.settings import Settings

log = logging.getLogger(__name__)

FATAL = {"invalid_token", "no_service", "no_service_id", "no_team", "team_disabled",
         "invalid_team", "invalid_auth", "token_revoked"}
CHANNEL = {"channel_not_found", "channel_is_archived", "action_prohibited",
           "posting_to_general_channel_denied", "no_active_hooks"}


@SINKS.register("slack-webhook")
class SlackWebhookSink(Sink):
    name = "slack-webhook"

    def __init__(self, client: WebhookClient, delivery: Delivery, *,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.client = client
        self.delivery = delivery
        self.counter = _Counter()
        # A webhook cannot be asked whether a post arrived, so a 5xx is retried as is.
        client.retry_handlers = [
            RateLimitRetry(delivery.rate_limit_retries, delivery.max_retry_after_seconds,
                           self.counter, sleep),
            _AnyServerError(delivery.server_error_retries, self.counter),
            ConnectionRetry(delivery.connection_retries, self.counter),
        ]

    @classmethod
    def from_settings(cls, settings: Settings, delivery: Delivery,
                      console: Console | None = None) -> "SlackWebhookSink":
        if settings.slack_webhook_url is None:
            raise ConfigError("the slack-webhook sink needs SLACK_WEBHOOK_URL")
        url = settings.slack_webhook_url.get_secret_value()
        if not url.startswith(("https://", "http://")):
            raise ConfigError("SLACK_WEBHOOK_URL is not an http(s) URL",
                              fix="copy the URL from the Slack app's Incoming Webhooks page")
        return cls(WebhookClient(url, timeout=int(max(1, delivery.timeout_seconds))), delivery)

    def check(self) -> str:
        return "Slack incoming webhook (one fixed channel, no threads)"

    def post(self, channel: str, message: Message, *, thread_ts: str | None = None,
             broadcast: bool = False) -> PostResult:
        self.counter.retries = 0
        try:
            response = self.client.send(text=message.text, blocks=list(message.blocks),
                                        unfurl_links=False, unfurl_media=False)
        except (URLError, OSError, http.client.HTTPException) as exc:
            raise DeliveryError("transient", "connection", f"cannot reach the webhook: {exc}",
                                attempts=1 + self.counter.retries) from None
        attempts = 1 + self.counter.retries
        body = (response.body or "").strip()
        if response.status_code == 200:
            return PostResult(None, attempts)
        code = body if body and " " not in body and len(body) < 80 else \
            f"http_{response.status_code}"
        if response.status_code == 429:
            wait = _retry_after(dict(response.headers or {}))
            raise DeliveryError("transient", "ratelimited", "the webhook kept answering 429",
                                attempts=attempts, retry_after=wait)
        if response.status_code >= 500:
            raise DeliveryError("transient", code, f"the webhook answered "
                                f"{response.status_code}", attempts=attempts)
        if code in FATAL:
            raise DeliveryError("fatal", code, f"Slack refused the webhook: {code}",
                                attempts=attempts,
                                fix="create a new incoming webhook and set SLACK_WEBHOOK_URL")
        if code in CHANNEL:
            raise DeliveryError("channel", code, f"the webhook's channel cannot take "
                                f"messages: {code}", attempts=attempts)
        raise DeliveryError("rejected", code, f"the webhook rejected the message: {code}",
                            attempts=attempts)


class _AnyServerError(RetryHandler):
    """5xx with backoff (for the webhook, which has nothing to look in first)."""

    def __init__(self, max_retry_count: int, counter: _Counter) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.counter = counter

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:
        return response is not None and 500 <= response.status_code < 600

    def prepare_for_next_attempt(self, **kwargs) -> None:
        self.counter.retries += 1
        super().prepare_for_next_attempt(**kwargs)

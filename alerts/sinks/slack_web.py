"""Slack through the Web API with a bot token (chat.postMessage), the exactly-once target.

Retries: 429 waits for Retry-After (slack-sdk's RateLimitErrorRetryHandler, capped); reads
retry 5xx and dropped connections with backoff. chat.postMessage is never retried blindly
after an answer that may hide a post (5xx, a connection dropped after sending): the next
attempt first looks for the alert id in the channel (message metadata), then posts.
Needed scopes: chat:write, channels:history (groups:history for private channels),
channels:read to resolve `#names` when reconciling.
"""

from __future__ import annotations

import http.client
import logging
import random
import re
import socket
import time
from datetime import datetime, timedelta
from typing import Any, Callable
from urllib.error import URLError

from rich.console import Console
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from alerts.config import Delivery
from alerts.render import METADATA_EVENT, Message, with_marks, with_reports
from alerts.sinks.base import SINKS, DeliveryError, PostResult, Sink
from newswatch.errors import ConfigError
from newswatch.settings import Settings

log = logging.getLogger(__name__)

POST = "chat.postMessage"
FATAL = {"invalid_auth", "token_revoked", "not_authed", "account_inactive", "token_expired",
         "no_permission", "missing_scope", "team_access_not_granted", "not_allowed_token_type",
         "org_login_required", "ekm_access_denied", "two_factor_setup_required"}
CHANNEL = {"channel_not_found", "not_in_channel", "is_archived", "restricted_action",
           "restricted_action_read_only_channel", "restricted_action_thread_only_channel",
           "restricted_action_non_threadable_channel", "team_not_found", "thread_not_found",
           "cannot_reply_to_message", "channel_is_archived"}
TRANSIENT = {"ratelimited", "rate_limited", "internal_error", "fatal_error", "service_unavailable",
             "request_timeout", "team_added_to_org"}
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,20}$")


class _Counter:
    """Retries made inside one call, so the ledger can say how many attempts a post took."""

    def __init__(self) -> None:
        self.retries = 0


def _method(url: str) -> str:
    return url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


def _retry_after(headers: dict) -> float:
    for key, value in headers.items():
        if key.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return max(0.0, float(raw))
            except (TypeError, ValueError):
                return 1.0
    return 1.0


class RateLimitRetry(RateLimitErrorRetryHandler):
    """429: wait Retry-After (plus a little jitter), unless it is longer than the cap."""

    def __init__(self, max_retry_count: int, cap: float, counter: _Counter,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.cap = cap
        self.counter = counter
        self.sleep = sleep

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:
        if not super()._can_retry(state=state, request=request, response=response, error=error):
            return False
        return _retry_after(response.headers) <= self.cap

    def prepare_for_next_attempt(self, *, state, request, response=None, error=None) -> None:
        wait = _retry_after(response.headers) if response is not None else 1.0
        self.sleep(wait + random.uniform(0, min(0.25, wait * 0.1)))
        self.counter.retries += 1
        state.next_attempt_requested = True
        state.increment_current_attempt()


class ServerErrorRetry(ServerErrorRetryHandler):
    """Any 5xx, with backoff; not for chat.postMessage (a 5xx may hide a post)."""

    def __init__(self, max_retry_count: int, counter: _Counter) -> None:
        super().__init__(max_retry_count=max_retry_count,
                         interval_calculator=BackoffRetryIntervalCalculator(backoff_factor=0.25))
        self.counter = counter

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:
        return (response is not None and 500 <= response.status_code < 600
                and _method(request.url) != POST)

    def prepare_for_next_attempt(self, **kwargs: Any) -> None:
        self.counter.retries += 1
        super().prepare_for_next_attempt(**kwargs)


def _never_sent(error: BaseException | None) -> bool:
    reason = getattr(error, "reason", None)
    return isinstance(error, URLError) and isinstance(reason, (ConnectionRefusedError,
                                                               socket.gaierror))


class ConnectionRetry(ConnectionErrorRetryHandler):
    """Dropped connections, with backoff. chat.postMessage only when nothing was sent."""

    def __init__(self, max_retry_count: int, counter: _Counter) -> None:
        super().__init__(max_retry_count=max_retry_count,
                         interval_calculator=BackoffRetryIntervalCalculator(backoff_factor=0.25))
        self.counter = counter

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:
        if not super()._can_retry(state=state, request=request, response=response, error=error):
            return False
        return _method(request.url) != POST or _never_sent(error)

    def prepare_for_next_attempt(self, **kwargs: Any) -> None:
        self.counter.retries += 1
        super().prepare_for_next_attempt(**kwargs)


class _Unsure(Exception):
    """The post may or may not have arrived: look before trying again."""


def _classify(exc: SlackApiError, attempts: int) -> DeliveryError | _Unsure:
    response = exc.response
    status = getattr(response, "status_code", 0)
    data = response.data if isinstance(getattr(response, "data", None), dict) else {}
    code = str(data.get("error") or f"http_{status}")
    if status == 429:
        wait = _retry_after(dict(getattr(response, "headers", {}) or {}))
        return DeliveryError("transient", "ratelimited", f"Slack kept answering 429 "
                             f"(Retry-After {wait:g}s)", attempts=attempts, retry_after=wait)
    if code in FATAL:
        fix = ("add the scope named in the error to the Slack app and reinstall it"
               if code == "missing_scope" else "set a valid SLACK_BOT_TOKEN (xoxb-...) for an "
               "installed app")
        needed = data.get("needed")
        detail = f" (needed: {needed})" if needed else ""
        return DeliveryError("fatal", code, f"Slack refused the bot token: {code}{detail}",
                             attempts=attempts, fix=fix)
    if status >= 500 or code in TRANSIENT:
        return _Unsure(code)
    if code in CHANNEL:
        return DeliveryError("channel", code, f"Slack cannot post there: {code}",
                             attempts=attempts)
    return DeliveryError("rejected", code, f"Slack rejected the message: {code}",
                         attempts=attempts)


@SINKS.register("slack-web")
class SlackWebSink(Sink):
    name = "slack-web"
    supports_threads = True
    supports_updates = True
    can_reconcile = True

    HISTORY_PAGES = 5

    def __init__(self, client: WebClient, delivery: Delivery, *,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.client = client
        self.delivery = delivery
        self.sleep = sleep
        self.counter = _Counter()
        self._ids: dict[str, str] = {}
        self._team_id: str | None = None  # learned by check() (auth.test)
        client.retry_handlers = [
            RateLimitRetry(delivery.rate_limit_retries, delivery.max_retry_after_seconds,
                           self.counter, sleep),
            ServerErrorRetry(delivery.server_error_retries, self.counter),
            ConnectionRetry(delivery.connection_retries, self.counter),
        ]

    @classmethod
    def from_settings(cls, settings: Settings, delivery: Delivery,
                      console: Console | None = None) -> "SlackWebSink":
        if settings.slack_bot_token is None:
            raise ConfigError("the slack-web sink needs SLACK_BOT_TOKEN")
        kwargs: dict[str, Any] = {"token": settings.slack_bot_token.get_secret_value(),
                                  "timeout": int(max(1, delivery.timeout_seconds))}
        if settings.slack_api_url:
            kwargs["base_url"] = settings.slack_api_url
        return cls(WebClient(**kwargs), delivery)

    def _call(self, fn: Callable[..., Any], **kwargs: Any) -> Any:
        self.counter.retries = 0
        return fn(**kwargs)

    def check(self) -> str:
        try:
            info = self._call(self.client.auth_test)
        except SlackApiError as exc:
            err = _classify(exc, 1)
            if isinstance(err, DeliveryError) and err.kind == "fatal":
                raise err from None
            raise DeliveryError("transient", getattr(err, "code", str(err)),
                                f"Slack auth.test failed: {err}") from None
        except (URLError, OSError, http.client.HTTPException) as exc:
            raise DeliveryError("transient", "connection", f"cannot reach Slack at "
                                f"{self.client.base_url}: {exc}") from None
        self._team_id = info.get("team_id")
        return f"Slack workspace {info.get('team')!r} as {info.get('user')!r}"

    def team_id(self) -> str | None:
        """The bot's own workspace (auth.test), for refusing clicks from other ones."""
        if self._team_id is None:
            self.check()
        return self._team_id

    def post(self, channel: str, message: Message, *, thread_ts: str | None = None,
             broadcast: bool = False) -> PostResult:
        started = datetime.now().astimezone() - timedelta(seconds=60)
        attempts = 0
        retrying = Retrying(
            stop=stop_after_attempt(1 + self.delivery.server_error_retries),
            wait=wait_exponential_jitter(multiplier=0.5, max=10, jitter=0.5),
            retry=retry_if_exception_type(_Unsure), reraise=True, sleep=self.sleep)
        try:
            for attempt in retrying:
                with attempt:
                    if attempt.retry_state.attempt_number > 1:
                        found = self.find_posted(channel, message.view.alert_id, since=started,
                                                 thread_ts=thread_ts)
                        if found:
                            return PostResult(found, attempts, found=True)
                    attempts += 1
                    result = self._post_once(channel, message, thread_ts, attempts, broadcast)
                    attempts = result.attempts
                    return result
        except _Unsure as exc:
            raise DeliveryError("transient", str(exc), f"Slack did not confirm the post "
                                f"after {attempts} attempt(s): {exc}", attempts=attempts) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _post_once(self, channel: str, message: Message, thread_ts: str | None,
                   attempts: int, broadcast: bool = False) -> PostResult:
        kwargs: dict[str, Any] = dict(
            channel=channel, text=message.text, blocks=list(message.blocks),
            metadata=message.metadata, unfurl_links=False, unfurl_media=False,
            link_names=False, parse="none", mrkdwn=True)
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
            if broadcast:
                kwargs["reply_broadcast"] = True
        try:
            response = self._call(self.client.chat_postMessage, **kwargs)
        except SlackApiError as exc:
            err = _classify(exc, attempts + self.counter.retries)
            raise err from None
        except (URLError, OSError, http.client.HTTPException) as exc:
            if _never_sent(exc):
                raise DeliveryError("transient", "connection", f"cannot reach Slack: {exc}",
                                    attempts=attempts + self.counter.retries) from None
            raise _Unsure(f"connection lost: {exc}") from None
        channel_id = response.get("channel")
        if channel_id and not _CHANNEL_ID.match(channel):
            self._ids[channel] = channel_id
        return PostResult(response.get("ts"), attempts + self.counter.retries, channel_id)

    def update_reports(self, channel: str, ts: str, line: str) -> None:
        """Read the posted message back, put the reports line in, and chat.update it with
        everything else (text, blocks, metadata) as it was."""
        self._edit(channel, ts, lambda blocks: with_reports(blocks, line))

    def update_marks(self, channel: str, ts: str, line: str, *,
                     thread_ts: str | None = None) -> None:
        """The same for the line saying who marked the alert (feedback buttons); a reply in
        a thread is read back from the thread."""
        self._edit(channel, ts, lambda blocks: with_marks(blocks, line), thread_ts=thread_ts)

    def post_ephemeral(self, channel: str, user: str, text: str) -> None:
        """A note only this officer sees (a mark that could not be recorded)."""
        try:
            self._call(self.client.chat_postEphemeral, channel=channel, user=user, text=text)
        except SlackApiError as exc:
            raise DeliveryError("rejected", str(exc.response.get("error", "error")),
                                f"Slack refused the note to {user} in {channel}") from None
        except (URLError, OSError, http.client.HTTPException) as exc:
            raise DeliveryError("transient", "connection", f"cannot reach Slack: {exc}") from None

    def _edit(self, channel: str, ts: str, change: Callable[[list[dict]], list[dict]], *,
              thread_ts: str | None = None) -> None:
        try:
            channel_id = self._channel_id(channel)
            if channel_id is None:
                raise DeliveryError("channel", "channel_not_found",
                                    f"cannot find channel {channel} to update a message")
            if thread_ts and thread_ts != ts:
                response = self._call(self.client.conversations_replies, channel=channel_id,
                                      ts=thread_ts, latest=ts, inclusive=True, limit=200,
                                      include_all_metadata=True)
            else:
                response = self._call(self.client.conversations_history, channel=channel_id,
                                      latest=ts, inclusive=True, limit=1,
                                      include_all_metadata=True)
            found = [m for m in response.get("messages", []) if m.get("ts") == ts]
            if not found:
                raise DeliveryError("rejected", "message_not_found",
                                    f"message {ts} is no longer in {channel}")
            original = found[0]
            kwargs: dict[str, Any] = dict(channel=channel_id, ts=ts,
                                          text=original.get("text", ""),
                                          blocks=change(original.get("blocks") or []))
            if original.get("metadata"):
                kwargs["metadata"] = original["metadata"]
            self._call(self.client.chat_update, **kwargs)
        except SlackApiError as exc:
            err = _classify(exc, 1)
            if isinstance(err, DeliveryError):
                raise err from None
            raise DeliveryError("transient", str(err), f"Slack did not confirm the update "
                                f"of {ts} in {channel}: {err}") from None
        except (URLError, OSError, http.client.HTTPException) as exc:
            raise DeliveryError("transient", "connection", f"cannot reach Slack to update "
                                f"{ts} in {channel}: {exc}") from None

    def _channel_id(self, channel: str) -> str | None:
        if _CHANNEL_ID.match(channel):
            return channel
        if channel in self._ids:
            return self._ids[channel]
        name = channel.lstrip("#")
        cursor = None
        for _ in range(20):
            response = self._call(self.client.conversations_list, limit=1000, cursor=cursor,
                                  exclude_archived=True,
                                  types="public_channel,private_channel")
            for conv in response.get("channels", []):
                if conv.get("name") == name:
                    self._ids[channel] = conv["id"]
                    return conv["id"]
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        return None

    def find_posted(self, channel: str, alert_id: str, *, since: datetime,
                    thread_ts: str | None = None) -> str | None:
        try:
            channel_id = self._channel_id(channel)
            if channel_id is None:
                return None
            oldest = f"{since.timestamp():.6f}"
            cursor = None
            for _ in range(self.HISTORY_PAGES):
                if thread_ts:
                    response = self._call(self.client.conversations_replies, channel=channel_id,
                                          ts=thread_ts, oldest=oldest, limit=200, cursor=cursor,
                                          include_all_metadata=True)
                else:
                    response = self._call(self.client.conversations_history, channel=channel_id,
                                          oldest=oldest, limit=200, cursor=cursor,
                                          include_all_metadata=True)
                for msg in response.get("messages", []):
                    meta = msg.get("metadata") or {}
                    payload = meta.get("event_payload") or {}
                    if meta.get("event_type") == METADATA_EVENT and \
                            payload.get("alert_id") == alert_id:
                        return msg.get("ts")
                cursor = (response.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    return None
            log.warning("alert %s: not found in %d pages of %s history; posting it",
                        alert_id, self.HISTORY_PAGES, channel)
            return None
        except SlackApiError as exc:
            err = _classify(exc, 1)
            if isinstance(err, DeliveryError) and err.kind == "fatal":
                raise err from None
            if isinstance(err, DeliveryError) and err.kind == "channel":
                return None  # the post will fail the same way and be dead-lettered
            raise DeliveryError("transient", getattr(err, "code", str(err)),
                                f"cannot look in {channel} for alert {alert_id}: {err}"
                                ) from None
        except (URLError, OSError, http.client.HTTPException) as exc:
            raise DeliveryError("transient", "connection", f"cannot look in {channel} for "
                                f"alert {alert_id}: {exc}") from None

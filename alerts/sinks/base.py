"""What an alert target must do: post a message, and (if it can) find one it posted before.

`find_posted` is what makes exactly-once possible across crashes: an alert whose intent is in
the ledger without a result is looked up in the channel (by the alert id carried in the
message metadata) before it is posted again. A target that cannot look (a webhook, the
console) returns None, and such an alert may be shown twice after a crash at that moment.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Literal

from rich.console import Console

from alerts.config import Delivery
from alerts.render import Message
from newswatch.registry import Registry
from newswatch.settings import Settings


@dataclass(frozen=True)
class PostResult:
    ts: str | None
    """the message's id in the channel (Slack ts), where the target has one"""
    attempts: int = 1
    channel_id: str | None = None
    found: bool = False
    """True when the post was not made because the message was already in the channel"""


DeliveryKind = Literal["fatal", "channel", "rejected", "transient"]


class DeliveryError(Exception):
    """A post that did not happen, sorted by what the alerter must do about it.

    fatal: credentials are wrong; stop and commit nothing.
    channel: this channel cannot take messages; dead-letter the alert, go on.
    rejected: Slack refused this message; dead-letter it, go on.
    transient: try again later, after looking whether it arrived after all.
    """

    def __init__(self, kind: DeliveryKind, code: str, message: str, *, attempts: int = 1,
                 retry_after: float | None = None, fix: str | None = None) -> None:
        self.kind = kind
        self.code = code
        self.attempts = attempts
        self.retry_after = retry_after
        self.fix = fix
        super().__init__(message)


class Sink(ABC):
    """An alert target. Implement `post`; implement `find_posted` if the target can look."""

    name: ClassVar[str]
    supports_threads: ClassVar[bool] = False
    supports_updates: ClassVar[bool] = False
    can_reconcile: ClassVar[bool] = False

    @classmethod
    @abstractmethod
    def from_settings(cls, settings: Settings, delivery: Delivery,
                      console: Console | None = None) -> "Sink":
        """Build the target from settings (secrets stay SecretStr until here)."""

    def check(self) -> str:
        """Verify credentials before consuming anything; returns a line for the log."""
        return self.name

    @abstractmethod
    def post(self, channel: str, message: Message, *, thread_ts: str | None = None,
             broadcast: bool = False) -> PostResult:
        """Post once; raise DeliveryError when the message was not posted. `broadcast`: a
        thread reply also shown in the channel (an event that escalates)."""

    def find_posted(self, channel: str, alert_id: str, *, since: datetime,
                    thread_ts: str | None = None) -> str | None:
        """The ts of a message carrying `alert_id` posted after `since`, or None."""
        return None

    def update_reports(self, channel: str, ts: str, line: str) -> None:
        """Show the event's reports line on the posted message `ts`. Setting the same line
        twice changes nothing, so a restart may simply do it again."""
        raise DeliveryError("rejected", "not_supported", f"the {self.name} target cannot "
                            "edit a posted message")

    def team_id(self) -> str | None:
        """The workspace the target posts to, where it has one."""
        return None

    def update_marks(self, channel: str, ts: str, line: str, *,
                     thread_ts: str | None = None) -> None:
        """Show who marked the alert `ts` (feedback buttons); the same line twice is a no-op."""
        raise DeliveryError("rejected", "not_supported", f"the {self.name} target cannot "
                            "edit a posted message")

    def post_ephemeral(self, channel: str, user: str, text: str) -> None:
        """A note only `user` sees in `channel`."""
        raise DeliveryError("rejected", "not_supported", f"the {self.name} target cannot "
                            "post a note to one officer")

    def close(self) -> None:
        """Release connections."""


SINKS: Registry[Sink] = Registry("alert sink")

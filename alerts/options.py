"""Alerter process options read once from the environment (beyond the shared Settings).

`NEWSWATCH_ALERT_FAULT` exists for the crash tests only: `kill-after-post:N` makes the
process SIGKILL itself right after its N-th Slack post and before the ledger records it (the
hardest moment for exactly-once); `kill-before-post:N` right before the N-th post, after
the intent is in the ledger; `kill-before-update:N` right before the N-th edit of a posted
alert (a reply is in the thread, the first alert does not list it yet). Unset, it does
nothing.
"""

from __future__ import annotations

import os
import signal
import sys

from pydantic import AliasChoices, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from newswatch.errors import ConfigError

FAULT_POINTS = ("kill-before-post", "kill-after-post", "kill-before-update")


class AlerterOptions(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    fault: str | None = Field(
        None, validation_alias=AliasChoices("NEWSWATCH_ALERT_FAULT", "newswatch_alert_fault"),
        pattern=r"^(kill-before-post|kill-after-post|kill-before-update):[1-9][0-9]{0,5}$",
        description="Crash tests only: kill-after-post:N, kill-before-post:N or "
                    "kill-before-update:N.")

    @classmethod
    def load(cls, **overrides: object) -> "AlerterOptions":
        try:
            return cls(**overrides)
        except ValidationError as exc:
            raise ConfigError(f"NEWSWATCH_ALERT_FAULT: {exc.errors()[0]['msg']}",
                              fix="unset it, or use kill-after-post:N, kill-before-post:N "
                                  "or kill-before-update:N"
                              ) from None

    @property
    def fault_point(self) -> tuple[str, int] | None:
        if not self.fault:
            return None
        point, count = self.fault.split(":")
        return point, int(count)


class FaultInjector:
    """Counts posts and kills the process at the configured point (crash tests)."""

    def __init__(self, options: AlerterOptions) -> None:
        self.point = options.fault_point
        self.seen = {p: 0 for p in FAULT_POINTS}

    def reached(self, point: str) -> None:
        if self.point is None:
            return
        self.seen[point] += 1
        if self.point == (point, self.seen[point]):
            sys.stdout.flush()
            sys.stderr.flush()
            os.kill(os.getpid(), signal.SIGKILL)

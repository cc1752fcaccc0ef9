"""Helpers for the feedback tests: the endpoint in a thread, clicks, marks read back."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from pydantic import SecretStr

from alerts.feedback.server import FeedbackServer
from alerts.feedback.writer import MarkWriter
from newswatch.messages import Mark
from newswatch.settings import Settings
from newswatch.topics import Topics
from tests.alertutil import wait_for, with_slack, write_config
from tests.kafkautil import read_topic


def with_secret(settings: Settings, fake: Any) -> Settings:
    return settings.model_copy(update={"slack_signing_secret": SecretStr(fake.signing_secret)})


@pytest.fixture
def slack_settings(settings: Settings, fake: Any) -> Settings:
    """The alert tests' config, the fake Slack's token and its signing secret (import it
    into a test module to use it there)."""
    write_config(settings)
    return with_secret(with_slack(settings, fake), fake)


class ServerThread:
    """`newswatch feedback serve` in a thread on a free port, stopped on exit."""

    def __init__(self, settings: Settings, *, writer: MarkWriter | None = None) -> None:
        self.stop = threading.Event()
        self.server = FeedbackServer(settings, port=0, writer=writer)
        self.url = self.server.url
        self.thread = threading.Thread(target=self.server.run, args=(self.stop,), daemon=True)
        self.thread.start()
        wait_for(lambda: self.server.server.started, 10, "the endpoint to listen")

    def __enter__(self) -> "ServerThread":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(15)


def marks(settings: Settings, expect: int | None = None) -> list[Mark]:
    records = read_topic(settings, Topics.from_settings(settings).feedback, expect=expect,
                         timeout=30 if expect else 3)
    return [r for r in records if isinstance(r, Mark)]


def marks_line(message: dict) -> str:
    return next((b["elements"][0]["text"] for b in message["blocks"]
                 if b.get("block_id") == "newswatch-marks-line"), "")

"""Crash tests: `newswatch alert` killed with SIGKILL around a Slack post, then restarted.

The hardest moment is between the post and the ledger write: Slack has the message, the
ledger only the intent. Two ways of dying exactly there are used:
- the process kills itself (NEWSWATCH_ALERT_FAULT=kill-after-post:N, read once at start):
  deterministic, right after the N-th post returned and before its result is recorded;
- the fake Slack kills the process while answering the N-th post (the message is stored,
  the answer never arrives): the alerter does not even learn the ts.
After the restart every alert must be in Slack exactly once: zero lost, zero duplicates.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter

import pytest

from tests.alertutil import (
    committed,
    decision,
    final_status,
    headline,
    ledger,
    produce,
    wait_for,
    write_config,
)

pytestmark = pytest.mark.slow

GROUP = "newswatch-alerter"


class Alerter:
    """One `newswatch alert` process with its output in files."""

    def __init__(self, env: dict[str, str], tmp_path, name: str) -> None:
        self.out = tmp_path / f"{name}.out"
        self.err = tmp_path / f"{name}.err"
        with open(self.out, "w") as out, open(self.err, "w") as err:
            self.proc = subprocess.Popen([sys.executable, "-m", "newswatch", "alert"], env=env,
                                         stdout=out, stderr=err)

    def stderr(self) -> str:
        return self.err.read_text()

    def wait(self, timeout: float = 60) -> int:
        return self.proc.wait(timeout)

    def terminate(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(60)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(30)


def slack_env(env_for, settings, fake, **extra: str) -> dict[str, str]:
    return env_for(settings, SLACK_BOT_TOKEN=fake.token, NEWSWATCH_SLACK_API_URL=fake.url,
                   **extra)


def assert_exactly_once(fake, settings, articles: list[str]) -> None:
    posts = fake.posts()
    per_alert = Counter(p["metadata"]["event_payload"]["alert_id"] for p in posts)
    assert [a for a, n in per_alert.items() if n > 1] == [], "duplicate posts"
    posted_articles = sorted(p["metadata"]["event_payload"]["article_id"] for p in posts)
    assert posted_articles == sorted(articles), "lost or unexpected posts"
    status = final_status(ledger(settings))
    assert set(status) == set(per_alert) and set(status.values()) == {"posted"}
    ts_by_alert = {r.alert_id: r.ts for r in ledger(settings) if r.status == "posted"}
    assert ts_by_alert == {p["metadata"]["event_payload"]["alert_id"]: p["ts"] for p in posts}


def run_to_completion(env, settings, tmp_path, total: int) -> str:
    again = Alerter(env, tmp_path, "restart")
    try:
        wait_for(lambda: committed(settings, GROUP) == total or again.proc.poll() is not None,
                 timeout=60, what="the restarted alerter to commit every decision")
        assert again.proc.poll() is None, again.stderr()
    finally:
        code = again.terminate()
    assert code == 0, again.stderr()
    return again.stderr()


@pytest.mark.parametrize("point,posts_before_death", [("kill-after-post", 3),
                                                      ("kill-before-post", 2)])
def test_killed_around_a_post_and_restarted_posts_each_alert_once(
        settings, fake, env_for, tmp_path, point, posts_before_death):
    write_config(settings)
    articles = [f"k{i}" for i in range(6)]
    produce(settings, [decision(a, title=headline(i)) for i, a in enumerate(articles)])
    crashing = Alerter(slack_env(env_for, settings, fake, NEWSWATCH_ALERT_FAULT=f"{point}:3"),
                       tmp_path, "crash")
    try:
        assert crashing.wait(60) == -signal.SIGKILL, crashing.stderr()
    finally:
        crashing.kill()
    assert len(fake.posts()) == posts_before_death
    records = ledger(settings)
    assert any(r.status == "intent" for r in records)
    assert committed(settings, GROUP) < len(articles)

    log = run_to_completion(slack_env(env_for, settings, fake), settings, tmp_path,
                            len(articles))
    assert "alerter stopped:" in log
    assert_exactly_once(fake, settings, articles)
    history_lookups = fake.calls_to("conversations.history")
    assert history_lookups, "unsettled intents must be looked up in the channel first"


def test_killed_while_slack_is_answering_and_restarted_posts_each_alert_once(
        settings, fake, env_for, tmp_path):
    write_config(settings)
    articles = [f"s{i}" for i in range(12)]
    produce(settings, [decision(a, title=headline(i)) for i, a in enumerate(articles)])
    env = slack_env(env_for, settings, fake)
    crashing = Alerter(env, tmp_path, "crash")

    def kill_on_fifth(message: dict) -> None:
        if len(fake.posts()) == 5:  # stored; the answer is never sent
            os.kill(crashing.proc.pid, signal.SIGKILL)

    fake.on_post = kill_on_fifth
    try:
        assert crashing.wait(60) == -signal.SIGKILL, crashing.stderr()
    finally:
        crashing.kill()
        fake.on_post = None
    assert len(fake.posts()) == 5
    run_to_completion(env, settings, tmp_path, len(articles))
    assert_exactly_once(fake, settings, articles)


def test_sigterm_stops_after_the_posts_in_hand_and_commits(settings, fake, env_for, tmp_path):
    write_config(settings)
    produce(settings, [decision(f"g{i}", title=headline(i)) for i in range(3)])
    alerter = Alerter(slack_env(env_for, settings, fake), tmp_path, "term")
    try:
        wait_for(lambda: len(fake.posts()) == 3 or alerter.proc.poll() is not None,
                 timeout=60, what="three posts")
    finally:
        code = alerter.terminate()
    assert code == 0, alerter.stderr()
    assert "alerter stopped: 3 decisions (3 matched), 3 posted" in alerter.stderr()
    assert committed(settings, GROUP) == 3


def test_killed_between_a_thread_reply_and_the_first_alerts_edit(
        settings, fake, env_for, tmp_path):
    """The reply is in the thread, the first alert does not list it yet: after the restart
    each reply is there once and the first alert shows the right count."""
    from tests.eventutil import TAKESHIMA_DAY, decide

    write_config(settings)
    ko, ja, en = (decide(r) for r in TAKESHIMA_DAY)
    produce(settings, [ko])
    env = slack_env(env_for, settings, fake)
    first = Alerter(env, tmp_path, "first")
    try:
        wait_for(lambda: len(fake.posts()) == 1, timeout=60, what="the first alert")
    finally:
        assert first.terminate() == 0, first.stderr()
    produce(settings, [ja, en])
    crashing = Alerter(slack_env(env_for, settings, fake,
                                 NEWSWATCH_ALERT_FAULT="kill-before-update:1"), tmp_path, "crash")
    try:
        assert crashing.wait(60) == -signal.SIGKILL, crashing.stderr()
    finally:
        crashing.kill()
    top = [p for p in fake.posts() if not p["thread_ts"]]
    assert len(top) == 1 and top[0].get("edits", 0) == 0
    assert 1 <= len([p for p in fake.posts() if p["thread_ts"]]) <= 2

    run_to_completion(env, settings, tmp_path, 3)
    replies = [p for p in fake.posts() if p["thread_ts"]]
    per_alert = Counter(p["metadata"]["event_payload"]["alert_id"] for p in replies)
    assert sorted(p["metadata"]["event_payload"]["article_id"] for p in replies) == \
        ["ev-en", "ev-ja"] and set(per_alert.values()) == {1}
    line = next(b["elements"][0]["text"] for b in top[0]["blocks"]
                if b.get("block_id") == "newswatch-reports")
    assert line.startswith(":newspaper: *3 reports* · Yonhap (ko)")
    status = final_status(ledger(settings))
    assert sorted(status.values()) == ["posted", "posted", "updated"]

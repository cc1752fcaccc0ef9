"""Helpers for the alerter tests: decisions, config files, an alerter in a thread, waiting."""

from __future__ import annotations

import textwrap
import threading
import time
from datetime import datetime, timezone
from typing import Any, Callable

from pydantic import SecretStr

from alerts.service import AlertStats, run
from newswatch.broker.clients import make_consumer, make_producer, send
from newswatch.messages import Alert, Decision, Match, RulesetRef
from newswatch.settings import Settings
from newswatch.topics import Topics
from tests.kafkautil import read_topic

# Channels the fake Slack knows; configs below use them by id and by #name.
CHANNELS = {"C0DISPUTE1": "kr-jp-dispute", "C0COOPER01": "kr-jp-cooperation",
            "C0FLOOR001": "watch-floor"}

FAST_CONFIG = """
routes:
  - name: dispute
    channel: "C0DISPUTE1"
    match: {categories: [dispute]}
  - name: cooperation
    channel: "#kr-jp-cooperation"
    match: {categories: [cooperation, drills]}
  - name: watch-floor
    channel: "C0FLOOR001"
    match: {min_severity: critical}
mentions:
  - min_severity: critical
    mention: [S0DUTY0001]
throttle:
  per_second: 50
  burst: 20
  max_wait_seconds: 2
  max_per_window: 1000
  window_seconds: 60
  digest_after_seconds: 1
delivery:
  timeout_seconds: 5
  rate_limit_retries: 3
  server_error_retries: 2
  connection_retries: 2
"""


HEADLINES = [
    "Japan repeats Dokdo claim in annual defense white paper",
    "Seoul summons Japanese envoy over Takeshima Day ceremony",
    "South Korea navy begins biannual drill near the Dokdo islets",
    "Tokyo protests Korean lawmakers' visit to Liancourt Rocks",
    "Korea and Japan resume GSOMIA intelligence sharing in full",
    "Trilateral missile warning data link goes live with Washington",
    "Defense chiefs of Seoul and Tokyo meet for first time in years",
    "Radar lock-on dispute resurfaces as patrol aircraft row flares",
    "Japanese textbooks describe the islets as inherent territory",
    "Freedom Edge exercise brings three navies to the East China Sea",
    "Forced labor ruling strains ties as Tokyo lodges a complaint",
    "Export control row ends as Seoul restores Japan to white list",
]


def headline(i: int) -> str:
    """Distinct stories (near-identical titles would be de-duplicated as one story)."""
    return HEADLINES[i % len(HEADLINES)] + ("" if i < len(HEADLINES) else f" (part {i})")


def write_config(settings: Settings, text: str = FAST_CONFIG) -> None:
    settings.config_file("alerts.yaml").write_text(textwrap.dedent(text), encoding="utf-8")


def with_slack(settings: Settings, fake: Any, *, webhook: bool = False) -> Settings:
    if webhook:
        return settings.model_copy(update={"slack_webhook_url": SecretStr(fake.webhook_url)})
    return settings.model_copy(update={"slack_bot_token": SecretStr(fake.token),
                                       "slack_api_url": fake.url})


def decision(article_id: str, *, title: str | None = None, url: str | None = "auto",
             categories: tuple[str, ...] = ("dispute",), severity: str = "high",
             feed_id: str = "yonhap-en", source: str = "Yonhap", tags: tuple[str, ...] = (),
             matches: tuple[Match, ...] | None = None,
             decided_at: datetime | None = None) -> Decision:
    title = title if title is not None else f"Japan repeats Dokdo claim, story {article_id}"
    if url == "auto":
        url = f"https://news.example.org/{article_id}"
    if matches is None:
        term = "Dokdo" if "Dokdo" in title else title.split()[0]
        at = title.find(term)
        matches = (Match(rule_id="dokdo-claim", category=(categories or ("dispute",))[0],
                         text=term, field="title", start=at, end=at + len(term),
                         sentence=title),) if categories else ()
    return Decision(article_id=article_id, title=title, url=url, source=source,
                    feed_id=feed_id, tags=tags,
                    published_at=datetime(2026, 1, 30, 8, 0, tzinfo=timezone.utc),
                    content_hash=f"h-{article_id}",
                    ruleset=RulesetRef(name="default", version="v1"),
                    categories=categories, severity=severity if categories else "none",
                    score=1.0 if categories else 0.0, matches=matches,
                    decided_at=decided_at or datetime.now(timezone.utc))


def produce(settings: Settings, decisions: list[Decision]) -> None:
    producer = make_producer(settings)
    topic = Topics.from_settings(settings).decisions
    for d in decisions:
        send(producer, topic, d.article_id, d)
    producer.flush(timeout=30)
    producer.close()


def produce_raw(settings: Settings, key: str, value: bytes) -> None:
    producer = make_producer(settings)
    producer.send(Topics.from_settings(settings).decisions, key=key.encode(), value=value)
    producer.flush(timeout=30)
    producer.close()


def wait_for(predicate: Callable[[], Any], timeout: float = 30.0, what: str = "condition",
             interval: float = 0.05) -> Any:
    """Poll with a deadline; return the first truthy value or fail naming what was awaited."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def ledger(settings: Settings) -> list[Alert]:
    return [r for r in read_topic(settings, Topics.from_settings(settings).alerts, timeout=30)
            if isinstance(r, Alert)]


def final_status(records: list[Alert]) -> dict[str, str]:
    """alert id -> last status in the ledger."""
    out: dict[str, str] = {}
    for r in records:
        if out.get(r.alert_id) in ("posted", "duplicate", "throttled", "dead-lettered") \
                and r.status in ("intent", "failed"):
            continue
        out[r.alert_id] = r.status
    return out


def committed(settings: Settings, group_id: str) -> int:
    """Sum of the group's committed offsets on the decisions topic."""
    consumer = make_consumer(settings, group_id)
    try:
        from kafka import TopicPartition
        topic = Topics.from_settings(settings).decisions
        total = 0
        for p in consumer.partitions_for_topic(topic) or ():
            offset = consumer.committed(TopicPartition(topic, p))
            total += offset or 0
        return total
    finally:
        consumer.close(autocommit=False)


class AlerterThread:
    """`alerts.service.run` in a thread, as `newswatch alert` runs it, with a stop switch."""

    def __init__(self, settings: Settings, *, group_id: str = "newswatch-alerter",
                 **kwargs: Any) -> None:
        self.stop_event = threading.Event()
        self.stats = AlertStats()
        self.error: BaseException | None = None
        self.result: AlertStats | None = None

        def target() -> None:
            try:
                self.result = run(settings, self.stop_event, group_id=group_id,
                                  stats=self.stats, **kwargs)
            except BaseException as exc:  # noqa: BLE001 - reported to the test
                self.error = exc

        self.thread = threading.Thread(target=target, daemon=True)
        self.thread.start()

    def wait(self, predicate: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
        """wait_for, failing at once with the alerter's own error if it stopped."""

        def check() -> Any:
            if not self.thread.is_alive() and self.error is not None:
                raise AssertionError(f"the alerter failed while waiting for {what}: "
                                     f"{self.error!r}")
            return predicate()

        return wait_for(check, timeout, what)

    def stop(self, timeout: float = 30.0) -> AlertStats:
        self.stop_event.set()
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the alerter did not stop"
        if self.error is not None:
            raise self.error
        return self.stats

    def __enter__(self) -> "AlerterThread":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_event.set()
        self.thread.join(30)

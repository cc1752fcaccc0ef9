"""`newswatch demo`: the embedded default — a local Kafka, the sample feeds served on
loopback, collector, processor and alerter in one process, alerts in the terminal."""

from __future__ import annotations

import shutil
import threading
import time
from functools import partial
from typing import Annotated

import typer
from rich.markup import escape

from newswatch.broker.admin import ensure_topics, group_lag
from newswatch.broker.history import history_consumer, read_all
from newswatch.cli.cmd_kafka import local_broker
from newswatch.cli.common import console, load_settings
from newswatch.messages import Alert, DeadLetter, decode
from newswatch.runner import run_stages, stop_on_signals
from newswatch.settings import Settings
from newswatch.topics import Topics

PROCESSOR_GROUP = "newswatch-processor"
ALERTER_GROUP = "newswatch-alerter"


def wait_drained(settings: Settings, stop: threading.Event, timeout: float) -> bool:
    """True once the processor and alerter have committed everything produced so far."""
    topics = Topics.from_settings(settings)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not stop.is_set():
        if (group_lag(settings, PROCESSOR_GROUP, topics.articles) == 0 and
                group_lag(settings, ALERTER_GROUP, topics.decisions) == 0):
            return True
        stop.wait(0.5)
    return False


def ledger_summary(settings: Settings) -> tuple[dict[str, Alert], int]:
    """The latest ledger record per alert id, and the number of dead letters."""
    topics = Topics.from_settings(settings)
    consumer = history_consumer(settings)
    latest: dict[str, Alert] = {}
    try:
        for rec in read_all(consumer, topics.alerts):
            alert = decode(rec.value)
            if isinstance(alert, Alert):
                latest[alert.alert_id] = alert
        dead = sum(isinstance(decode(r.value), DeadLetter)
                   for r in read_all(consumer, topics.deadletter))
    finally:
        consumer.close()
    return latest, dead


def demo(timeout: Annotated[float, typer.Option(help="Seconds to wait for the pipeline to "
                                                "drain.")] = 120.0) -> None:
    """Start a local Kafka, serve the sample feeds, run the whole pipeline once, print alerts."""
    from collectors.seeds import SeedFeedServer, write_demo_feeds_config
    import alerts.service
    import collectors.service
    import processors.service

    settings = load_settings()
    if not settings.kafka_bootstrap_servers:
        status = local_broker(settings).up()
        console.print(f"kafka: {status.describe()}", highlight=False)
    ensure_topics(settings)
    config_dir = settings.state_dir / "demo" / "config"
    config_dir.mkdir(parents=True, exist_ok=True)
    for name in ("rules.yaml", "alerts.yaml"):
        shutil.copy(settings.config_file(name), config_dir / name)
    demo_settings = settings.with_config_dir(config_dir)

    stop = threading.Event()
    stop_on_signals(stop)
    with SeedFeedServer() as server:
        write_demo_feeds_config(config_dir / "feeds.yaml", server.base_url)
        console.print(f"sample feeds served at {server.base_url}; rules and alerts from "
                      f"{settings.config_dir}/; alerts print below (no Slack configured)"
                      if not (settings.slack_bot_token or settings.slack_webhook_url) else
                      f"sample feeds served at {server.base_url}", highlight=False)
        console.rule("pipeline")
        outcome: dict[str, object] = {}

        def collect_then_drain(stage_stop: threading.Event) -> None:
            summary = collectors.service.run(demo_settings, stage_stop, once=True)
            outcome["collected"] = summary
            outcome["drained"] = wait_drained(demo_settings, stage_stop, timeout)
            stage_stop.set()

        run_stages({
            "processor": partial(processors.service.run, demo_settings,
                                 group_id=PROCESSOR_GROUP),
            "alerter": partial(alerts.service.run, demo_settings, group_id=ALERTER_GROUP,
                               console=console),
            "collector": collect_then_drain,
        }, stop)
    console.rule("summary")
    summary = outcome.get("collected")
    if summary is not None:
        console.print(f"collected: {summary.produced} new or updated article(s) from "
                      f"{len(summary.results)} feed(s) ({summary.errors} feed error(s)); "
                      "a second run finds nothing new: every article goes in once.")
    if not outcome.get("drained", False):
        console.print(f"[yellow]the pipeline did not drain within {timeout:.0f}s[/]")
    latest, dead = ledger_summary(settings)
    posted = [a for a in latest.values() if a.status == "posted"]
    console.print(f"alert ledger ({Topics.from_settings(settings).alerts}): {len(latest)} "
                  f"alert id(s), {len(posted)} posted; {dead} dead letter(s)")
    for alert in sorted(posted, key=lambda a: a.at):
        console.print(f"  {alert.at:%Y-%m-%d %H:%M} {alert.channel:22} "
                      f"{escape(alert.title[:70])}  (article {alert.article_id})",
                      highlight=False)
    if posted:
        console.print(f"\nexplain one: newswatch audit {posted[0].article_id}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)

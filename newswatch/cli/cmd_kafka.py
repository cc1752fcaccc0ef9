"""`newswatch kafka up|down|status` and `newswatch topics create`."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.table import Table

from newswatch.broker.admin import ensure_topics
from newswatch.broker.local import LocalKafka
from newswatch.cli.common import console, kafka_app, load_settings, topics_app
from newswatch.errors import BrokerError
from newswatch.settings import Settings


def local_broker(settings: Settings) -> LocalKafka:
    return LocalKafka(settings.state_dir, port=settings.kafka_port, heap_mb=settings.kafka_heap_mb)


@kafka_app.command("up")
def kafka_up(timeout: Annotated[float, typer.Option(help="Seconds to wait for the broker.")] = 60.0,
             ) -> None:
    """Start the local broker (formats storage on first use). A second `up` does nothing."""
    settings = load_settings()
    broker = local_broker(settings)
    before = broker.status()
    if before.running:
        console.print(f"already {before.describe()}")
        console.print(before.bootstrap)
        return
    started = time.monotonic()
    status = broker.up(timeout=timeout)
    console.print(f"started in {time.monotonic() - started:.1f}s: {status.describe()}")
    console.print(status.bootstrap)


@kafka_app.command("down")
def kafka_down() -> None:
    """Stop the local broker started by `up` and wait for it to exit."""
    if local_broker(load_settings()).down():
        console.print("stopped")
    else:
        console.print("not running")


@kafka_app.command("status")
def kafka_status() -> None:
    """Say whether the local broker is running. Exit code 1 when it is not."""
    status = local_broker(load_settings()).status()
    console.print(status.describe())
    if not status.running:
        raise typer.Exit(1)


@topics_app.command("create")
def topics_create() -> None:
    """Create the pipeline's topics, or verify them if they exist. Safe to run twice."""
    settings = load_settings()
    reports = ensure_topics(settings)
    table = Table("topic", "status", "partitions", "retention.ms", "cleanup", "detail")
    for r in reports:
        style = {"created": "green", "ok": "", "differs": "yellow"}[r.status]
        table.add_row(r.name, f"[{style}]{r.status}[/]" if style else r.status,
                      str(r.partitions), r.configs.get("retention.ms", "?"),
                      r.configs.get("cleanup.policy", "?"), r.detail)
    console.print(table)
    differing = [r.name for r in reports if r.status == "differs"]
    if differing:
        raise BrokerError(f"{len(differing)} topic(s) differ from their declaration: "
                          f"{', '.join(differing)}",
                          fix="alter them with kafka-configs / kafka-topics, or use a new "
                          "NEWSWATCH_TOPIC_PREFIX")


def register(app: typer.Typer) -> None:
    """Commands are attached to the shared sub-apps at import time."""

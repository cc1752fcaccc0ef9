"""`newswatch collect [--once]`: poll the feeds in feeds.yaml into the articles topic."""

from __future__ import annotations

import re
import threading
from datetime import datetime
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from newswatch.cli.common import (ConfigDirOption, MetricsPortOption, console, load_settings,
                                  metrics_endpoint)
from newswatch.errors import BrokerError, InputError
from newswatch.runner import stop_on_signals

_OUTCOME_STYLE = {"new": "green", "error": "red", "broker-error": "red", "gone": "red",
                  "throttled": "yellow", "deferred": "yellow"}


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M}Z" if value else "-"


def summary_table(summary) -> Table:
    """One row per feed: this cycle's outcome next to the feed's health."""
    table = Table(title="collect summary")
    table.add_column("feed", no_wrap=True)
    table.add_column("result", no_wrap=True)
    for name in ("http", "new", "upd", "produced", "fails"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("last success", no_wrap=True)
    table.add_column("flags", no_wrap=True)
    health = {h.feed_id: h for h in summary.health}
    for result in summary.results:
        h = health.get(result.feed_id)
        style = _OUTCOME_STYLE.get(result.outcome)
        outcome = f"[{style}]{result.outcome}[/]" if style else result.outcome
        table.add_row(
            result.feed_id, outcome, str(result.http_status or "-"), str(result.new),
            str(result.updates), str(h.items_produced if h else 0),
            str(h.failures if h else 0), _when(h.last_success_at if h else None),
            ", ".join(h.flags) if h else "")
    return table


def problem_lines(summary) -> list[str]:
    """This cycle's errors and survivable problems, one line per feed, under the table."""
    lines = []
    for result in summary.results:
        if result.error:
            lines.append(f"{result.feed_id}: {result.error}")
        elif result.problem:
            lines.append(f"{result.feed_id}: used despite: {result.problem}")
    return lines


def collect(
    once: Annotated[bool, typer.Option("--once", help="Poll every feed once, print a "
                                       "summary and exit.")] = False,
    config_dir: ConfigDirOption = None,
    feeds: Annotated[Optional[Path], typer.Option(
        "--feeds", help="feeds.yaml to use instead of the one in the config directory.",
        show_default=False)] = None,
    shard: Annotated[Optional[str], typer.Option(
        "--shard", help="K/N: this instance polls the K-th of N shares of the feeds (each "
        "feed in exactly one share, by a hash of its id). Give each instance its own "
        "NEWSWATCH_STATE_DIR.", show_default=False)] = None,
    metrics_port: MetricsPortOption = None,
) -> None:
    """Poll the RSS/Atom feeds in feeds.yaml and put new and edited articles into Kafka."""
    from collectors import service

    settings = load_settings(config_dir)
    split = parse_shard(shard) if shard else None
    stop = threading.Event()
    stop_on_signals(stop)
    with metrics_endpoint(settings, metrics_port) as metrics:
        summary = service.run(settings, stop, once=once, feeds_path=feeds, shard=split,
                              metrics=metrics)
    console.print(summary_table(summary))
    for line in problem_lines(summary):
        console.print(f"  {line}", highlight=False, markup=False, soft_wrap=True)
    console.print(f"{len(summary.results)} feed(s), {summary.produced} article(s) produced "
                  f"({summary.updates} update(s)), {summary.errors} error(s) "
                  f"in {summary.seconds:.1f}s", highlight=False)
    undelivered = [r.feed_id for r in summary.results if r.outcome == "broker-error"]
    if undelivered:
        raise BrokerError(f"Kafka did not acknowledge the articles of {len(undelivered)} "
                          f"feed(s): {', '.join(undelivered)}",
                          fix="nothing was marked seen; run again once the broker is back")


def parse_shard(text: str) -> tuple[int, int]:
    """'2/3' -> (1, 3): 1-based on the command line, 0-based inside."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise InputError(f"--shard {text!r} is not K/N with 1 <= K <= N",
                         fix="e.g. --shard 1/3, --shard 2/3 and --shard 3/3 on three instances")
    return int(match.group(1)) - 1, int(match.group(2))


def register(app: typer.Typer) -> None:
    app.command("collect")(collect)

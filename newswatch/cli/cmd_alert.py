"""`newswatch alert`: run the alerter (config/alerts.yaml) until SIGTERM or Ctrl-C."""

from __future__ import annotations

import signal
import threading

import typer

from newswatch.cli.common import (ConfigDirOption, MetricsPortOption, console, err_console,
                                  load_settings, metrics_endpoint)


def alert(config_dir: ConfigDirOption = None,
          metrics_port: MetricsPortOption = None) -> None:
    """Post every matching decision to Slack once (or print it, with no Slack configured).

    Slack: SLACK_BOT_TOKEN (exactly once, threads) or SLACK_WEBHOOK_URL. SIGTERM stops it
    after the posts in hand; a bad alerts.yaml exits 2, a refused Slack token exits 1.
    """
    from alerts.config import load_from_settings
    from alerts.service import run
    from alerts.sinks import sink_name

    settings = load_settings(config_dir)
    config = load_from_settings(settings)
    stop = threading.Event()

    def request_stop(signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    err_console.print(f"alerter: {len(config.routes)} route(s) from "
                      f"{settings.config_file('alerts.yaml')}, alerts go to "
                      f"{sink_name(settings)}", highlight=False, soft_wrap=True)
    with metrics_endpoint(settings, metrics_port) as metrics:
        stats = run(settings, stop, config=config, console=console, metrics=metrics)
    err_console.print(f"alerter stopped: {stats.summary()}", highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command("alert")(alert)

"""`newswatch run`: all three stages in one process (collector, processor, alerter)."""

from __future__ import annotations

import threading
from functools import partial

import typer

from newswatch.broker.admin import ensure_topics
from newswatch.cli.common import (ConfigDirOption, MetricsPortOption, load_settings,
                                  metrics_endpoint)
from newswatch.runner import run_stages, stop_on_signals


def run_command(config_dir: ConfigDirOption = None,
                metrics_port: MetricsPortOption = None) -> None:
    """Run collector, processor and alerter together until SIGTERM or Ctrl-C (one metrics
    port serves all three)."""
    stop = threading.Event()
    stop_on_signals(stop)  # first: a SIGTERM during start-up still ends cleanly
    import alerts.service
    import collectors.service
    import processors.service

    settings = load_settings(config_dir)
    ensure_topics(settings)
    if stop.is_set():
        return
    with metrics_endpoint(settings, metrics_port) as metrics:
        run_stages({
            "collector": partial(collectors.service.run, settings, metrics=metrics),
            "processor": partial(processors.service.run, settings, metrics=metrics),
            "alerter": partial(alerts.service.run, settings, metrics=metrics),
        }, stop)


def register(app: typer.Typer) -> None:
    app.command("run")(run_command)

"""`newswatch run`: all three stages in one process (collector, processor, alerter)."""

from __future__ import annotations

import threading
from functools import partial

import typer

from newswatch.broker.admin import ensure_topics
from newswatch.cli.common import ConfigDirOption, load_settings
from newswatch.runner import run_stages, stop_on_signals


def run_command(config_dir: ConfigDirOption = None) -> None:
    """Run collector, processor and alerter together until SIGTERM or Ctrl-C."""
    stop = threading.Event()
    stop_on_signals(stop)  # first: a SIGTERM during start-up still ends cleanly
    import alerts.service
    import collectors.service
    import processors.service

    settings = load_settings(config_dir)
    ensure_topics(settings)
    if stop.is_set():
        return
    run_stages({
        "collector": partial(collectors.service.run, settings),
        "processor": partial(processors.service.run, settings),
        "alerter": partial(alerts.service.run, settings),
    }, stop)


def register(app: typer.Typer) -> None:
    app.command("run")(run_command)

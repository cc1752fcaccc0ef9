"""`newswatch run`: all three stages in one process (collector, processor, alerter)."""

from __future__ import annotations

from functools import partial

import typer

from newswatch.broker.admin import ensure_topics
from newswatch.cli.common import ConfigDirOption, load_settings
from newswatch.runner import run_stages


def run_command(config_dir: ConfigDirOption = None) -> None:
    """Run collector, processor and alerter together until SIGTERM or Ctrl-C."""
    import alerts.service
    import collectors.service
    import processors.service

    settings = load_settings(config_dir)
    ensure_topics(settings)
    run_stages({
        "collector": partial(collectors.service.run, settings),
        "processor": partial(processors.service.run, settings),
        "alerter": partial(alerts.service.run, settings),
    })


def register(app: typer.Typer) -> None:
    app.command("run")(run_command)

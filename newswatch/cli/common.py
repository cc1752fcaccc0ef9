"""What every command shares: the app, sub-apps, settings from the environment, output."""

from __future__ import annotations

import logging
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer
from typer.core import TyperArgument
from rich.console import Console
from rich.logging import RichHandler

from newswatch.settings import Settings, describe_environment

def _usage_name(self: TyperArgument) -> str:
    """ARTICLE_ID for a required argument, [FILE] for an optional one, as most tools write
    usage lines (Typer 0.29 writes {article_id}); tests/test_cli.py checks the result."""
    name = self.metavar or (self.name or "").upper()
    name = name if self.required else f"[{name}]"
    return name + ("..." if self.nargs != 1 and not name.endswith("...") else "")


TyperArgument._usage_display_name = _usage_name  # type: ignore[method-assign]

# Outside a terminal rich would wrap at 80 columns; tables and evidence read better wider.
console = Console(width=None if os.isatty(1) else 120)
err_console = Console(stderr=True, width=None if os.isatty(2) else 120)

_ENV_HELP = "\n\n".join(f"{name}: {doc}" for name, doc in describe_environment())

app = typer.Typer(
    help="newswatch: collect news feeds into Kafka, classify them, alert watch officers.\n\n"
    "Settings come from the environment:\n\n" + _ENV_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

kafka_app = typer.Typer(no_args_is_help=True, add_completion=False)
topics_app = typer.Typer(no_args_is_help=True, add_completion=False)
rules_app = typer.Typer(no_args_is_help=True, add_completion=False)

# name -> (sub-app, help); added to `app` once, after every cmd_* module registered commands.
SUB_APPS: dict[str, tuple[typer.Typer, str]] = {
    "kafka": (kafka_app, "Local single-node Apache Kafka (KRaft) for development and tests."),
    "topics": (topics_app, "Create and verify the pipeline's topics."),
    "rules": (rules_app, "Check, test and compare rule files."),
}

MetricsPortOption = Annotated[
    Optional[int],
    typer.Option("--metrics-port", help="Serve /metrics, /healthz and /readyz on this port "
                 "(default: NEWSWATCH_METRICS_PORT; none when unset).", show_default=False,
                 metavar="PORT"),
]

ConfigDirOption = Annotated[
    Optional[Path],
    typer.Option("--config-dir", help="Directory with feeds.yaml, rules.yaml, alerts.yaml "
                 "(default: NEWSWATCH_CONFIG_DIR or config/).", show_default=False),
]


@app.callback()
def _global(ctx: typer.Context, verbose: Annotated[int, typer.Option(
        "--verbose", "-v", count=True,
        help="More log output: -v adds per-article lines, -vv the Kafka client's.")] = 0,
            log_format: Annotated[str, typer.Option(
                "--log-format", envvar="NEWSWATCH_LOG_FORMAT",
                help="text (for people) or json (one object a line, for log shippers).",
                metavar="text|json")] = "text",
            ) -> None:
    # INFO by default: a stage says what it runs with when it starts (rules version, routes,
    # feeds); per-article lines are DEBUG (-v), and kafka-python's own lines come with -vv.
    level = (logging.INFO, logging.DEBUG, logging.DEBUG)[min(verbose, 2)]
    if os.environ.get("NEWSWATCH_LOG_LEVEL"):
        level = logging.getLevelName(os.environ["NEWSWATCH_LOG_LEVEL"].upper())
    if log_format not in ("text", "json"):
        raise typer.BadParameter(f"{log_format!r} is not text or json", param_hint="--log-format")
    if log_format == "json":
        from newswatch.logformat import JsonFormatter

        handler: logging.Handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter(ctx.invoked_subcommand or ""))
    else:
        handler = RichHandler(console=err_console, show_path=False)
    logging.basicConfig(level=level, format="%(name)s: %(message)s", datefmt="[%X]",
                        handlers=[handler], force=True)
    # kafka-python logs every refused connection; newswatch reports those itself.
    logging.getLogger("kafka").setLevel(logging.DEBUG if verbose >= 2 else logging.CRITICAL)


def load_settings(config_dir: Path | None = None) -> Settings:
    return Settings.load().with_config_dir(config_dir)


def shorten(text: str, width: int) -> str:
    """`text` cut to `width` characters at a word boundary, with an ellipsis when cut
    (text without spaces, such as Japanese, is cut at the width)."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    cut = text[:width - 1]
    space = cut.rfind(" ")
    if space >= width // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-–") + "…"


@contextmanager
def metrics_endpoint(settings: Settings, port: int | None):
    """A stage's Metrics, served on `port` (or NEWSWATCH_METRICS_PORT) while the stage runs."""
    from newswatch.metrics import Metrics, serve

    metrics = Metrics()
    server = serve(metrics, port if port is not None else settings.metrics_port)
    if server is not None:
        logging.getLogger("newswatch.metrics").info(
            "metrics, /healthz and /readyz on port %d", server.port)
    try:
        yield metrics
    finally:
        if server is not None:
            server.close()

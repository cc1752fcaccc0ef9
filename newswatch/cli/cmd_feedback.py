"""`newswatch feedback serve|report|unmute`: officers' marks from Slack buttons."""

from __future__ import annotations

import getpass
import logging
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from newswatch.cli.common import SUB_APPS, console, load_settings
from newswatch.errors import InputError
from newswatch.messages import Mark, utcnow

feedback_app = typer.Typer(no_args_is_help=True, add_completion=False)
log = logging.getLogger(__name__)


@feedback_app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option("--host", help="Address to listen on (0.0.0.0 behind "
                                      "a TLS proxy).")] = "127.0.0.1",
    port: Annotated[Optional[int], typer.Option("--port", help="Port (default: "
                                                "NEWSWATCH_FEEDBACK_PORT, 3100).")] = None,
) -> None:
    """Serve Slack's interactivity Request URL (POST /slack/actions): verify each click,
    record the mark in newswatch.feedback, show it on the alert."""
    from alerts.feedback.server import FeedbackServer

    server = FeedbackServer(load_settings(), host=host, port=port)
    console.print(f"listening on {server.url} (Ctrl-C stops)", highlight=False)
    server.run()


@feedback_app.command("report")
def report_command(
    since: Annotated[Optional[str], typer.Option("--since", help="Only marks from then on: "
                                                 "ISO-8601 or 30d / 12h.")] = None,
    report: Annotated[Optional[Path], typer.Option("--report", help="Also write a "
                                                   "self-contained HTML page here.")] = None,
) -> None:
    """Precision per category, rule, feed and language from the officers' marks."""
    from alerts.feedback.book import load_book
    from alerts.feedback.report import build
    from alerts.feedback.report_view import html_page, print_report
    from newswatch.cli.cmd_replay import parse_moment

    start = parse_moment(since, "--since") if since else None
    book = load_book(load_settings())
    result = build(book.judgements(), since=start, mutes=len(book.mutes()))
    print_report(result, console)
    if report:
        if report.suffix.lower() not in (".html", ".htm"):
            raise InputError(f"--report {report}: the page is HTML",
                             fix="name it with .html")
        report.write_text(html_page(result), encoding="utf-8")
        console.print(f"\nreport written to {report}", highlight=False)


@feedback_app.command("unmute")
def unmute_command(
    story: Annotated[str, typer.Argument(help="The alert id shown on the muted story's "
                                         "message (or on any report in its thread).")],
) -> None:
    """Post a muted story's later reports again, from now on."""
    from alerts.feedback.book import load_book
    from alerts.feedback.writer import MarkWriter
    from alerts.ledger import Ledger, LedgerReader
    from newswatch.broker.clients import make_producer
    from newswatch.topics import Topics

    settings = load_settings()
    topics = Topics.from_settings(settings)
    ledger = Ledger()
    reader = LedgerReader(settings, topics.alerts, ledger)
    try:
        reader.catch_up()
    finally:
        reader.close()
    entry = ledger.get(story)
    root = ledger.get(entry.duplicate_of) if entry and entry.duplicate_of else entry
    story_id = root.alert_id if root else story
    book = load_book(settings)
    mute = book.muted(story=story_id)
    if mute is None:
        listed = ", ".join(m.story for m in book.mutes()) or "none"
        raise InputError(f"story {story} is not muted", fix=f"muted stories: {listed}")
    mark = Mark(alert_id=story_id, user=f"cli:{getpass.getuser()}", action="unmute",
                at=utcnow(), story=story_id, story_url=mute.story_url, route=mute.route,
                article_id=root.article_id if root else "", via="cli",
                title=root.title if root else "")
    writer = MarkWriter(make_producer(settings), topics.feedback, timeout=15)
    try:
        writer.write(mark)
    finally:
        writer.close()
    console.print(f"story {escape(story_id)} unmuted (it was muted by {escape(mute.describe())});"
                  " its next reports are posted again", highlight=False)


def register(app: typer.Typer) -> None:
    SUB_APPS["feedback"] = (feedback_app, "Officers' marks on alerts: serve Slack's "
                            "buttons, report precision, unmute stories.")

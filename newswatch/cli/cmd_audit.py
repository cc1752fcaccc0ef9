"""`newswatch audit ARTICLE_ID`: the article, every decision on it, every alert for it."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from newswatch.audit import AuditReport, audit
from newswatch.cli.common import console, load_settings
from newswatch.messages import Alert


def _when(dt) -> str:
    return dt.strftime("%Y-%m-%d %H:%M:%SZ") if dt else "-"


def render(report: AuditReport) -> None:
    console.rule(f"audit of article {escape(report.article_id)}")
    console.print(f"[bold]Article[/] — {len(report.articles)} version(s) collected")
    if not report.articles:
        console.print("  (not in the articles topic: lost to retention, or never collected)")
    for found in report.articles:
        a = found.record
        kind = "edit" if a.update else "first version"
        console.print(f"  {kind}, content_hash {a.content_hash}, fetched {_when(a.fetched_at)}, "
                      f"published {_when(a.published_at)} — {found.where.topic} "
                      f"p{found.where.partition}@{found.where.offset}", highlight=False)
        console.print(f"    [bold]{escape(a.title)}[/]", highlight=False)
        console.print(f"    {escape(a.url or '')}  feed={escape(a.feed_id)} "
                      f"source={escape(a.source)}", highlight=False)

    console.print(f"\n[bold]Decisions[/] — {len(report.decisions)}")
    for found in report.decisions:
        d = found.record
        rules = report.rulesets.get(d.ruleset.version)
        recorded = (f"recorded {_when(rules.recorded_at)} from {escape(rules.source_path)}"
                    if rules else "[yellow]ruleset text not found in the rulesets topic[/]")
        cats = ", ".join(d.categories) or "no category"
        src = f"from {d.input.topic} p{d.input.partition}@{d.input.offset}" if d.input else ""
        console.print(f"  {_when(d.decided_at)}: [bold]{cats}[/] severity {d.severity} "
                      f"score {d.score:g} — ruleset {escape(d.ruleset.name)}@{d.ruleset.version} "
                      f"({recorded}) {src}, content_hash {d.content_hash}", highlight=False)
        for m in d.matches:
            console.print(f"    {escape(m.rule_id)} [{m.category}] {escape(m.field)}"
                          f"[{m.start}:{m.end}] «{escape(m.text)}» in: {escape(m.sentence)}",
                          highlight=False)

    grouped = report.alerts_by_id()
    console.print(f"\n[bold]Alerts[/] — {len(grouped)} alert id(s), "
                  f"{len(report.alerts)} ledger record(s)")
    if grouped:
        table = Table("alert id", "at", "route", "channel", "status", "slack ts", "attempts",
                      "detail")
        for alert_id, founds in grouped.items():
            for found in founds:
                a = found.record
                detail = a.error or (f"story muted by {a.muted_by}" if a.muted_by else
                                     f"duplicate of {a.duplicate_of}" if a.duplicate_of else "")
                table.add_row(alert_id, _when(a.at), a.route, a.channel, a.status, a.ts or "",
                              str(a.attempts), escape(detail))
        console.print(table)
    _render_event(report)
    _render_marks(report)
    if report.unreadable:
        console.print(f"\n[yellow]{len(report.unreadable)} unreadable record(s):[/]")
        for line in report.unreadable:
            console.print(f"  {escape(line)}", highlight=False)


def _render_event(report: AuditReport) -> None:
    """The event the article's alert belongs to: its first alert and every report joined
    to it (other outlets and languages), each with its last ledger record."""
    last: dict[str, Alert] = {}
    for found in report.event:
        if found.record.status != "updated":  # an edit of the message, not its state
            last[found.record.alert_id] = found.record
    reports = [a for a in last.values() if not a.correction_of]
    corrections = [a for a in last.values() if a.correction_of]
    if len(reports) + len(corrections) < 2:
        return
    first = next((a for a in reports if not a.duplicate_of), None)
    shown = max((f.record.reports or 0 for f in report.event if f.record.status == "updated"),
                default=0)
    console.print(f"\n[bold]Event[/] — {len(reports)} report(s) under alert "
                  f"{first.alert_id if first else '?'}"
                  + (f", the first alert lists {shown}" if shown else "")
                  + (f", {len(corrections)} correction(s)" if corrections else ""))
    table = Table("article", "outlet", "language", "status", "slack ts", "alert id", "role")
    for a in sorted(reports + corrections, key=lambda a: a.at):
        role = ("first alert" if not a.duplicate_of else
                "correction" if a.correction_of else "in its thread")
        table.add_row(escape(a.article_id), escape(a.source), escape(a.language), a.status,
                      a.ts or "", a.alert_id, role)
    console.print(table)


def _render_marks(report: AuditReport) -> None:
    """Officers' marks (every record: a compacted topic may still hold earlier ones)."""
    if not report.marks:
        return
    console.print(f"\n[bold]Marks[/] — {len(report.marks)} from officers")
    table = Table("at", "officer", "mark", "alert id", "story", "via")
    for found in sorted(report.marks, key=lambda f: f.record.at):
        m = found.record
        what = f"should be {m.category}" if m.action == "wrong-category" else m.action
        table.add_row(_when(m.at), escape(m.user), what, m.alert_id, m.story, m.via)
    console.print(table)


def audit_command(
    article_id: Annotated[str, typer.Argument(help="The article id (shown in every alert).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead.")] = False,
) -> None:
    """Show the article as collected, every decision on it, every alert for it — from the topics."""
    report = audit(load_settings(), article_id)
    if as_json:
        out = {
            "article_id": report.article_id,
            "articles": [f.record.model_dump(mode="json", by_alias=True) for f in report.articles],
            "decisions": [f.record.model_dump(mode="json", by_alias=True)
                          for f in report.decisions],
            "rulesets": {v: r.model_dump(mode="json", by_alias=True)
                         for v, r in report.rulesets.items()},
            "alerts": [f.record.model_dump(mode="json", by_alias=True) for f in report.alerts],
            "event": [f.record.model_dump(mode="json", by_alias=True) for f in report.event],
            "marks": [f.record.model_dump(mode="json", by_alias=True) for f in report.marks],
            "unreadable": report.unreadable,
        }
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return
    render(report)


def register(app: typer.Typer) -> None:
    app.command("audit")(audit_command)

"""`newswatch replay` and `newswatch rules diff`: rules over history, nothing posted."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                           TimeRemainingColumn)
from rich.table import Table

from newswatch.broker.history import from_ms
from newswatch.cli.common import ConfigDirOption, console, load_settings, rules_app, shorten
from newswatch.errors import AlertError, InputError
from newswatch.replay import ReplayResult, replay, write_report

SinceOption = Annotated[Optional[str], typer.Option(
    "--since", help="Start of the window: ISO-8601 (2026-03-01, 2026-03-01T09:00Z) or a "
    "duration back from now (30d, 12h). Needed unless --labels is given.")]
LABEL_SOURCES = ("feedback",)
LabelsOption = Annotated[Optional[str], typer.Option(
    "--labels", help="Score against labels instead of a window: `feedback` replays every "
    "article officers marked in Slack and gives precision then and now.")]
UntilOption = Annotated[Optional[str], typer.Option("--until", help="End of the window "
                                                    "(exclusive), same forms; default: now.")]
ReportOption = Annotated[Optional[Path], typer.Option("--report", help="Write the full "
                                                      "result: .jsonl, .csv or .html.")]


def parse_moment(text: str, flag: str) -> datetime:
    """ISO-8601 (naive means UTC) or a duration like 30d / 12h / 90m back from now."""
    value = text.strip()
    units = {"d": "days", "h": "hours", "m": "minutes", "w": "weeks"}
    if value[:-1].isdigit() and value[-1:] in units:
        return datetime.now(timezone.utc) - timedelta(**{units[value[-1]]: int(value[:-1])})
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{flag} {text!r} is not a time",
                         fix="use ISO-8601 like 2026-03-01 or 2026-03-01T09:00Z, or 30d / 12h")
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _classifier(path: Path):
    import processors

    ruleset = processors.load_ruleset(path)
    classifier = processors.Classifier(ruleset)
    return classifier.classify_article, f"{ruleset.name}@{ruleset.version} ({path})"


def _run(settings, since: datetime, until: datetime | None, **kw) -> ReplayResult:
    return _with_progress(replay, settings, since, until, **kw)


def _with_progress(read, *args, **kw):
    """Call `read(*args, on_progress=..., **kw)` behind the progress bar (terminals only)."""
    with Progress(TextColumn("replaying"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[rate]}"),
                  TextColumn("[progress.percentage]{task.percentage:>3.0f}%"),
                  TimeRemainingColumn(), console=console, transient=True,
                  disable=not console.is_terminal) as progress:
        task = progress.add_task("replay", total=None, rate="")
        started = time.monotonic()

        def on_progress(done: int, total: int) -> None:
            if done == 1 or done % 200 == 0 or done == total:
                rate = done / max(time.monotonic() - started, 1e-6)
                progress.update(task, completed=done, total=total,
                                rate=f"{rate:,.0f} articles/s")

        return read(*args, on_progress=on_progress, **kw)


def _utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def window_text(plan, articles: int) -> str:
    """`newswatch.articles, 2026-03-01 00:00:00 UTC to now (2026-03-31 ...), 812 article(s)`"""
    since = _utc(from_ms(plan.since_ms)) if plan.since_ms is not None else "the beginning"
    until = (_utc(from_ms(plan.until_ms)) if plan.until_ms is not None
             else f"now ({_utc(datetime.now(timezone.utc))})")
    return f"{plan.topic}, {since} to {until}, {articles} article(s)"


def render(result: ReplayResult, report: Path | None) -> None:
    plan = result.plan
    console.print(f"then: {escape(result.then_label)}\nnow:  {escape(result.now_label)}\n"
                  f"window: {escape(window_text(plan, len(result.rows)))}", highlight=False)
    retained = plan.retained_from
    if (plan.since_ms is not None and retained is not None and not plan.lost_to_retention
            and from_ms(plan.since_ms) < retained):
        console.print(f"note: the oldest article was collected at {_utc(retained)}; the "
                      "window counts collection time (when the collector delivered an "
                      "article), not publication dates.", highlight=False)
    if plan.lost_to_retention:
        console.print(f"[yellow]warning:[/] the window starts before what retention kept: "
                      f"{plan.lost_to_retention.describe()}; the comparison covers only what "
                      "remains.", highlight=False)
    if not result.rows:
        retained = plan.retained_from
        console.print("no articles in this window" +
                      (f" (oldest retained article: {retained.isoformat()})" if retained
                       else " (the articles topic is empty)"))
    table = Table("category", "articles", "matched then", "matched now", "newly caught",
                  "no longer caught")
    for s in result.summary():
        table.add_row(s.category, str(s.articles), str(s.matched_then), str(s.matched_now),
                      f"[green]{s.newly_caught}[/]" if s.newly_caught else "0",
                      f"[red]{s.no_longer_caught}[/]" if s.no_longer_caught else "0")
    console.print(table)
    if result.undecided_then:
        console.print(f"{result.undecided_then} article(s) had no recorded decision "
                      "(listed as 'new').")
    if result.unreadable:
        console.print(f"[yellow]{len(result.unreadable)} unreadable record(s) skipped[/]")
    changed = result.changed
    console.print(f"\n[bold]{len(changed)} changed article(s)[/]")
    for row in changed:
        then = ", ".join(row.then) if row.then is not None else "(no decision)"
        console.print(f"  {row.change:8} {row.article_id}  {escape(then) or '-'} -> "
                      f"{escape(', '.join(row.now)) or '-'}  {escape(shorten(row.title, 90))}",
                      highlight=False)
    if report:
        kind = write_report(result, report)
        console.print(f"\nfull result written to {report} ({kind})")


def post_summary(settings, result: ReplayResult, channel: str, since: str,
                 until: str | None) -> str:
    """Post the newly caught articles as one report message; only on explicit request."""
    import hashlib

    from alerts.config import load_from_settings
    from alerts.render import DigestItem, report_view, to_slack
    from alerts.sinks import make_sink
    from alerts.sinks.base import DeliveryError

    gained = [r for r in result.rows if r.gained]
    lost = sum(1 for r in result.rows if r.lost)
    headline = (f"Replay {since} to {until or 'now'} with {result.now_label}: "
                f"{len(result.rows)} articles, {len(gained)} newly caught, {lost} no longer "
                f"caught (compared with {result.then_label})")
    report_id = hashlib.sha256(f"{headline}|{channel}".encode()).hexdigest()[:16]
    items = [DigestItem(alert_id=f"{report_id}-{r.article_id}", title=r.title, url=r.url,
                        severity=r.now_severity, categories=tuple(r.now), route="replay")
             for r in gained]
    config = load_from_settings(settings)
    sink = make_sink(settings, config.delivery, console)
    message = to_slack(report_view(report_id=report_id, channel=channel, headline=headline,
                                   items=items, max_items=30))
    try:
        sink.check()
        posted = sink.post(channel, message)
    except DeliveryError as err:
        raise AlertError(f"could not post the replay summary to {channel}: {err}",
                         fix=err.fix or "check the channel and SLACK_BOT_TOKEN") from None
    finally:
        sink.close()
    return posted.ts or "printed"


def _window(since: str | None, until: str | None) -> tuple[datetime, datetime | None]:
    if not since:
        raise InputError("--since is missing", fix="give the start of the window "
                         "(e.g. --since 30d), or --labels feedback to replay marked articles")
    return parse_moment(since, "--since"), (parse_moment(until, "--until") if until else None)


def _labelled(settings, labels: str, classify_now, now_label: str, classify_then=None,
              then_label: str | None = None) -> None:
    """Replay the articles officers marked and score both rulesets by the marks."""
    if labels not in LABEL_SOURCES:
        raise InputError(f"--labels {labels!r} is not a label source",
                         fix=f"valid: {', '.join(LABEL_SOURCES)}")
    from alerts.feedback.book import load_book
    from alerts.feedback.labels import THEN_MARKED, compare, judged_articles
    from newswatch.replay import judged_versions

    judged = judged_articles(load_book(settings).judgements())
    if not judged:
        console.print("no marked articles yet: officers mark alerts with the buttons under "
                      "each one")
        return
    articles = _with_progress(judged_versions, settings,
                              {a: j.content_hash for a, j in judged.items()})
    result = compare(judged, articles, classify_now=classify_now, now_label=now_label,
                     classify_then=classify_then, then_label=then_label or THEN_MARKED)
    other = sum(1 for a, art in articles.items()
                if judged[a].content_hash and art.content_hash != judged[a].content_hash)
    console.print(f"then: {escape(result.then_label)}\nnow:  {escape(result.now_label)}\n"
                  f"labels: officers' marks on {len(judged)} article(s)"
                  + (f", {len(result.missing)} no longer retained" if result.missing else "")
                  + (f", {other} scored on a later version than the one marked (the marked "
                     "one is gone)" if other else ""), highlight=False)
    table = Table("category", "right then", "wrong then", "precision then", "right now",
                  "wrong now", "precision now", "unjudged now")
    for category, then, now in result.scores():
        fmt = lambda p: "-" if p is None else f"{p:.2f}"  # noqa: E731
        table.add_row(category, str(then.right), str(then.wrong), fmt(then.precision),
                      str(now.right), str(now.wrong), fmt(now.precision), str(now.unjudged))
    console.print(table)
    console.print(f"\n[bold]{len(result.changed)} marked article(s) change[/]")
    for row in result.changed:
        what = (f"drops {', '.join(row.dropped)}" if row.dropped else "") + \
            ("; " if row.dropped and row.added else "") + \
            (f"adds {', '.join(row.added)}" if row.added else "")
        console.print(f"  {row.effect():8} {row.judged.article_id}  {what}  (marked "
                      f"{escape(', '.join(row.judged.verdicts))})  "
                      f"{escape(shorten(row.judged.title, 70))}", highlight=False)
    kept = len(result.rows) - len(result.changed)
    console.print(f"{kept} marked article(s) decided as before", highlight=False)


def replay_command(since: SinceOption = None, until: UntilOption = None,
                   rules: Annotated[Optional[Path], typer.Option(
                       "--rules", help="Rules file to replay (default: rules.yaml in the "
                       "config dir).")] = None,
                   report: ReportOption = None,
                   post_to: Annotated[Optional[str], typer.Option(
                       "--post-to", help="Post the newly caught articles to this channel "
                       "(id or #name). Without it, replay posts nothing.")] = None,
                   labels: LabelsOption = None,
                   config_dir: ConfigDirOption = None) -> None:
    """Re-run classification over retained articles and report what changed against the
    decisions recorded at the time. Posts nothing unless --post-to names a channel."""
    settings = load_settings(config_dir)
    classify, label = _classifier(rules or settings.config_file("rules.yaml"))
    if labels:
        _labelled(settings, labels, classify, label)
        return
    start, end = _window(since, until)
    result = _run(settings, start, end, classify_now=classify, now_label=label)
    render(result, report)
    if post_to:
        ts = post_summary(settings, result, post_to, since, until)
        console.print(f"posted the summary to {escape(post_to)} ({ts})", highlight=False)


def diff_command(old: Annotated[Path, typer.Argument(help="The rules file to compare from.")],
                 new: Annotated[Path, typer.Argument(help="The rules file to compare to.")],
                 since: SinceOption = None, until: UntilOption = None,
                 report: ReportOption = None, labels: LabelsOption = None,
                 config_dir: ConfigDirOption = None) -> None:
    """Compare two rule files over retained articles, without the recorded decisions."""
    settings = load_settings(config_dir)
    classify_old, old_label = _classifier(old)
    classify_new, new_label = _classifier(new)
    if labels:
        _labelled(settings, labels, classify_new, new_label, classify_old, old_label)
        return
    start, end = _window(since, until)
    result = _run(settings, start, end, classify_now=classify_new, now_label=new_label,
                  classify_then=classify_old, then_label=old_label)
    render(result, report)


def register(app: typer.Typer) -> None:
    app.command("replay")(replay_command)
    rules_app.command("diff")(diff_command)

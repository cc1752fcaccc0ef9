"""The console sink: with no Slack configured, alerts print to the terminal.

Built from the plain view with rich `Text` objects (never markup), so `[bold]` or an escape
sequence in a headline prints as the characters it is. Follow-ups print as one indented
line under their story; digests as a short list.
"""

from __future__ import annotations

import itertools

from rich.console import Console, Group
from rich.panel import Panel
from rich.text import Text

from alerts.config import Delivery
from alerts.render import AlertView, Message, label, when
from alerts.sinks.base import SINKS, PostResult, Sink
from newswatch.settings import Settings

SEVERITY_STYLE = {"critical": "bold white on red", "high": "bold red", "medium": "bold yellow",
                  "low": "bold cyan", "none": "dim"}


def render_view(view: AlertView) -> Panel | Text:
    """The terminal form of one message."""
    if view.kind == "follow-up":
        line = Text("  ↳ also reported by ", style="dim")
        line.append(view.source or "?", style="bold")
        line.append(": ")
        line.append(view.title)
        if view.url:
            line.append(f"  {view.url}", style="blue")
        line.append(f"  [{view.alert_id}]", style="dim")
        return line
    if view.kind in ("digest", "report"):
        body = Text()
        if view.kind == "report":
            body.append(f"{view.reason}\n", style="bold")
        else:
            body.append(f"{view.held_back} alert(s) held back", style="bold")
            body.append(f" ({view.reason})\n", style="dim")
        for item in view.items:
            body.append(f"• [{label(item.categories, item.severity)}] ",
                        style=SEVERITY_STYLE.get(item.severity, ""))
            body.append(item.title or "(no title)")
            if item.url:
                body.append(f"  {item.url}", style="blue")
            body.append("\n")
        if view.held_back > len(view.items):
            body.append(f"…and {view.held_back - len(view.items)} more\n", style="dim")
        body.append(f"{view.kind} {view.alert_id}", style="dim")
        return Panel(body, title=Text(f"{view.kind} → {view.channel}"), title_align="left",
                     border_style="dim")
    parts: list[Text] = []
    title = Text(view.title, style="bold")
    parts.append(title)
    if view.url:
        parts.append(Text(view.url, style="blue"))
    meta = Text(f"{view.source} · published {when(view.published_at)}", style="dim")
    if view.feed_id and view.feed_id != view.source:
        meta.append(f" · feed {view.feed_id}")
    parts.append(meta)
    if view.mentions:
        parts.append(Text("notify: " + ", ".join(view.mentions), style="magenta"))
    for ev in view.evidence:
        line = Text("• ")
        line.append(ev.term or "sentence", style="bold")
        line.append("  “")
        line.append(ev.before)
        line.append(ev.term, style="bold reverse")
        line.append(ev.after)
        line.append("”")
        line.append(f"  ({', '.join(ev.rule_ids)} · {ev.field})", style="dim")
        parts.append(line)
    if view.more_evidence:
        parts.append(Text(f"…and {view.more_evidence} more matched passage(s)", style="dim"))
    parts.append(Text(f"rules: {', '.join(view.rule_ids)} · article {view.article_id} · "
                      f"alert {view.alert_id}", style="dim"))
    heading = Text(f" {label(view.categories, view.severity)} ",
                   style=SEVERITY_STYLE.get(view.severity, ""))
    return Panel(Group(*parts), title=heading, title_align="left",
                 subtitle=Text(f"{view.route} → {view.channel}"), subtitle_align="right",
                 border_style=SEVERITY_STYLE.get(view.severity, "").replace("bold ", ""))


@SINKS.register("console")
class ConsoleSink(Sink):
    name = "console"
    supports_threads = True  # follow-ups print under their story

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(highlight=False)
        self._seq = itertools.count(1)

    @classmethod
    def from_settings(cls, settings: Settings, delivery: Delivery,
                      console: Console | None = None) -> "ConsoleSink":
        return cls(console)

    def check(self) -> str:
        return "the console (no SLACK_BOT_TOKEN or SLACK_WEBHOOK_URL set)"

    def post(self, channel: str, message: Message, *, thread_ts: str | None = None,
             broadcast: bool = False) -> PostResult:
        self.console.print(render_view(message.view), highlight=False, markup=False)
        return PostResult(f"console.{next(self._seq)}")

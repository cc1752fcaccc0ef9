"""`feedback report` output: rich tables for the terminal, one self-contained HTML page.

The page has no scripts and no outside links: tables, plus two small inline SVG charts
(marks per day, precision per rule) where a picture reads faster than a column of numbers.
"""

from __future__ import annotations

import html

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from alerts.feedback.report import FeedbackReport, Tally, days


def _pct(tally: Tally) -> str:
    return "-" if tally.precision is None else f"{tally.precision:.2f}"


def _rows(tallies: dict[str, Tally]) -> list[tuple[str, Tally]]:
    return sorted(tallies.items(), key=lambda kv: (-kv[1].marks, kv[0]))


SECTIONS = (("category", "category"), ("rule", "rule"), ("feed", "feed"),
            ("language", "language"))


def print_report(report: FeedbackReport, console: Console) -> None:
    since = f" since {report.since.isoformat()}" if report.since else ""
    actions = ", ".join(f"{n} {a}" for a, n in sorted(report.by_action.items()))
    console.print(f"[bold]{report.marks} mark(s)[/] by {report.officers} officer(s) on "
                  f"{report.alerts} alert(s){since}: {actions or 'none'}; "
                  f"{report.mutes} story(ies) muted now", highlight=False)
    if not report.marks:
        console.print("no marks yet: officers mark alerts with the buttons under each one")
        return
    for attr, title in SECTIONS:
        table = Table(title, "marked right", "marked wrong", "precision",
                      title=f"precision per {title}", title_justify="left")
        for name, tally in _rows(getattr(report, attr)):
            table.add_row(escape(name), str(tally.right), str(tally.wrong), _pct(tally))
        console.print(table)
    if report.noisy_rules:
        console.print("[bold]rules that fire mostly on alerts marked wrong[/]")
        for rule, tally in report.noisy_rules:
            console.print(f"  {escape(rule)}: {tally.wrong} of {tally.marks} marked wrong",
                          highlight=False)
    if report.wrong_pairs:
        table = Table("raised", "should be", "marks", title="wrong-category pairs",
                      title_justify="left")
        for (raised, right), n in report.wrong_pairs.most_common():
            table.add_row(raised, right, str(n))
        console.print(table)


def _bars(items: list[tuple[str, float, str]], *, width: int = 420, scale: float) -> str:
    """A horizontal bar chart as inline SVG: (label, value, shown text) per bar."""
    row, label_w = 18, 230
    height = row * len(items) + 4
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + width + 60}" '
             f'height="{height}" role="img">']
    for i, (label, value, shown) in enumerate(items):
        y = i * row + 2
        w = 0 if scale <= 0 else max(1, int(width * value / scale))
        parts.append(f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end" '
                     f'font-size="12">{html.escape(label[:36])}</text>'
                     f'<rect x="{label_w}" y="{y}" width="{w}" height="{row - 4}" '
                     f'fill="#4a7bb7"/><text x="{label_w + w + 4}" y="{y + 13}" '
                     f'font-size="12">{html.escape(shown)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _table(title: str, rows: list[tuple[str, Tally]]) -> str:
    body = "".join(f"<tr><td>{html.escape(name)}</td><td>{t.right}</td><td>{t.wrong}</td>"
                   f"<td>{_pct(t)}</td></tr>" for name, t in rows)
    return (f"<h2>Precision per {title}</h2><table><tr><th>{title}</th><th>marked right</th>"
            f"<th>marked wrong</th><th>precision</th></tr>{body}</table>")


def html_page(report: FeedbackReport) -> str:
    since = f" since {report.since.isoformat()}" if report.since else ""
    per_day = [(d.isoformat(), float(n), str(n)) for d, n in days(report)]
    rules = [(name, t.precision or 0.0, f"{_pct(t)} ({t.marks})")
             for name, t in _rows(report.rule)[:30]]
    pairs = "".join(f"<tr><td>{html.escape(r)}</td><td>{html.escape(s)}</td><td>{n}</td></tr>"
                    for (r, s), n in report.wrong_pairs.most_common())
    noisy = "".join(f"<li>{html.escape(rule)}: {t.wrong} of {t.marks} marked wrong</li>"
                    for rule, t in report.noisy_rules)
    sections = "".join(_table(title, _rows(getattr(report, attr))) for attr, title in SECTIONS)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>newswatch: officers' marks</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:60em}}
table{{border-collapse:collapse;margin-bottom:1.5em}}td,th{{border:1px solid #ccc;
padding:.25em .6em;text-align:left}}th{{background:#f3f3f3}}</style></head><body>
<h1>Officers' marks</h1>
<p>{report.marks} mark(s) by {report.officers} officer(s) on {report.alerts} alert(s){since};
{report.mutes} story(ies) muted now.</p>
<h2>Marks per day</h2>{_bars(per_day, scale=max((v for _, v, _ in per_day), default=0))}
<h2>Precision per rule (marks in brackets)</h2>{_bars(rules, scale=1.0)}
{sections}
<h2>Rules that fire mostly on alerts marked wrong</h2><ul>{noisy or "<li>none</li>"}</ul>
<h2>Wrong-category pairs</h2><table><tr><th>raised</th><th>should be</th><th>marks</th></tr>
{pairs}</table>
</body></html>
"""

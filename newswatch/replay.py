"""Re-run classification over retained history and say what changes.

Two questions, one command each: "what would these rules have caught over the last month,
and what changes?" (`replay`: new rules against the decisions recorded at the time) and "how
do these two rule files differ on real history?" (`rules diff`: old rules against new rules).
Reading uses its own consumer in no group and commits nothing, so live stages are untouched.
The classifier is injected (a callable Article -> Decision), so this module needs no stage.
"""

from __future__ import annotations

import csv
import html
import io
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterable, Literal

from newswatch.broker.history import (WindowPlan, from_ms, history_consumer, plan_window,
                                      read_window)
from newswatch.errors import DecodeError, InputError
from newswatch.messages import CATEGORIES, Article, Decision, DecisionHeader, decode_as
from newswatch.settings import Settings
from newswatch.topics import Topics

Classify = Callable[[Article], Decision]
Change = Literal["gained", "lost", "changed", "same", "new"]


@dataclass
class Row:
    """One article in the window: what was decided then, what the rules say now."""

    article_id: str
    title: str
    url: str | None
    source: str
    published_at: str | None
    partition: int
    offset: int
    then: list[str] | None  # None: no decision recorded for this article version
    now: list[str]
    then_ruleset: str | None
    now_rules: list[str] = field(default_factory=list)
    now_severity: str = "none"
    change: Change = "same"

    @property
    def gained(self) -> list[str]:
        return [c for c in self.now if c not in (self.then or [])]

    @property
    def lost(self) -> list[str]:
        return [c for c in (self.then or []) if c not in self.now]


@dataclass
class CategorySummary:
    category: str
    articles: int = 0
    matched_then: int = 0
    matched_now: int = 0
    newly_caught: int = 0
    no_longer_caught: int = 0


@dataclass
class ReplayResult:
    plan: WindowPlan
    then_label: str
    now_label: str
    rows: list[Row] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)

    @property
    def changed(self) -> list[Row]:
        return [r for r in self.rows if r.change not in ("same",)]

    @property
    def undecided_then(self) -> int:
        return sum(1 for r in self.rows if r.then is None)

    def summary(self, categories: Iterable[str] = CATEGORIES) -> list[CategorySummary]:
        cats = list(categories)
        extra = sorted({c for r in self.rows for c in (r.now + (r.then or []))} - set(cats))
        out = []
        for cat in cats + extra:
            s = CategorySummary(cat, articles=len(self.rows))
            for r in self.rows:
                then = cat in (r.then or [])
                now = cat in r.now
                s.matched_then += then
                s.matched_now += now
                s.newly_caught += now and not then
                s.no_longer_caught += then and not now
            out.append(s)
        return out


def _classify_change(then: list[str] | None, now: list[str]) -> Change:
    if then is None:
        return "new"
    if set(then) == set(now):
        return "same"
    if set(then) < set(now):
        return "gained"
    if set(now) < set(then):
        return "lost"
    return "changed"


@dataclass(frozen=True)
class Recorded:
    """What replay keeps of a recorded decision (not its matches: history can be large)."""

    categories: tuple[str, ...]
    ruleset: str


def recorded_decisions(settings: Settings, since: datetime | None) -> dict:
    """Decisions recorded since `since`, by (partition, offset) of their input article and by
    (article id, content hash). The first one recorded for an input is the one 'at the time'."""
    topics = Topics.from_settings(settings)
    consumer = history_consumer(settings)
    by_input: dict[tuple[int, int], Recorded] = {}
    by_content: dict[tuple[str, str], Recorded] = {}
    try:
        plan = plan_window(consumer, topics.decisions, since, None)
        for rec in read_window(consumer, plan):
            try:
                d = decode_as(DecisionHeader, rec.value)
            except DecodeError:
                continue
            kept = Recorded(d.categories, f"{d.ruleset.name}@{d.ruleset.version}")
            if d.input is not None and d.input.topic == topics.articles:
                by_input.setdefault((d.input.partition, d.input.offset), kept)
            by_content.setdefault((d.article_id, d.content_hash), kept)
    finally:
        consumer.close()
    return {"input": by_input, "content": by_content}


def replay(settings: Settings, since: datetime, until: datetime | None, *,
           classify_now: Classify, now_label: str,
           classify_then: Classify | None = None, then_label: str = "recorded decisions",
           on_progress: Callable[[int, int], None] | None = None) -> ReplayResult:
    """Classify every article in [since, until) with `classify_now`; compare with the decision
    recorded at the time (or with `classify_then` when given: a rules diff)."""
    topics = Topics.from_settings(settings)
    consumer = history_consumer(settings)
    try:
        plan = plan_window(consumer, topics.articles, since, until)
        result = ReplayResult(plan, then_label, now_label)
        recorded = None if classify_then else recorded_decisions(settings, since)
        for rec in read_window(consumer, plan, on_record=_ticker(plan, on_progress)):
            try:
                article = decode_as(Article, rec.value)
            except DecodeError as exc:
                result.unreadable.append(f"{rec.topic}:{rec.partition}@{rec.offset}: {exc}")
                continue
            now = classify_now(article)
            if classify_then is not None:
                decided = classify_then(article)
                old = Recorded(decided.categories,
                               f"{decided.ruleset.name}@{decided.ruleset.version}")
            else:
                old = (recorded["input"].get((rec.partition, rec.offset))
                       or recorded["content"].get((article.id, article.content_hash)))
            then = list(old.categories) if old is not None else None
            result.rows.append(Row(
                article_id=article.id, title=article.title, url=article.url,
                source=article.source,
                published_at=article.published_at.isoformat() if article.published_at else None,
                partition=rec.partition, offset=rec.offset, then=then,
                now=list(now.categories),
                then_ruleset=old.ruleset if old else None,
                now_rules=sorted({m.rule_id for m in now.matches}),
                now_severity=now.severity,
                change=_classify_change(then, list(now.categories)),
            ))
        return result
    finally:
        consumer.close()


def _ticker(plan: WindowPlan, on_progress: Callable[[int, int], None] | None
            ) -> Callable[[], None]:
    """Counts records read and reports (done, total) to the progress bar, if any."""
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if on_progress:
            on_progress(done, plan.total)

    return tick


def judged_versions(settings: Settings, wanted: dict[str, str],
                    on_progress: Callable[[int, int], None] | None = None,
                    ) -> dict[str, Article]:
    """The articles officers judged, from all the articles topic retains: per article id the
    version with the given content hash, or the latest one if that version is gone (the
    caller can tell by the hash). Records are picked by key before they are decoded, so a
    long history reads quickly."""
    topics = Topics.from_settings(settings)
    consumer = history_consumer(settings)
    found: dict[str, Article] = {}
    try:
        plan = plan_window(consumer, topics.articles, None, None)
        for rec in read_window(consumer, plan, on_record=_ticker(plan, on_progress)):
            key = rec.key.decode("utf-8", "replace") if rec.key else ""
            if key not in wanted:
                continue
            try:
                article = decode_as(Article, rec.value)
            except DecodeError:
                continue
            have = found.get(article.id)
            if have is None or have.content_hash != wanted[article.id]:
                found[article.id] = article
        return found
    finally:
        consumer.close()


# -- reports ------------------------------------------------------------------------------

def _row_dict(row: Row) -> dict:
    data = asdict(row)
    data["gained"] = row.gained
    data["lost"] = row.lost
    return data


def write_report(result: ReplayResult, path: Path) -> str:
    """Write the full result; the format follows the extension (.jsonl, .csv, .html)."""
    suffix = path.suffix.lower()
    writers = {".jsonl": _jsonl, ".json": _jsonl, ".csv": _csv, ".html": _html, ".htm": _html}
    if suffix not in writers:
        raise InputError(f"unknown report format {suffix or '(none)'} for {path}",
                         fix="name the report .jsonl, .csv or .html")
    text = writers[suffix](result)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return suffix.lstrip(".")


def _window_text(result: ReplayResult) -> str:
    plan = result.plan
    since, until = from_ms(plan.since_ms), from_ms(plan.until_ms)
    return (f"{plan.topic} from {since.isoformat() if since else 'the start'} "
            f"to {until.isoformat() if until else 'the end'}")


def _jsonl(result: ReplayResult) -> str:
    out = io.StringIO()
    head = {"type": "summary", "then": result.then_label, "now": result.now_label,
            "articles": len(result.rows), "changed": len(result.changed),
            "undecided_then": result.undecided_then,
            "lost_to_retention": (result.plan.lost_to_retention.describe()
                                  if result.plan.lost_to_retention else None),
            "categories": [asdict(s) for s in result.summary()]}
    out.write(json.dumps(head, ensure_ascii=False) + "\n")
    for row in result.rows:
        out.write(json.dumps({"type": "article", **_row_dict(row)}, ensure_ascii=False) + "\n")
    return out.getvalue()


CSV_FIELDS = ["article_id", "change", "then", "now", "now_severity", "gained", "lost",
              "then_ruleset",
              "now_rules", "title", "url", "source", "published_at", "partition", "offset"]


def _csv(result: ReplayResult) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    for row in result.rows:
        data = _row_dict(row)
        for key in ("then", "now", "gained", "lost", "now_rules"):
            data[key] = "" if data[key] is None else ";".join(data[key])
        # A cell starting with = + - @ would run as a formula in a spreadsheet.
        for key in ("title", "url", "source"):
            if data[key] and data[key][0] in "=+-@\t\r":
                data[key] = "'" + data[key]
        writer.writerow(data)
    return out.getvalue()


def _html(result: ReplayResult) -> str:
    e = html.escape
    summary_rows = "".join(
        f"<tr><td>{e(s.category)}</td><td>{s.articles}</td><td>{s.matched_then}</td>"
        f"<td>{s.matched_now}</td><td class=gain>{s.newly_caught}</td>"
        f"<td class=loss>{s.no_longer_caught}</td></tr>" for s in result.summary())
    rows = "".join(
        f"<tr class={e(r.change)}><td>{e(r.change)}</td><td><code>{e(r.article_id)}</code></td>"
        f"<td>{e(', '.join(r.then) if r.then is not None else '(no decision)')}</td>"
        f"<td>{e(', '.join(r.now))}</td><td>{e(r.title)}</td><td>{e(r.source)}</td>"
        f"<td>{e(r.published_at or '')}</td><td>{e(', '.join(r.now_rules))}</td></tr>"
        for r in result.changed)
    lost = (f"<p class=warn>The window starts before what retention kept: "
            f"{e(result.plan.lost_to_retention.describe())}.</p>"
            if result.plan.lost_to_retention else "")
    return f"""<!doctype html>
<html lang=en><head><meta charset=utf-8><title>newswatch replay</title>
<style>
body{{font-family:system-ui,sans-serif;margin:2em;color:#222}}
table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:.3em .6em;
text-align:left;vertical-align:top}}th{{background:#f3f3f3}}.gain,.gained{{color:#066}}
.loss,.lost{{color:#a00}}.warn{{color:#a60}}code{{font-size:.9em}}
</style></head><body>
<h1>newswatch replay</h1>
<p>{e(_window_text(result))}: {len(result.rows)} articles; then = {e(result.then_label)},
now = {e(result.now_label)}; {len(result.changed)} changed.</p>{lost}
<h2>Per category</h2>
<table><tr><th>category</th><th>articles</th><th>matched then</th><th>matched now</th>
<th>newly caught</th><th>no longer caught</th></tr>{summary_rows}</table>
<h2>Changed articles</h2>
<table><tr><th>change</th><th>article</th><th>then</th><th>now</th><th>title</th>
<th>source</th><th>published</th><th>rules now</th></tr>{rows}</table>
</body></html>
"""


__all__ = ["Row", "ReplayResult", "CategorySummary", "replay", "write_report",
           "recorded_decisions"]

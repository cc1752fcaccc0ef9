"""`newswatch process`, `newswatch classify`, `newswatch rules check` and `rules test`."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.text import Text

from newswatch.cli.common import (ConfigDirOption, MetricsPortOption, console, err_console,
                                  load_settings, metrics_endpoint, rules_app, shorten)
from newswatch.configfile import ConfigFileError

RulesOption = Annotated[
    Optional[Path],
    typer.Option("--rules", help="Rules file (default: rules.yaml in the config directory).",
                 show_default=False),
]
InputArgument = Annotated[
    Path, typer.Argument(help="A .txt article (id = file name, title = first line) or JSON "
                         'Lines of {"id", "title", "text"}; - reads standard input.',
                         metavar="INPUT", show_default=False),
]


def _rules_path(rules: Path | None, config_dir: Path | None) -> Path:
    return rules if rules is not None else load_settings(config_dir).config_file("rules.yaml")


def _load(rules: Path | None, config_dir: Path | None):
    from processors import load_ruleset
    return load_ruleset(_rules_path(rules, config_dir))


def process(rules: RulesOption = None, config_dir: ConfigDirOption = None,
            group_id: Annotated[str, typer.Option(help="Kafka consumer group.")] =
            "newswatch-processor", metrics_port: MetricsPortOption = None) -> None:
    """Run the processor: classify every article into newswatch.decisions until SIGTERM."""
    import processors.service
    from newswatch.runner import stop_on_signals

    settings = load_settings(config_dir)
    stop = threading.Event()
    stop_on_signals(stop)
    with metrics_endpoint(settings, metrics_port) as metrics:
        stats = processors.service.run(settings, stop, rules_path=rules, group_id=group_id,
                                       metrics=metrics)
    err_console.print(f"processor stopped: {stats.consumed} consumed, {stats.decided} decided "
                      f"({stats.matched} matched), {stats.dead_lettered} dead-lettered, "
                      f"rules versions {', '.join(stats.versions)}", highlight=False)


def classify(input: InputArgument, rules: RulesOption = None,
             config_dir: ConfigDirOption = None) -> None:
    """Classify offline; print one JSON decision a line (nothing is sent anywhere).

    Each line is a newswatch.decision/1 record with the input's id repeated as "id"."""
    from processors import Classifier
    from processors.inputs import read_input

    articles = read_input(input)
    classifier = Classifier(_load(rules, config_dir))
    out = sys.stdout
    for art in articles:
        decision = classifier.classify_text(art.id, art.title, art.text,
                                            published_at=art.published_at)
        record = {"id": art.id, **json.loads(decision.to_json())}
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    out.flush()


@rules_app.command("check")
def rules_check(file: Annotated[Optional[Path], typer.Argument(
        help="Rules file (default: rules.yaml in the config directory).",
        show_default=False)] = None,
        config_dir: ConfigDirOption = None) -> None:
    """Validate a rules file: every problem with file, line and rule id; exit 2 if any."""
    try:
        ruleset = _load(file, config_dir)
    except ConfigFileError as exc:
        for problem in exc.problems:
            err_console.print(Text(str(problem)), soft_wrap=True)
        err_console.print(f"{len(exc.problems)} problem(s)", style="bold red")
        raise typer.Exit(2) from None
    console.print(Text(f"ok: {ruleset.path}: {ruleset.describe()}"))


@rules_app.command("test")
def rules_test(input: InputArgument, rules: RulesOption = None,
               config_dir: ConfigDirOption = None) -> None:
    """Show which rules match an article, sentence by sentence (a dry run: prints only)."""
    from processors import Classifier
    from processors.inputs import read_input

    articles = read_input(input)
    ruleset = _load(rules, config_dir)
    classifier = Classifier(ruleset)
    console.print(Text(f"rules: {ruleset.describe()}", style="dim"))
    for art in articles:
        verdict = classifier.explain([("title", art.title), ("text", art.text)])
        header = Text()
        header.append(f"\n{art.id}", style="bold")
        header.append(f"  {shorten(art.title, 100)}\n")
        cats = ", ".join(verdict.categories) or "no category"
        header.append(f"=> {cats}", style="bold green" if verdict.categories else "bold")
        header.append(f"  severity {verdict.severity}  score {verdict.score:g}\n")
        for name, spec in ruleset.spec.categories.items():
            points = verdict.category_points.get(name, 0.0)
            mark = "raised" if name in verdict.categories else "-"
            header.append(f"   {name:<12} {points:6.2f} / threshold {spec.threshold:g}  {mark}\n",
                          style="" if name in verdict.categories else "dim")
        console.print(header, end="")
        by_sentence: dict[tuple[str, str], list] = {}
        for m in verdict.matches:
            by_sentence.setdefault((m.field, m.sentence), []).append(m)
        for (field, sentence), matches in by_sentence.items():
            line = Text()
            line.append(f"  [{field}] ", style="dim")
            body = Text(sentence)
            for m in matches:
                start = 0
                while (pos := sentence.find(m.text, start)) >= 0:
                    body.stylize("bold reverse", pos, pos + len(m.text))
                    start = pos + len(m.text)
            line.append_text(body)
            console.print(line, soft_wrap=True)
            for m in matches:
                points = verdict.rule_points.get(m.rule_id, 0.0)
                console.print(Text(f"      {m.rule_id} ({m.category}, rule total "
                                   f"{points:+g}): {m.text!r} @{m.start}-{m.end}",
                                   style="cyan"))
        if not verdict.matches:
            console.print(Text("  no matches", style="dim"))


def register(app: typer.Typer) -> None:
    app.command("process")(process)
    app.command("classify")(classify)

"""`newswatch eval LABELS DECISIONS`: how decisions compare with an officer's labels."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table
from rich.text import Text

from newswatch.cli.common import console


def eval_command(
        labels: Annotated[list[Path], typer.Argument(
            help="Labels: JSON Lines or YAML items with id, labels, optional language and "
                 "split (several files may be given before DECISIONS).",
            metavar="LABELS", show_default=False)],
        decisions: Annotated[Path, typer.Argument(
            help="Decisions: JSON Lines as `newswatch classify` prints them.",
            metavar="DECISIONS", show_default=False)],
        split: Annotated[Optional[str], typer.Option(
            help="Only labelled items of this split (dev, heldout).")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")]
        = False,
        max_shown: Annotated[int, typer.Option(
            "--max-disagreements", help="How many disagreements to list.")] = 200,
) -> None:
    """Precision, recall and F1 per category and per language, then every disagreement
    with the rules that fired and where (or "nothing fired")."""
    from processors.evaluation import evaluate, load_gold, load_predicted

    report = evaluate(load_gold(labels, split), load_predicted(decisions))
    if as_json:
        console.print_json(json.dumps(report.as_dict(), ensure_ascii=False))
        return
    table = Table(title=f"{report.sizes.get('all', 0)} labelled articles"
                  + (f" (split {split})" if split else ""), title_justify="left")
    table.add_column("group")
    table.add_column("n", justify="right")
    for cat in report.categories:
        table.add_column(f"{cat} P / R / F1", justify="right")
    table.add_column("macro-F1", justify="right")
    for group, cats in report.groups.items():
        table.add_row(group, str(report.sizes[group]),
                      *(f"{s.precision:.2f} / {s.recall:.2f} / {s.f1:.2f}"
                        for s in cats.values()),
                      f"{report.macro_f1(group):.3f}")
    console.print(table)
    if report.missing:
        console.print(Text(f"{len(report.missing)} labelled article(s) have no decision: "
                           + ", ".join(report.missing[:20]), style="yellow"))
    if not report.disagreements:
        console.print("no disagreements")
        return
    console.print(Text(f"\n{len(report.disagreements)} disagreement(s):", style="bold"))
    for gold, got in report.disagreements[:max_shown]:
        line = Text()
        line.append(f"{gold.id}", style="bold")
        if gold.language:
            line.append(f" [{gold.language}]")
        line.append(f"  labels {sorted(gold.labels) or 'none'}  got "
                    f"{sorted(got.categories) or 'none'}")
        console.print(line)
        if not got.evidence:
            console.print(Text("    nothing fired", style="dim"))
        for rule_id, where in got.evidence:
            console.print(Text(f"    {rule_id}: {where}" if where else f"    {rule_id}",
                               style="cyan"), soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command("eval")(eval_command)

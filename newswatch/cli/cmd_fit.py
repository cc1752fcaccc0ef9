"""`newswatch rules fit LABELS...`: fit a rules file's numbers to labelled articles."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table
from rich.text import Text

from newswatch.cli.common import ConfigDirOption, console, load_settings, rules_app
from newswatch.errors import InputError


@rules_app.command("fit")
def fit_command(
        labels: Annotated[list[Path], typer.Argument(
            help="Labelled articles with their text: YAML or JSON Lines items with id, "
                 "labels, language, title, text (the paraphrased cases in "
                 "tests/devset/cases/ are such files).",
            metavar="LABELS...", show_default=False)],
        rules: Annotated[Optional[Path], typer.Option(
            "--rules", help="Rules file to start from (default: rules.yaml in the config "
                            "directory).", show_default=False)] = None,
        out: Annotated[Optional[Path], typer.Option(
            "--out", help="Write the fitted copy here (without it, only print what would "
                          "change). The original file is never written.",
            show_default=False, metavar="FILE")] = None,
        check: Annotated[Optional[list[Path]], typer.Option(
            "--check", help="Labelled articles to report on without fitting to them (say a "
                            "held-out part); may be repeated.", show_default=False,
            metavar="FILE")] = None,
        what: Annotated[str, typer.Option(
            "--fit", help="Which numbers: any of weights, thresholds, scores.")]
        = "weights,thresholds,scores",
        min_gain: Annotated[float, typer.Option(
            help="Keep a change only when the objective rises by at least this much.")]
        = 0.002,
        config_dir: ConfigDirOption = None,
) -> None:
    """Fit position weights, category thresholds and rule scores to labelled articles.

    A dry run unless --out is given: prints each number it would change, before and after,
    and the figures then and now (on --check files too)."""
    from processors import Classifier, load_ruleset
    from processors.fitting import GROUPS, fit, model_of
    from processors.rules.edit import format_number, set_numbers

    path = rules if rules is not None else load_settings(config_dir).config_file("rules.yaml")
    groups = [g.strip() for g in what.split(",") if g.strip()]
    bad = [g for g in groups if g not in GROUPS]
    if bad or not groups:
        raise InputError(f"--fit {what!r}: unknown {', '.join(bad) or 'empty list'}",
                         fix=f"use a comma separated subset of {', '.join(GROUPS)}")
    if out is not None and out.resolve() == path.resolve():
        raise InputError(f"--out {out} is the rules file itself",
                         fix="write the fitted copy to another file and compare them first")
    ruleset = load_ruleset(path)
    classifier = Classifier(ruleset)
    model, numbers = model_of(ruleset.spec)
    train = _labelled(classifier, model, numbers, labels)
    held = _labelled(classifier, model, numbers, check or [])
    result = fit(model, numbers, [t.example for t in train], groups=groups,
                 min_gain=min_gain)
    changes = numbers.changes(result.after)
    console.print(Text(f"{len(train)} labelled articles to fit on"
                       + (f", {len(held)} to check" if held else "")
                       + f"; fitting {', '.join(groups)}", style="dim"))
    _figures("fitted on", model, result.before, result.after, [t.example for t in train])
    if held:
        _figures("checked on", model, result.before, result.after, [t.example for t in held])
    if not changes:
        console.print("no change gains enough: the numbers stay as they are")
        return
    console.print(Text(f"{len(changes)} number(s) change:", style="bold"))
    for name, was, now in changes:
        console.print(Text(f"  {name}: {format_number(was)} -> {format_number(now)}"))
    if out is None:
        console.print(Text("dry run: nothing written (give --out FILE to write a copy)",
                           style="dim"))
        return
    text = set_numbers(ruleset.text, {name: now for name, _was, now in changes},
                       source=str(path))
    out.write_text(text, encoding="utf-8")
    fitted = Classifier(load_ruleset(out))  # refuses the copy if it does not load
    mismatched = [t.example.id for t in train + held
                  if _categories(fitted, t.fields) != model.decide(result.after, t.example)]
    if mismatched:
        raise InputError(f"{out}: the written copy decides {len(mismatched)} article(s) "
                         f"otherwise than the fit ({', '.join(mismatched[:5])})",
                         fix="report this; the fitted copy should not be used")
    console.print(f"wrote {out}: {len(changes)} number(s) changed, comments kept; check it "
                  f"with `newswatch rules diff` before using it", highlight=False)


@dataclass(frozen=True)
class _Labelled:
    example: "Example"
    fields: list[tuple[str, str]]


def _categories(classifier, fields: list[tuple[str, str]]) -> frozenset[str]:
    return frozenset(classifier.explain(fields).categories)


def _labelled(classifier, model, numbers, paths: list[Path]) -> list[_Labelled]:
    """Each labelled article classified once, with where its rules hit. The fit's own
    re-scoring must agree with the classifier on every one of them before it starts."""
    from processors.evaluation import read_records
    from processors.fitting import Example

    out: list[_Labelled] = []
    seen: set[str] = set()
    for path in paths:
        for number, item in enumerate(read_records(path), 1):
            ident = str(item.get("id", ""))
            text = item.get("text")
            if not ident or not isinstance(item.get("labels", []), list):
                raise InputError(f"{path}: item {number}: expected an id and a list of labels")
            if not isinstance(text, str) or not text.strip():
                raise InputError(f"{path}: item {ident}: no article text",
                                 fix="fit on files that carry title and text, such as the "
                                     "paraphrased cases (the real-article set keeps none)")
            if ident in seen:
                raise InputError(f"{path}: duplicate id {ident!r}")
            seen.add(ident)
            fields = [("title", str(item.get("title") or "")), ("text", text)]
            verdict = classifier.explain(fields)
            example = Example(ident, frozenset(item.get("labels") or ()),
                              str(item.get("language", "")), verdict.positions)
            if model.decide(numbers, example) != frozenset(verdict.categories):
                raise InputError(f"{path}: item {ident}: the fit cannot reproduce the "
                                 "classifier's decision",
                                 fix="report this with the rules file; fitting would be wrong")
            out.append(_Labelled(example, fields))
    return out


def _figures(what: str, model, before, after, examples) -> None:
    then, now = model.report(before, examples), model.report(after, examples)
    table = Table(title=f"{what} {len(examples)} articles: F1 before -> after",
                  title_justify="left")
    table.add_column("group")
    table.add_column("n", justify="right")
    for cat in then.categories:
        table.add_column(cat, justify="right")
    table.add_column("macro-F1", justify="right")
    for group in then.groups:
        table.add_row(group, str(then.sizes[group]),
                      *(f"{then.groups[group][c].f1:.2f} -> {now.groups[group][c].f1:.2f}"
                        for c in then.categories),
                      f"{then.macro_f1(group):.3f} -> {now.macro_f1(group):.3f}")
    console.print(table)


def register(app: typer.Typer) -> None:
    """`rules fit` registers on the shared rules sub-app at import."""

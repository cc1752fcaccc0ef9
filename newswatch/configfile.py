"""Load a YAML config file into a frozen pydantic model, with errors that name the line.

Every config file (feeds, rules, alerts) goes through `load_model`. A problem is reported as
`config/rules.yaml:42: rules[3] (id=gsomia-threat).severity: Input should be 'low', ...`,
all problems at once, with the fix where one can be said. Duplicate keys are errors (YAML
would silently keep the last one).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from newswatch.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    where: str
    message: str
    fix: str | None = None

    def __str__(self) -> str:
        loc = f"{self.file}:{self.line}" if self.line else self.file
        text = f"{loc}: {self.where}: {self.message}" if self.where else f"{loc}: {self.message}"
        return f"{text} (fix: {self.fix})" if self.fix else text


class ConfigFileError(ConfigError):
    """All problems found in one config file."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


_FIXES = {
    "missing": "add this key",
    "extra_forbidden": "remove it, or check its spelling",
    "string_type": "quote the value as a string",
    "int_parsing": "use a whole number",
    "float_parsing": "use a number",
    "bool_parsing": "use true or false",
    "url_parsing": "use a full http(s):// URL",
    "list_type": "use a YAML list (lines starting with '- ')",
    "dict_type": "use a mapping (key: value lines)",
}


def _index_lines(node: yaml.Node, path: tuple, out: dict[tuple, int], dupes: list) -> None:
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                dupes.append((key_node.start_mark.line + 1, path + (key,)))
            seen.add(key)
            out[path + (key,)] = key_node.start_mark.line + 1
            _index_lines(value_node, path + (key,), out, dupes)
            out[path + (key,)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index_lines(item, path + (i,), out, dupes)


def _describe(path: tuple, data: Any) -> str:
    """`rules[3] (id=gsomia-threat).severity`: list items are named by their id when they have one."""
    parts: list[str] = []
    cursor = data
    for step in path:
        if isinstance(step, int):
            label = f"[{step}]"
            item = cursor[step] if isinstance(cursor, list) and step < len(cursor) else None
            if isinstance(item, dict) and isinstance(item.get("id"), (str, int)):
                label += f" (id={item['id']})"
            parts.append(label)
            cursor = item
        else:
            parts.append(("." if parts else "") + str(step))
            cursor = cursor.get(step) if isinstance(cursor, dict) else None
    return "".join(parts)


def _line_for(path: tuple, lines: dict[tuple, int]) -> int | None:
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get(())


def parse_yaml(path: Path, text: str | None = None) -> tuple[Any, dict[tuple, int]]:
    """YAML data plus a map from key path to line number."""
    name = str(path)
    if text is None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigFileError([Problem(name, None, "", "file not found",
                                           "create it or pass the right --config-dir")]) from None
        except UnicodeDecodeError as exc:
            raise ConfigFileError([Problem(name, None, "", f"not UTF-8 ({exc.reason})",
                                           "save the file as UTF-8")]) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise ConfigFileError([Problem(name, line, "", f"invalid YAML: {exc.problem}",
                                       "check indentation, colons and quotes on that line")]) from None
    lines: dict[tuple, int] = {}
    dupes: list = []
    if node is not None:
        _index_lines(node, (), lines, dupes)
    if dupes:
        raise ConfigFileError([Problem(name, line, _describe(p, data), "duplicate key",
                                       "keep one of them") for line, p in dupes])
    return data, lines


def validate(path: Path, data: Any, lines: dict[tuple, int], model: type[M],
             context: dict[str, Any] | None = None) -> M:
    try:
        return model.model_validate(data if data is not None else {}, context=context)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            message = err["msg"]
            if message.startswith("Value error, "):
                message = message[len("Value error, "):]
            fix = (err.get("ctx") or {}).get("fix") or _FIXES.get(err["type"])
            if err["type"] in ("literal_error", "enum"):
                message, fix = _not_one_of(err, message, fix)
            problems.append(Problem(str(path), _line_for(loc, lines), _describe(loc, data),
                                    message, fix))
        raise ConfigFileError(problems) from None


def _not_one_of(err: dict, message: str, fix: str | None) -> tuple[str, str | None]:
    """"severity: 'meduim' is not one of 'low', 'medium', ...; did you mean 'medium'?"."""
    expected = str((err.get("ctx") or {}).get("expected", ""))
    options = re.findall(r"'([^']*)'", expected)
    value = err.get("input")
    if not options or not isinstance(value, str):
        return message, fix
    message = f"{value!r} is not one of {expected}"
    close = difflib.get_close_matches(value.lower(), options, n=1, cutoff=0.6)
    if close:
        return f"{message}; did you mean {close[0]!r}?", f"write {close[0]!r}"
    return message, fix


def suggest(name: str, known: list[str] | set[str]) -> str | None:
    """The known name closest to a misspelt one, if any is close."""
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.7)
    return close[0] if close else None


def load_model(path: Path, model: type[M], context: dict[str, Any] | None = None) -> M:
    """Read, parse and validate one config file; raise ConfigFileError listing every problem."""
    data, lines = parse_yaml(path)
    return validate(path, data, lines, model, context)

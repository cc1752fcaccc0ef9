"""Offline input for `classify` and `rules test`: a .txt article or JSON Lines.

A .txt file is one article: id = the file name without extension, title = the first
non-empty line, text = the rest. A first line starting with `date YYYY-MM-DD ` (the seed
format) gives the publication date, and the rest of that line is the title.
JSON Lines: one object per line with "id", "title" and "text" (title may be missing; other
keys are ignored). A bad line is an InputError naming the line, raised before any output.
`-` reads standard input: JSON Lines when its first non-blank character is `{`, else one
.txt article with the id `stdin` (so an article can be piped in without a file).
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from newswatch.errors import InputError

_DATE = re.compile(r"^date (\d{4}-\d{2}-\d{2})\s+")


@dataclass(frozen=True)
class TextArticle:
    id: str
    title: str
    text: str
    published_at: datetime | None = None


def read_utf8(path: Path) -> str:
    """A file's text, or an InputError that names the file and the fix."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 ({exc.reason})", fix="save it as UTF-8") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None


def parse_txt(path: Path, content: str) -> TextArticle:
    lines = content.strip().splitlines()
    first = lines[0].strip() if lines else ""
    published = None
    m = _DATE.match(first)
    if m:
        try:
            published = datetime.strptime(m.group(1), "%Y-%m-%d").replace(tzinfo=timezone.utc)
            first = first[m.end():]
        except ValueError:
            pass
    return TextArticle(id=path.stem, title=first, text="\n".join(lines[1:]).strip(),
                       published_at=published)


def json_objects(path: Path, content: str, fix: str | None = None):
    """(line number, object) for each non-blank line of JSON Lines; an InputError naming the
    line for one that is not a JSON object."""
    for number, line in enumerate(content.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{number}: not JSON ({exc.msg})", fix=fix) from None
        yield number, obj


def parse_jsonl(path: Path, content: str) -> list[TextArticle]:
    out = []
    for number, obj in json_objects(
            path, content, fix='one object a line: {"id": ..., "title": ..., "text": ...}'):
        if not isinstance(obj, dict) or not isinstance(obj.get("id"), (str, int)) \
                or not isinstance(obj.get("text", ""), str) \
                or not isinstance(obj.get("title", ""), str):
            raise InputError(f"{path}:{number}: expected an object with string \"id\", "
                             "\"title\" and \"text\"")
        out.append(TextArticle(id=str(obj["id"]), title=obj.get("title") or "",
                               text=obj.get("text") or ""))
    return out


STDIN = "-"


def read_stdin(stream=None) -> list[TextArticle]:
    """Articles piped in on standard input (see the module docstring)."""
    raw = (stream if stream is not None else sys.stdin.buffer).read()
    try:
        content = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"standard input: not UTF-8 ({exc.reason} at byte {exc.start})",
                         fix="pipe UTF-8 text") from None
    content = content.lstrip("\ufeff")
    if not content.strip():
        raise InputError("standard input: empty",
                         fix='pipe one article (title on the first line) or JSON Lines')
    name = Path("<stdin>.jsonl")
    if content.lstrip().startswith("{"):
        articles = parse_jsonl(name, content)
    else:
        articles = [parse_txt(Path("stdin"), content)]
    return articles


def read_input(path: Path) -> list[TextArticle]:
    """Articles from a .txt file or a JSON Lines file (.jsonl, .json, .ndjson), or from
    standard input when the path is `-`."""
    if str(path) == STDIN:
        return read_stdin()
    content = read_utf8(path)
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        return parse_jsonl(path, content)
    if path.suffix.lower() in (".txt", ".text", ".md", ""):
        return [parse_txt(path, content)]
    raise InputError(f"{path}: unknown input type {path.suffix!r}",
                     fix="give a .txt article or a .jsonl file")

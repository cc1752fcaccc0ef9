"""The real-article development set: metadata kept, text never kept.

Real published articles are looked up in an offline index of published news pages; their
text must not be kept anywhere. So the set in tests/devset/real/ holds metadata only (url,
source, date, language, labels, a rationale in our own words, the query that finds the page
again), and an excerpt is evaluated by piping it straight into this tool, which keeps the decisions
alone (categories, severity, score, rule ids: no matched text, no sentence).

    python -m bench.realset add --prefix en-a [--systems before,baseline] < blocks
    python -m bench.realset decide --systems commit:REV[,baseline] [--split dev] < blocks
    python -m bench.realset queries [--split dev] [--language ko]
    python -m bench.realset status

`add` input: blocks, each a line `@@@ {metadata JSON}` followed by the excerpt. Metadata
keys: url, source, date (YYYY-MM-DD or null), language (en|ko|ja), labels, hard_negative,
rationale, query, rank, classes (failure classes of the issue it exercises, optional). The
tool refuses a URL already in the set, gives the item an id and a split (by a hash of the
URL: about 55% dev, 45% heldout), appends it to tests/devset/real/<prefix>.jsonl and
records each system's decision in tests/devset/real/decisions/<system>.jsonl.

`decide` input: blocks `@@@ {"id": ..., "url": ...}` + excerpt, for items already in the
set (the URL must match): records the decisions of more systems (say the final rules). It
refuses items of another split than --split (default dev), so that the held-out part is
only decided when that is meant.

`queries` lists the stored queries with the items each one brings back, to find the
excerpts again.

Systems: `baseline` (bench.baseline), `before` (the code and rules of commit BEFORE),
`commit:REV` (the code and rules of any commit, run from a copy of it; recorded as
`commit-REV`), `rules` (this tree's classifier with --rules, default config/rules.yaml).

Title: the excerpt's first non-empty line is the title when it is at most 160 characters
and more text follows (a leading `date YYYY-MM-DD` is dropped), else the title is empty.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import re
import subprocess
import sys
import tarfile
import io
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "tests" / "devset" / "real"
DECISIONS = REAL / "decisions"
CASES = ROOT / "tests" / "devset" / "cases"
BEFORE = "ccd9c23"  # main before the real-article work began
CATEGORIES = ("cooperation", "dispute", "drills")
LANGUAGES = ("en", "ko", "ja")
_DATE = re.compile(r"^\s*date \d{4}-\d{2}-\d{2}\s*")
SPLITS = ("dev", "heldout", "heldout2", "heldout3", "heldout4", "heldout5",
          "heldout6", "heldout7", "heldout8", "heldout9", "heldout10", "heldout11", "heldout12",
          "heldout13")
# held-out batches collected whole, each after a rule change
FRESH = ("heldout2", "heldout3", "heldout4", "heldout5", "heldout6", "heldout7", "heldout8",
         "heldout9", "heldout10", "heldout11", "heldout12", "heldout13")
_KEYS = {"url", "source", "date", "language", "labels", "hard_negative", "rationale", "query",
         "rank", "classes"}


def split_of(url: str) -> str:
    return "dev" if int(hashlib.sha256(url.encode()).hexdigest()[:4], 16) % 100 < 55 \
        else "heldout"


def title_and_text(excerpt: str) -> tuple[str, str]:
    lines = [ln for ln in excerpt.strip().splitlines()]
    if not lines:
        return "", ""
    first = _DATE.sub("", lines[0]).strip()
    rest = "\n".join(lines[1:]).strip()
    if rest and len(first) <= 160:
        return first, rest
    return "", _DATE.sub("", excerpt.strip())


def read_blocks(text: str) -> list[tuple[dict, str]]:
    blocks: list[tuple[dict, list[str]]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("@@@"):
            try:
                meta = json.loads(line[3:])
            except json.JSONDecodeError as exc:
                raise SystemExit(f"line {number}: metadata is not JSON ({exc.msg})")
            blocks.append((meta, []))
        elif blocks:
            blocks[-1][1].append(line)
        elif line.strip():
            raise SystemExit(f"line {number}: text before the first @@@ line")
    return [(meta, "\n".join(body).strip()) for meta, body in blocks]


@contextmanager
def locked():
    REAL.mkdir(parents=True, exist_ok=True)
    with open(REAL / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def load_items() -> dict[str, dict]:
    items: dict[str, dict] = {}
    for path in sorted(REAL.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                items[item["id"]] = item
    return items


class Systems:
    """Classifies (title, text) under the named systems; slim decisions out."""

    def __init__(self, names: list[str], rules: Path | None) -> None:
        self.names = names
        self.rules = rules
        self._clf = None

    def decide(self, pairs: list[tuple[str, str, str]]) -> dict[str, dict[str, dict]]:
        """{system: {id: slim decision}} for (id, title, text) triples."""
        out: dict[str, dict[str, dict]] = {}
        for name in self.names:
            if name == "baseline":
                from bench.baseline import classify
                out[name] = {i: {"id": i, "categories": list(classify(t, x)), "rules": []}
                             for i, t, x in pairs}
            elif name == "before":
                out[name] = _at_commit(BEFORE, pairs)
            elif name.startswith("commit:"):
                out[f"commit-{name[7:]}"] = _at_commit(name[7:], pairs)
            else:
                out[name] = self._rules(pairs)
        return out

    def _rules(self, pairs):
        if self._clf is None:
            sys.path.insert(0, str(ROOT))
            from processors import Classifier, load_ruleset
            self._clf = Classifier(load_ruleset(self.rules or ROOT / "config" / "rules.yaml"))
        result = {}
        for ident, title, text in pairs:
            d = self._clf.classify_text(ident, title, text)
            result[ident] = slim(ident, json.loads(d.to_json()))
        return result


def slim(ident: str, decision: dict) -> dict:
    """A decision without any article text: categories, severity, score, rule ids."""
    rules = sorted({f"{m['rule_id']}@{m['field']}" for m in decision.get("matches", [])})
    return {"id": ident, "ruleset": decision.get("ruleset", {}).get("version"),
            "categories": decision.get("categories", []), "severity": decision.get("severity"),
            "score": decision.get("score"), "rules": rules}


def _at_commit(rev: str, pairs):
    """Decisions of a commit: its own code and rules, from an archive of that commit."""
    tree = ROOT / ".newswatch" / f"before-{rev}"
    if not (tree / "processors").is_dir():
        tree.mkdir(parents=True, exist_ok=True)
        data = subprocess.run(["git", "-C", str(ROOT), "archive", rev], check=True,
                              capture_output=True).stdout
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            tar.extractall(tree, filter="data")
    lines = "".join(json.dumps({"id": i, "title": t, "text": x}, ensure_ascii=False) + "\n"
                    for i, t, x in pairs)
    proc = subprocess.run([sys.executable, "-c", _BEFORE_RUN], input=lines, text=True,
                          capture_output=True, cwd=tree,
                          env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"})
    if proc.returncode != 0:
        raise SystemExit(f"commit {rev}: {proc.stderr.strip()[-500:]}")
    return {d["id"]: slim(d["id"], d) for d in map(json.loads, proc.stdout.splitlines())}


_BEFORE_RUN = """
import json, sys
import processors
assert processors.__file__.startswith(sys.path[1]) or 'before-' in processors.__file__, processors.__file__
from processors import Classifier, load_ruleset
clf = Classifier(load_ruleset('config/rules.yaml'))
for line in sys.stdin:
    a = json.loads(line)
    d = json.loads(clf.classify_text(a['id'], a['title'], a['text']).to_json())
    d['id'] = a['id']
    print(json.dumps(d, ensure_ascii=False))
"""


def record(decisions: dict[str, dict[str, dict]]) -> None:
    DECISIONS.mkdir(parents=True, exist_ok=True)
    for system, by_id in decisions.items():
        path = DECISIONS / f"{system}.jsonl"
        old = {}
        if path.exists():
            old = {d["id"]: d for d in map(json.loads, path.read_text().splitlines()) if d}
        old.update(by_id)
        path.write_text("".join(json.dumps(old[k], ensure_ascii=False) + "\n"
                                for k in sorted(old)), encoding="utf-8")


def check_meta(meta: dict) -> None:
    unknown = set(meta) - _KEYS
    if unknown:
        raise SystemExit(f"unknown metadata keys {sorted(unknown)}; valid: {sorted(_KEYS)}")
    for key in ("url", "source", "language", "labels", "rationale", "query"):
        if key not in meta:
            raise SystemExit(f"metadata lacks {key!r}: {meta}")
    if meta["language"] not in LANGUAGES:
        raise SystemExit(f"language must be one of {LANGUAGES}: {meta}")
    bad = set(meta["labels"]) - set(CATEGORIES)
    if bad:
        raise SystemExit(f"unknown labels {sorted(bad)}; valid: {CATEGORIES}")
    if "drills" in meta["labels"] and "cooperation" not in meta["labels"]:
        raise SystemExit("a drills article is also cooperation (TAXONOMY.md): add it")


def add(args) -> int:
    blocks = read_blocks(sys.stdin.read())
    for meta, _ in blocks:
        check_meta(meta)
    with locked():
        items = load_items()
        urls = {it["url"]: it["id"] for it in items.values()}
        path = REAL / f"{args.prefix}.jsonl"
        n = sum(1 for i in items if i.startswith(args.prefix + "-"))
        new, pairs = [], []
        for meta, excerpt in blocks:
            if meta["url"] in urls:
                print(f"skip: {meta['url']} is already {urls[meta['url']]}")
                continue
            n += 1
            ident = f"{args.prefix}-{n:03d}"
            item = {"id": ident, "split": args.split or split_of(meta["url"]), **meta,
                    "labels": sorted(meta["labels"]),
                    "hard_negative": bool(meta.get("hard_negative", False))}
            urls[meta["url"]] = ident
            new.append(item)
            title, text = title_and_text(excerpt)
            pairs.append((ident, title, text))
        decided = Systems(args.systems.split(","), args.rules).decide(pairs)
        with path.open("a", encoding="utf-8") as out:
            for item in new:
                out.write(json.dumps(item, ensure_ascii=False) + "\n")
        record(decided)
    for item in new:
        got = "  ".join(f"{s}={decided[s][item['id']]['categories']}" for s in decided)
        print(f"{item['id']} {item['split']} labels={item['labels']}  {got}")
    return 0


def decide(args) -> int:
    blocks = read_blocks(sys.stdin.read())
    with locked():
        items = load_items()
        pairs = []
        cases = _cases()
        overlaps: dict[str, tuple[int, list[int]] | None] = {}
        for meta, excerpt in blocks:
            item = items.get(meta.get("id"))
            if item is None or item["url"] != meta.get("url"):
                print(f"skip: {meta.get('id')} / {meta.get('url')} is not in the set")
                continue
            if args.split != "all" and item["split"] != args.split:
                print(f"skip: {item['id']} is in split {item['split']}, not {args.split}")
                continue
            title, text = title_and_text(excerpt)
            pairs.append((item["id"], title, text))
            overlaps[item["id"]] = case_overlap(cases.get(item["id"]), excerpt)
        decided = Systems(args.systems.split(","), args.rules).decide(pairs)
        record(decided)
        record_overlaps(overlaps)
    for ident, _t, _x in pairs:
        got = "  ".join(f"{s}={decided[s][ident]['categories']}" for s in decided)
        shared = overlaps.get(ident)
        note = "" if shared is None else f"  case overlap {shared[0]} chars"
        print(f"{ident} {items[ident]['split']} labels={items[ident]['labels']}  {got}{note}")
    return 0


def _cases() -> dict[str, dict]:
    import yaml
    out = {}
    for path in sorted(CASES.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            out[str(case["id"])] = case
    return out


def case_overlap(case: dict | None, excerpt: str) -> tuple[int, list[int]] | None:
    """Length of the longest run of characters the item's paraphrased case shares with the
    real excerpt (whitespace folded), and where it stands in the case: a case must be written
    in our own words, so a long shared run means it needs rewording. None without a case."""
    from difflib import SequenceMatcher
    if case is None:
        return None
    mine = " ".join(f"{case.get('title', '')} {case.get('text', '')}".split())
    theirs = " ".join(excerpt.split())
    match = SequenceMatcher(None, mine, theirs, autojunk=False).find_longest_match(
        0, len(mine), 0, len(theirs))
    return match.size, [match.a, match.a + match.size]


def record_overlaps(overlaps: dict[str, tuple[int, list[int]] | None]) -> None:
    """Only numbers are kept (no text), outside the repository: the length of each shared run
    and its offsets in the case."""
    found = {k: v for k, v in overlaps.items() if v is not None}
    path = ROOT / ".newswatch" / "case-overlap.json"
    for target, part in ((path, 0), (path.with_name("case-overlap-spans.json"), 1)):
        old = json.loads(target.read_text()) if target.exists() else {}
        old.update({k: v[part] for k, v in found.items()})
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(old, indent=0, sort_keys=True))


def queries(args) -> int:
    by_query: dict[tuple[str, str], list[dict]] = {}
    for it in load_items().values():
        if args.split != "all" and it["split"] != args.split:
            continue
        if args.language and it["language"] != args.language:
            continue
        by_query.setdefault((it["language"], it["query"]), []).append(
            {"id": it["id"], "url": it["url"], "split": it["split"]})
    for (lang, query), found in sorted(by_query.items()):
        print(json.dumps({"language": lang, "query": query, "items": found},
                         ensure_ascii=False))
    return 0


def status(_args) -> int:
    items = load_items()
    rows: dict[tuple[str, str], list[int]] = {}
    for it in items.values():
        row = rows.setdefault((it["language"], it["split"]), [0, 0, 0, 0, 0])
        row[0] += 1
        row[1] += bool(it.get("hard_negative"))
        for k, cat in enumerate(CATEGORIES):
            row[2 + k] += cat in it["labels"]
    print(f"{'lang':<5}{'split':<9}{'items':>6}{'hardneg':>8}{'coop':>6}{'disp':>6}{'drill':>6}")
    for (lang, split), row in sorted(rows.items()):
        print(f"{lang:<5}{split:<9}" + "".join(f"{v:>6}" if k != 1 else f"{v:>8}"
                                               for k, v in enumerate(row)))
    print(f"total {len(items)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("add")
    p.add_argument("--prefix", required=True)
    p.add_argument("--systems", default="before,baseline")
    p.add_argument("--rules", type=Path)
    p.add_argument("--split", choices=FRESH, default=None,
                   help="put every item in this split (a fresh held-out batch) instead of "
                        "splitting by URL hash")
    p.set_defaults(func=add)
    p = sub.add_parser("decide")
    p.add_argument("--systems", required=True)
    p.add_argument("--rules", type=Path)
    p.add_argument("--split", default="dev", choices=(*SPLITS, "all"))
    p.set_defaults(func=decide)
    p = sub.add_parser("queries")
    p.add_argument("--split", default="dev", choices=(*SPLITS, "all"))
    p.add_argument("--language", choices=LANGUAGES)
    p.set_defaults(func=queries)
    p = sub.add_parser("status")
    p.set_defaults(func=status)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())

"""Joining reports of one event: pair precision and recall, and the cost with many stories.

    python -m bench.bench_events [--pairs tests/devset/events] [--open 10000]

The pairs (tests/devset/events/*.yaml, written here) are two short reports each, labelled
same event or different event, across Korean, Japanese and English. Every report is decided
by the default rules, as the processor would; the event signature of alerts/events.py then
says whether the two are one event. Shown side by side: the title similarity that joined
copies until now (character trigrams, same threshold as alerts.yaml), which cannot see
across scripts. Both parts were looked at while choosing the defaults in alerts.yaml
(overlap of the shorter report's evidence, no day tolerance, 0.5), so the figures are not
those of an unseen set.

Then the volume part: `--open` signatures open in one route's window (built from the
reports' evidence with random days and numbers), and the time of one lookup (p50/p99) and
the index's memory.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import tracemalloc
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from alerts.config import AlertsConfig, load_config  # noqa: E402
from alerts.dedupe import normalize_title, shingles, similarity  # noqa: E402
from alerts.events import EventIndex, Signature, signature  # noqa: E402
from newswatch.messages import Decision  # noqa: E402
from processors import Classifier, load_ruleset  # noqa: E402


@dataclass(frozen=True)
class Pair:
    id: str
    part: str
    same: bool
    kind: str
    a: Decision
    b: Decision


def load_pairs(folder: Path, classifier: Classifier) -> list[Pair]:
    pairs = []
    for path in sorted(folder.glob("*.yaml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")):
            decided = []
            for side in ("a", "b"):
                r = item[side]
                at = datetime.fromisoformat(str(r["published"]).replace("Z", "+00:00"))
                decided.append(classifier.classify_text(
                    f"{item['id']}-{side}", r["title"], r["text"], language=r["language"],
                    source=r["source"], published_at=at, decided_at=at))
            pairs.append(Pair(item["id"], path.stem, bool(item["same"]), item["kind"],
                              *decided))
    return pairs


def sig_of(d: Decision) -> Signature:
    return signature(d.evidence, d.categories, d.published_at or d.decided_at)


def prf(results: list[tuple[bool, bool]]) -> tuple[float, float, int, int]:
    tp = sum(1 for want, got in results if want and got)
    fp = sum(1 for want, got in results if not want and got)
    fn = sum(1 for want, got in results if want and not got)
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, fp, fn


def evaluate(pairs: list[Pair], config: AlertsConfig) -> None:
    ev = config.events
    index = EventIndex(timedelta(hours=ev.window_hours), ev.min_similarity,
                       ev.date_tolerance_days)
    # The set's reports stand for the stories open at once: they give the lists' weights.
    for pair in pairs:
        for d in (pair.a, pair.b):
            if d.categories:
                index.add("all", d.article_id, sig_of(d), d.decided_at)
    unraised = sum(1 for p in pairs for d in (p.a, p.b) if not d.categories)
    print(f"{len(pairs)} pairs ({sum(p.same for p in pairs)} same event), "
          f"{unraised} of {2 * len(pairs)} reports raise no category (never alerted)")
    window = timedelta(hours=ev.window_hours)

    def joined_by_events(p: Pair, threshold: float) -> bool:
        if not (p.a.categories and p.b.categories):
            return False
        sa, sb = sig_of(p.a), sig_of(p.b)
        return abs(sa.at - sb.at) <= window and index.similarity(sa, sb) >= threshold

    def joined_by_title(p: Pair, threshold: float) -> bool:
        a, b = normalize_title(p.a.title), normalize_title(p.b.title)
        return (p.a.categories and p.b.categories and abs(
            sig_of(p.a).at - sig_of(p.b).at) <= window
            and similarity(shingles(a), shingles(b)) >= threshold)

    print(f"\n  {'method':<44} {'part':<8} {'n':>3}  precision  recall   fp  fn")
    for name, fn, threshold in (
            (f"event signature (min_similarity {ev.min_similarity})", joined_by_events,
             ev.min_similarity),
            (f"title similarity >= {config.dedupe.title_similarity}", joined_by_title,
             config.dedupe.title_similarity),
            ("title similarity >= 0.3", joined_by_title, 0.3)):
        for part in sorted({p.part for p in pairs}) + ["all"]:
            chosen = [p for p in pairs if part in ("all", p.part)]
            p_, r_, fp, fn_ = prf([(p.same, bool(fn(p, threshold))) for p in chosen])
            print(f"  {name:<44} {part:<8} {len(chosen):>3}  {p_:9.2f}  {r_:6.2f}  {fp:3d} {fn_:3d}")
    print("\n  by kind (event signature):")
    for kind in sorted({p.kind for p in pairs}):
        chosen = [p for p in pairs if p.kind == kind]
        right = sum(p.same == joined_by_events(p, ev.min_similarity) for p in chosen)
        print(f"    {kind:<16} {right}/{len(chosen)} right")
    print("\n  thresholds (event signature, all pairs):")
    for t in (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7):
        p_, r_, fp, fn_ = prf([(p.same, joined_by_events(p, t)) for p in pairs])
        print(f"    {t:.2f}: precision {p_:.2f} recall {r_:.2f}")
    wrong = [p for p in pairs if p.same != joined_by_events(p, ev.min_similarity)]
    if wrong:
        print("\n  pairs the signature gets wrong:")
        for p in wrong:
            sa, sb = sig_of(p.a), sig_of(p.b)
            print(f"    {p.id} ({p.kind}, same={p.same}): similarity "
                  f"{index.similarity(sa, sb):.2f}, shared {sorted(sa.terms & sb.terms)}, "
                  f"days {sorted(map(str, sa.days))} / {sorted(map(str, sb.days))}")


def volume(pairs: list[Pair], config: AlertsConfig, open_stories: int) -> None:
    ev = config.events
    rng = random.Random(7)
    sigs = [sig_of(d) for p in pairs for d in (p.a, p.b) if d.categories]
    now = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
    window = timedelta(hours=ev.window_hours)
    tracemalloc.start()
    index = EventIndex(window, ev.min_similarity, ev.date_tolerance_days)
    for i in range(open_stories):
        base = rng.choice(sigs)
        at = now - timedelta(seconds=rng.uniform(0, window.total_seconds() * 0.95))
        day = at.date() - timedelta(days=rng.randint(0, 2))
        index.add("route", f"s{i}", Signature(base.terms, base.categories, frozenset({day}),
                                              frozenset({str(rng.randint(10, 999))}), at), at)
    memory = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    times = []
    for _ in range(2000):
        probe = rng.choice(sigs)
        probe = Signature(probe.terms, probe.categories, frozenset({now.date()}),
                          probe.numbers, now)
        start = time.perf_counter()
        index.find("route", probe, now)
        times.append(time.perf_counter() - start)
    times.sort()
    print(f"\nvolume: {len(index)} open stories in one route's window: lookup p50 "
          f"{statistics.median(times) * 1000:.2f} ms, p99 {times[int(len(times) * 0.99)] * 1000:.2f} "
          f"ms; index memory {memory / 2**20:.1f} MiB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=Path, default=ROOT / "tests" / "devset" / "events")
    parser.add_argument("--rules", type=Path, default=ROOT / "config" / "rules.yaml")
    parser.add_argument("--alerts", type=Path, default=ROOT / "config" / "alerts.yaml")
    parser.add_argument("--open", type=int, default=10_000, dest="open_stories")
    args = parser.parse_args(argv)
    classifier = Classifier(load_ruleset(args.rules))
    config = load_config(args.alerts)
    pairs = load_pairs(args.pairs, classifier)
    evaluate(pairs, config)
    volume(pairs, config, args.open_stories)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

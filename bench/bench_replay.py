"""Replay throughput: read + classify + compare over retained history, on one core.

    python -m bench.bench_replay [--articles 50000]

Produces N ~3 KB articles (the processor benchmark's feed mix: by default 20% Korea/Japan
security stories, the rest general news; record timestamps spread over 30 days) and the decisions the
default rules made for them into a fresh topic set on a real broker (the project's launcher
in a temporary directory, or KAFKA_BOOTSTRAP_SERVERS), then times `newswatch.replay.replay`
with the same rules over the whole window — reading articles, reading the recorded
decisions, classifying, comparing — pinned to one core. Target: at least 3,000 articles/s.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_process import make_articles  # noqa: E402
from newswatch.broker.admin import ensure_topics  # noqa: E402
from newswatch.broker.clients import make_producer  # noqa: E402
from newswatch.broker.local import LocalKafka  # noqa: E402
from newswatch.messages import Provenance  # noqa: E402
from newswatch.replay import replay  # noqa: E402
from newswatch.settings import Settings  # noqa: E402
from newswatch.topics import Topics  # noqa: E402
from processors import Classifier, load_ruleset  # noqa: E402

TARGET = 3000.0


def produce_history(settings: Settings, n: int, classifier: Classifier, start: datetime,
                    relevant: float) -> None:
    topics = Topics.from_settings(settings)
    rng = random.Random(7)
    producer = make_producer(settings)
    span_ms = 30 * 24 * 3600 * 1000
    t0 = int(start.timestamp() * 1000)
    batch = 5000
    made = 0
    began = time.perf_counter()
    while made < n:
        articles = make_articles(min(batch, n - made), rng, relevant=relevant)
        futures = []
        for i, art in enumerate(articles):
            art = art.model_copy(update={"id": f"bench-{made + i}"})
            ts = t0 + (made + i) * span_ms // n
            futures.append((art, ts, producer.send(topics.articles, key=art.id.encode(),
                                                   value=art.to_json(), timestamp_ms=ts)))
        producer.flush()
        for art, ts, fut in futures:
            meta = fut.get(30)
            decision = classifier.classify_article(
                art, provenance=Provenance(topic=topics.articles, partition=meta.partition,
                                           offset=meta.offset))
            producer.send(topics.decisions, key=art.id.encode(), value=decision.to_json(),
                          timestamp_ms=ts + 500)
        producer.flush()
        made += len(articles)
        print(f"  produced {made}/{n} articles with decisions "
              f"({time.perf_counter() - began:.0f}s)", flush=True)
    producer.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=50_000)
    parser.add_argument("--relevant", type=float, default=0.2,
                        help="share of Korea/Japan security stories (the processor "
                        "benchmark's feed mix); the rest is general news")
    args = parser.parse_args(argv)

    with LocalKafka.bootstrap_or_temporary(heap_mb=512) as bootstrap:
        settings = Settings.load(kafka_bootstrap_servers=bootstrap,
                                 topic_prefix=f"bench-{uuid.uuid4().hex[:8]}-")
        ensure_topics(settings)
        ruleset = load_ruleset(ROOT / "config" / "rules.yaml")
        classifier = Classifier(ruleset)
        start = datetime(2026, 1, 1, tzinfo=timezone.utc)
        print(f"producing {args.articles} articles of ~3 KB ({args.relevant:.0%} Korea/Japan "
              "security stories) and their decisions ...")
        produce_history(settings, args.articles, classifier, start, args.relevant)

        if hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
        wall0, cpu0 = time.perf_counter(), time.process_time()
        result = replay(settings, start, start + timedelta(days=31),
                        classify_now=Classifier(ruleset).classify_article,
                        now_label=ruleset.version)
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        rate = len(result.rows) / wall
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"\nreplay of {len(result.rows)} articles (read articles + recorded decisions, "
              f"classify, compare) on one core:")
        print(f"  wall {wall:.1f}s, CPU {cpu:.1f}s, {rate:,.0f} articles/s "
              f"(target {TARGET:,.0f}) — {'OK' if rate >= TARGET else 'BELOW TARGET'}")
        print(f"  changed: {len(result.changed)} (same rules: expected 0); "
              f"undecided then: {result.undecided_then}; peak RSS {peak_mb:.0f} MB")
        return 0 if len(result.rows) == args.articles and not result.changed else 1


if __name__ == "__main__":
    sys.exit(main())

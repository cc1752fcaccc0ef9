"""Alerter benchmark: decisions at a steady rate into `newswatch alert`, posts into a fake Slack.

    python -m bench.bench_alert [--rate 50] [--seconds 60] [--matched 0.1] [--channels 8]

Runs the real alerter as a subprocess (SLACK_BOT_TOKEN + NEWSWATCH_SLACK_API_URL pointing at
the fake Slack from tests/fakeslack.py) against a real broker: KAFKA_BOOTSTRAP_SERVERS if
set, otherwise a local broker started by the project's launcher in a temporary directory.

Reports, from decision produced to post received by the fake Slack:
- p50/p99 latency of posts the per-channel throttle did not hold back (target: p99 < 500 ms),
- the throttle waits apart (from the ledger's throttle_wait_ms), and digests,
- the highest number of posts per channel in any 1 s / 10 s / 60 s window against what the
  configured rate allows, and that nothing was lost or posted twice.
Results are also written to bench/results/alert-<time>.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path

from newswatch.broker.admin import ensure_topics
from newswatch.broker.clients import make_producer, send
from newswatch.broker.local import LocalKafka
from newswatch.messages import Alert, Decision, Match, RulesetRef
from newswatch.settings import Settings
from newswatch.topics import Topics
from tests.fakeslack import FakeSlack
from tests.kafkautil import read_topic

ROOT = Path(__file__).resolve().parent.parent
WORDS = ("dokdo takeshima gsomia seoul tokyo defense ministry navy drill trilateral summit "
         "missile warning data sharing export control ruling envoy protest white paper "
         "textbook radar patrol aircraft liancourt islets coast guard exercise freedom edge "
         "pacific alliance minister chiefs talks agreement renewal suspension threat claim "
         "sovereignty ceremony lawmakers visit forced labor compensation fund apology "
         "intelligence pact early warning ballistic launch destroyer aegis submarine "
         "kyodo yonhap nikkei asahi hankyoreh chosun mainichi joongang").split()

PER_SECOND, BURST, MAX_WAIT, MAX_PER_WINDOW, WINDOW, DIGEST_AFTER = 1.0, 3, 3, 20, 60, 10


def config_text(channels: list[str], per_window: int) -> str:
    routes = "\n".join(f'  - {{name: desk-{i}, channel: "{cid}", match: {{tags: [desk-{i}]}}}}'
                       for i, cid in enumerate(channels))
    return (f"routes:\n{routes}\n"
            f"throttle: {{per_second: {PER_SECOND}, burst: {BURST}, max_wait_seconds: "
            f"{MAX_WAIT}, max_per_window: {per_window}, window_seconds: {WINDOW}, "
            f"digest_after_seconds: {DIGEST_AFTER}, digest_max_items: 15}}\n")


def make_decision(i: int, matched: bool, desks: int, rng: random.Random) -> Decision:
    title = " ".join(rng.choice(WORDS) for _ in range(9)) + f" {i}"
    desk = rng.randrange(desks)
    matches = (Match(rule_id="bench-rule", category="dispute", text=title.split()[0],
                     field="title", start=0, end=len(title.split()[0]), sentence=title),)
    return Decision(article_id=f"bench-{i:06d}", title=title,
                    url=f"https://news.example.org/bench/{i}", source="Bench Wire",
                    feed_id="bench", tags=(f"desk-{desk}",),
                    published_at=datetime.now(timezone.utc), content_hash=str(i),
                    ruleset=RulesetRef(name="bench", version="v1"),
                    categories=("dispute",) if matched else (),
                    severity="high" if matched else "none", score=1.0 if matched else 0.0,
                    matches=matches if matched else (), decided_at=datetime.now(timezone.utc))


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def max_in_window(times: list[float], width: float) -> int:
    times = sorted(times)
    best = j = 0
    for i in range(len(times)):
        while times[i] - times[j] >= width:
            j += 1
        best = max(best, i - j + 1)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=50.0, help="decisions per second")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--matched", type=float, default=0.1,
                        help="share of decisions with a category (alert candidates)")
    parser.add_argument("--channels", type=int, default=8)
    parser.add_argument("--per-window", type=int, default=MAX_PER_WINDOW,
                        help="throttle.max_per_window (posts per channel per 60 s before "
                             "digests; shipped default 20)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    broker = contextlib.ExitStack()
    bootstrap = broker.enter_context(LocalKafka.bootstrap_or_temporary())
    tmp = Path(tempfile.mkdtemp(prefix="bench-alert-"))
    channels = [f"C0BENCH{i:03d}" for i in range(args.channels)]
    fake = FakeSlack({cid: f"bench-desk-{i}" for i, cid in enumerate(channels)})
    received: dict[str, float] = {}
    lock = threading.Lock()

    def on_post(message: dict) -> None:
        meta = (message.get("metadata") or {}).get("event_payload") or {}
        with lock:
            received[meta.get("alert_id", "?")] = message["received_at"]

    fake.on_post = on_post
    alerter = None
    try:
        config_dir = tmp / "config"
        config_dir.mkdir()
        (config_dir / "alerts.yaml").write_text(config_text(channels, args.per_window))
        settings = Settings.load(kafka_bootstrap_servers=bootstrap, config_dir=config_dir,
                                 topic_prefix=f"bench{uuid.uuid4().hex[:8]}-",
                                 state_dir=tmp / "state", topic_partitions=6)
        ensure_topics(settings)
        topics = Topics.from_settings(settings)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("NEWSWATCH_", "SLACK_", "KAFKA_"))}
        env.update(KAFKA_BOOTSTRAP_SERVERS=bootstrap, NEWSWATCH_TOPIC_PREFIX=settings.topic_prefix,
                   NEWSWATCH_CONFIG_DIR=str(config_dir), NEWSWATCH_STATE_DIR=str(tmp / "state"),
                   SLACK_BOT_TOKEN=fake.token, NEWSWATCH_SLACK_API_URL=fake.url)
        err = open(tmp / "alerter.err", "w")
        alerter = subprocess.Popen([sys.executable, "-m", "newswatch", "alert"], env=env,
                                   stdout=subprocess.DEVNULL, stderr=err, cwd=ROOT)
        producer = make_producer(settings)

        # Warm up: the alerter has joined its group once a first alert arrives.
        warm = make_decision(999999, True, 1, rng)
        send(producer, topics.decisions, warm.article_id, warm)
        producer.flush()
        deadline = time.monotonic() + 60
        while not fake.posts() and time.monotonic() < deadline:
            if alerter.poll() is not None:
                raise SystemExit(f"alerter exited: {(tmp / 'alerter.err').read_text()}")
            time.sleep(0.05)
        if not fake.posts():
            raise SystemExit("the alerter did not post the warm-up alert within 60 s")
        time.sleep(1.0)  # let the warm-up channel's bucket refill
        warm_ids = set(received)

        total = int(args.rate * args.seconds)
        produced_at: dict[str, float] = {}
        matched_ids: set[str] = set()
        print(f"producing {total} decisions at {args.rate:g}/s for {args.seconds:g}s "
              f"({args.matched:.0%} matched, {args.channels} channels) ...", flush=True)
        start = time.monotonic()
        lag = []
        for i in range(total):
            target = start + i / args.rate
            now = time.monotonic()
            if target > now:
                time.sleep(target - now)
            else:
                lag.append(now - target)
            d = make_decision(i, rng.random() < args.matched, args.channels, rng)
            produced_at[d.article_id] = time.time()
            if d.categories:
                matched_ids.add(d.article_id)
            send(producer, topics.decisions, d.article_id, d)
        producer.flush()
        elapsed = time.monotonic() - start
        print(f"produced in {elapsed:.1f}s (achieved {total / elapsed:.1f}/s)", flush=True)

        # Wait until every matched decision is settled: posted, or held in a posted digest.
        deadline = time.monotonic() + DIGEST_AFTER + 60
        while time.monotonic() < deadline:
            ledger = [r for r in read_topic(settings, topics.alerts, timeout=30)
                      if isinstance(r, Alert)]
            final = {}
            for r in ledger:
                if r.status != "updated":  # an edit of a posted alert, not its state
                    final[r.alert_id] = r
            by_article = {r.article_id: r for r in final.values() if r.route != "digest"}
            digests_done = {a for a, r in final.items() if r.route == "digest"
                            and r.status == "posted"}
            settled = [a for a in matched_ids if a in by_article and (
                by_article[a].status == "posted" or (by_article[a].status == "throttled"
                                                     and by_article[a].digest_id in digests_done))]
            if len(settled) == len(matched_ids):
                break
            time.sleep(1.0)
        alerter.send_signal(signal.SIGTERM)
        alerter.wait(60)

        # ---------------------------------------------------------------- results
        posts = [p for p in fake.posts() if p["metadata"]["event_payload"]["alert_id"]
                 not in warm_ids]
        per_alert = Counter(p["metadata"]["event_payload"]["alert_id"] for p in posts)
        posted_records = {r.alert_id: r for r in ledger if r.status == "posted"}
        direct, waited, waits = [], [], []
        for p in posts:
            payload = p["metadata"]["event_payload"]
            if payload["kind"] != "alert":
                continue
            latency = (p["received_at"] - produced_at[payload["article_id"]]) * 1000
            wait_ms = posted_records[payload["alert_id"]].throttle_wait_ms or 0.0
            if wait_ms < 1.0:
                direct.append(latency)
            else:
                waited.append(latency)
                waits.append(wait_ms)
        digest_posts = [p for p in posts if p["metadata"]["event_payload"]["kind"] == "digest"]
        held = [r for r in final.values() if r.status == "throttled"]
        digest_latency = []
        for r in held:
            d = next((p for p in digest_posts
                      if p["metadata"]["event_payload"]["alert_id"] == r.digest_id), None)
            if d is not None:
                digest_latency.append((d["received_at"] - produced_at[r.article_id]) * 1000)
        lost = sorted(set(matched_ids) - set(settled))
        per_channel = defaultdict(list)
        for p in posts:
            per_channel[p["channel"]].append(p["received_at"])
        rate_rows = []
        rate_ok = True
        for cid in channels:
            times = per_channel.get(cid, [])
            row = {"channel": cid, "posts": len(times)}
            for width in (1, 10, 60):
                got = max_in_window(times, width)
                allowed = BURST + int(PER_SECOND * width)
                row[f"max_{width}s"] = got
                row[f"allowed_{width}s"] = allowed
                rate_ok &= got <= allowed
            rate_rows.append(row)

        result = {
            "when": datetime.now(timezone.utc).isoformat(),
            "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
            "load": {"rate": args.rate, "seconds": args.seconds, "decisions": total,
                     "matched": len(matched_ids), "channels": args.channels,
                     "achieved_rate": round(total / elapsed, 1),
                     "producer_lag_p99_ms": round(pct(lag, 99) * 1000, 1) if lag else 0.0},
            "throttle": {"per_second": PER_SECOND, "burst": BURST, "max_wait_s": MAX_WAIT,
                         "max_per_window": args.per_window, "window_s": WINDOW,
                         "digest_after_s": DIGEST_AFTER},
            "unthrottled_posts": {"count": len(direct), "p50_ms": round(pct(direct, 50), 1),
                                  "p99_ms": round(pct(direct, 99), 1),
                                  "max_ms": round(max(direct), 1) if direct else None},
            "throttled_posts": {"count": len(waited),
                                "latency_p50_ms": round(pct(waited, 50), 1),
                                "latency_p99_ms": round(pct(waited, 99), 1),
                                "throttle_wait_p50_ms": round(pct(waits, 50), 1),
                                "throttle_wait_p99_ms": round(pct(waits, 99), 1)},
            "digests": {"posts": len(digest_posts), "alerts_held": len(held),
                        "latency_p50_ms": round(pct(digest_latency, 50), 1),
                        "latency_p99_ms": round(pct(digest_latency, 99), 1)},
            "lost": len(lost), "duplicate_posts": sum(n - 1 for n in per_alert.values() if n > 1),
            "rate_respected": rate_ok, "per_channel": rate_rows,
            "target_p99_unthrottled_ms": 500,
        }
        out_dir = ROOT / "bench" / "results"
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / f"alert-{datetime.now():%Y%m%d-%H%M%S}.json"
        path.write_text(json.dumps(result, indent=2))

        u, t, dg = result["unthrottled_posts"], result["throttled_posts"], result["digests"]
        print()
        print(f"decisions {total} ({len(matched_ids)} matched) at {result['load']['achieved_rate']}/s"
              f" into {args.channels} channels")
        print(f"unthrottled posts  {u['count']:5d}  p50 {u['p50_ms']:7.1f} ms  "
              f"p99 {u['p99_ms']:7.1f} ms  max {u['max_ms']} ms   (target p99 < 500 ms: "
              f"{'met' if u['p99_ms'] < 500 else 'MISSED'})")
        print(f"throttled posts    {t['count']:5d}  p50 {t['latency_p50_ms']:7.1f} ms  "
              f"p99 {t['latency_p99_ms']:7.1f} ms  (of which throttle wait p50 "
              f"{t['throttle_wait_p50_ms']} ms, p99 {t['throttle_wait_p99_ms']} ms)")
        print(f"digests            {dg['posts']:5d}  holding {dg['alerts_held']} alerts, "
              f"latency p50 {dg['latency_p50_ms']} ms p99 {dg['latency_p99_ms']} ms")
        worst = {w: max(r[f"max_{w}s"] for r in rate_rows) for w in (1, 10, 60)}
        print(f"per-channel max posts in any 1s/10s/60s: {worst[1]}/{worst[10]}/{worst[60]} "
              f"(allowed {BURST + 1}/{BURST + 10}/{BURST + 60}): "
              f"{'respected' if rate_ok else 'EXCEEDED'}")
        print(f"lost {result['lost']}, duplicate posts {result['duplicate_posts']}")
        print(f"written to {path.relative_to(ROOT)}")
        return 0 if (rate_ok and not lost and result["duplicate_posts"] == 0) else 1
    finally:
        if alerter is not None and alerter.poll() is None:
            alerter.kill()
        fake.close()
        broker.close()


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: one collector cycle over 1,000 local feeds, most answering 304.

    python -m bench.bench_collect [--feeds 1000] [--changed 100] [--cycles 3]

A feed server runs in its own process (pinned to another CPU when there is one) and serves
FEEDS RSS documents of 20 items with ETag/Last-Modified. The collector (pinned to one CPU)
runs `collectors.service.run(once=True)` against the real broker: the first cycle loads
every feed (all 200s), then each measured cycle follows a change to CHANGED feeds (two new
items each) while the rest answer 304. Reported per cycle: wall time, CPU seconds of the
collector process, and the latency from the start of a feed's fetch to Kafka's
acknowledgement of its articles. Targets: a full cycle under 60 s on one core; median fetch
to acknowledgement under 200 ms.

Uses KAFKA_BOOTSTRAP_SERVERS when set, else starts its own broker with LocalKafka in a
temporary directory. Feeds are all on 127.0.0.1, so `per_host` is set to the global
concurrency (a real feed list spreads over hundreds of hosts).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import resource
import statistics
import tempfile
import time
import uuid
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import yaml

ITEMS_PER_FEED = 20
RESULTS = Path(__file__).resolve().parent / "results"


# -- the feed server (child process) ---------------------------------------------------------

def _feed_xml(feed: int, version: int) -> bytes:
    """Feed `feed` at `version`: the newest ITEMS_PER_FEED items, two more per version."""
    newest = ITEMS_PER_FEED + 2 * version
    items = []
    for n in range(newest, newest - ITEMS_PER_FEED, -1):
        items.append(
            f"<item><title>Feed {feed} story {n}: Seoul and Tokyo discuss regional security"
            f"</title><link>https://news{feed % 50}.example.org/{feed}/story-{n}.html"
            f"?utm_source=rss</link><guid isPermaLink=\"false\">f{feed}-s{n}</guid>"
            f"<pubDate>{formatdate(1_770_000_000 + n * 600, usegmt=True)}</pubDate>"
            f"<description>&lt;p&gt;Officials from both countries met on {n} occasions "
            f"this year to discuss defense exchanges, missile warning data and trilateral "
            f"drills with the United States. " + "More context follows. " * 40 +
            "&lt;/p&gt;</description></item>")
    return ("<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel>"
            f"<title>Bench feed {feed}</title><link>https://news{feed % 50}.example.org/</link>"
            "<description>bench</description>" + "".join(items)
            + "</channel></rss>").encode()


def _serve(port_queue: mp.Queue, feeds: int, cpu: int | None) -> None:
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    versions = [0] * feeds
    cache: dict[tuple[int, int], bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path == "/_bump":
                for f in parse_qs(parts.query)["feeds"][0].split(","):
                    versions[int(f)] += 1
                self.send_response(204)
                self.end_headers()
                return
            feed = int(parts.path.rsplit("/", 1)[1].split(".")[0])
            version = versions[feed]
            etag = f'"{feed}-{version}"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            body = cache.get((feed, version))
            if body is None:
                body = cache[(feed, version)] = _feed_xml(feed, version)
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.request_queue_size = 256
    port_queue.put(server.server_address[1])
    server.serve_forever(poll_interval=0.1)


# -- the benchmark ----------------------------------------------------------------------------

def _bump(port: int, feeds: list[int]) -> None:
    import httpx
    httpx.get(f"http://127.0.0.1:{port}/_bump", params={"feeds": ",".join(map(str, feeds))},
              timeout=10).raise_for_status()


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def _cycle(settings, path: Path, producer, label: str) -> dict:
    from collectors import service

    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    summary = service.run(settings, once=True, feeds_path=path, producer=producer)
    wall = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    latencies = [r.fetch_to_ack * 1000 for r in summary.results if r.fetch_to_ack is not None]
    after_body = [(r.acked - r.body_received) * 1000 for r in summary.results
                  if r.acked is not None and r.body_received is not None]
    outcomes: dict[str, int] = {}
    for r in summary.results:
        outcomes[r.outcome] = outcomes.get(r.outcome, 0) + 1
    row = {
        "cycle": label, "feeds": len(summary.results), "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2), "produced": summary.produced, "outcomes": outcomes,
        "fetch_to_ack_ms": {"n": len(latencies), "median": round(_pct(latencies, 0.5), 1),
                            "p95": round(_pct(latencies, 0.95), 1),
                            "max": round(max(latencies, default=float("nan")), 1)},
        "body_to_ack_ms": {"median": round(_pct(after_body, 0.5), 1),
                           "p95": round(_pct(after_body, 0.95), 1)},
    }
    print(f"{label:>9}: {row['feeds']} feeds in {row['wall_s']:.2f}s wall, "
          f"{row['cpu_s']:.2f}s CPU, {row['produced']} articles, {outcomes}; fetch->ack "
          f"median {row['fetch_to_ack_ms']['median']} ms p95 {row['fetch_to_ack_ms']['p95']} ms "
          f"(n={len(latencies)}); body->ack median {row['body_to_ack_ms']['median']} ms",
          flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--changed", type=int, default=100,
                        help="feeds with two new items before each measured cycle")
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()

    from newswatch.broker.admin import ensure_topics
    from newswatch.broker.clients import make_producer
    from newswatch.broker.local import LocalKafka
    from newswatch.settings import Settings

    cpus = sorted(os.sched_getaffinity(0))
    collector_cpu = cpus[0]
    server_cpu = cpus[1] if len(cpus) > 1 else None
    port_queue: mp.Queue = mp.get_context("spawn").Queue()
    server = mp.get_context("spawn").Process(target=_serve, daemon=True,
                                             args=(port_queue, args.feeds, server_cpu))
    server.start()
    port = port_queue.get(timeout=30)

    with tempfile.TemporaryDirectory(prefix="bench-collect-") as tmp, \
            LocalKafka.bootstrap_or_temporary() as bootstrap:
        tmpdir = Path(tmp)
        try:
            os.sched_setaffinity(0, {collector_cpu})  # the collector on one core
            settings = Settings.load(kafka_bootstrap_servers=bootstrap,
                                     topic_prefix=f"bench-{uuid.uuid4().hex[:8]}-",
                                     state_dir=tmpdir / "state", config_dir=tmpdir / "config",
                                     topic_partitions=6)
            ensure_topics(settings)
            path = tmpdir / "feeds.yaml"
            path.write_text(yaml.safe_dump({
                "allow_private_networks": True,
                "limits": {"concurrency": args.concurrency, "per_host": args.concurrency},
                "feeds": [{"id": f"bench-{i}", "url": f"http://127.0.0.1:{port}/feed/{i}.xml"}
                          for i in range(args.feeds)]}))
            producer = make_producer(settings)
            print(f"{args.feeds} feeds x {ITEMS_PER_FEED} items; collector on CPU "
                  f"{collector_cpu}, feed server on CPU {server_cpu}; concurrency "
                  f"{args.concurrency}", flush=True)
            rows = [_cycle(settings, path, producer, "initial")]
            rng = random.Random(1)
            for n in range(args.cycles):
                _bump(port, rng.sample(range(args.feeds), args.changed))
                rows.append(_cycle(settings, path, producer, f"steady-{n + 1}"))
            producer.close(timeout=10)
        finally:
            server.terminate()

    steady = rows[1:]
    report = {
        "feeds": args.feeds, "changed_per_cycle": args.changed, "items_per_feed": ITEMS_PER_FEED,
        "concurrency": args.concurrency, "cycles": rows,
        "steady_wall_s_median": statistics.median(r["wall_s"] for r in steady),
        "steady_cpu_s_median": statistics.median(r["cpu_s"] for r in steady),
        "steady_fetch_to_ack_ms_median": statistics.median(
            r["fetch_to_ack_ms"]["median"] for r in steady),
    }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "bench_collect.json"
    out.write_text(json.dumps(report, indent=2))
    print(f"\nsteady cycle (median of {len(steady)}): {report['steady_wall_s_median']:.2f}s "
          f"wall (target < 60 s), {report['steady_cpu_s_median']:.2f}s CPU, fetch->ack "
          f"median {report['steady_fetch_to_ack_ms_median']} ms (target < 200 ms)\n"
          f"written to {out}")


if __name__ == "__main__":
    main()

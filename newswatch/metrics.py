"""Prometheus metrics and health endpoints, one HTTP port per process.

Every stage gets a `Metrics` (its own registry, so tests and `newswatch run` never clash)
and, when a port is given, `serve()` answers:
  /metrics  Prometheus text format
  /healthz  200 while the process runs (a liveness probe)
  /readyz   200 once every readiness check holds (Kafka reached, partitions assigned,
            config loaded), else 503 naming what is missing
Label values come from config (feed ids, channels, route names) or fixed sets (categories,
outcomes), never from feed text, so the number of series stays bounded.
"""

from __future__ import annotations

import threading
from typing import Callable, Iterable
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import (CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge,
                               Histogram, Info, generate_latest)

FAST = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5)
FETCH = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
LATENCY = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800)


class Readiness:
    """Named checks a stage sets as it starts (config loaded, Kafka reached, assigned)."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._checks: dict[str, bool] = {n: False for n in names}

    def set(self, name: str, ok: bool = True) -> None:
        with self._lock:
            self._checks[name] = ok

    def missing(self) -> list[str]:
        with self._lock:
            return [n for n, ok in self._checks.items() if not ok]


class Metrics:
    """Every metric of every stage, in one registry; a stage uses its own share."""

    def __init__(self) -> None:
        self.registry = r = CollectorRegistry()
        self.readiness = Readiness()
        # collector
        self.fetches = Counter("newswatch_collector_fetches", "Feed fetches by outcome "
                               "(ok, not_modified, or the error kind).",
                               ["feed", "outcome"], registry=r)
        self.items = Counter("newswatch_collector_items", "Articles delivered to Kafka, new "
                             "or updated.", ["feed", "kind"], registry=r)
        self.last_success = Gauge("newswatch_collector_last_success_timestamp_seconds",
                                  "When each feed last answered (Unix time).", ["feed"],
                                  registry=r)
        self.fetch_seconds = Histogram("newswatch_collector_fetch_seconds", "Fetch duration.",
                                       ["feed"], buckets=FETCH, registry=r)
        self.backoff = Gauge("newswatch_collector_feed_failures", "Consecutive failures of a "
                             "feed (0 when healthy; above 0 it is backing off).", ["feed"],
                             registry=r)
        self.expected_interval = Gauge("newswatch_collector_feed_interval_seconds",
                                       "How often each feed is polled (from feeds.yaml).",
                                       ["feed"], registry=r)
        # processor
        self.decisions = Counter("newswatch_processor_decisions", "Decisions by category "
                                 "(none for an article that matched nothing).", ["category"],
                                 registry=r)
        self.classify_seconds = Histogram("newswatch_processor_classify_seconds",
                                          "Time to classify one article.", buckets=FAST,
                                          registry=r)
        self.lag = Gauge("newswatch_consumer_lag", "Records not yet consumed, per partition.",
                         ["stage", "partition"], registry=r)
        self.rules = Info("newswatch_processor_rules", "The rules version in force.",
                          registry=r)
        self.reloads = Counter("newswatch_processor_rule_reloads", "Rules file edits taken "
                               "(accepted) or refused.", ["outcome"], registry=r)
        self.dead_letters = Counter("newswatch_dead_letters", "Records sent to the "
                                    "dead-letter topic.", ["stage"], registry=r)
        # alerter
        self.posts = Counter("newswatch_alerter_posts", "Slack posts by channel and outcome.",
                             ["channel", "outcome"], registry=r)
        self.post_latency = Histogram("newswatch_alerter_decision_to_post_seconds",
                                      "From the decision to the post.", ["channel"],
                                      buckets=LATENCY, registry=r)
        self.throttle_waits = Counter("newswatch_alerter_throttle_waits", "Posts held back "
                                      "by a channel's pace.", ["channel"], registry=r)
        self.unsettled = Gauge("newswatch_alerter_unsettled_intents", "Alerts with an intent "
                               "in the ledger and no result yet.", registry=r)
        self.digests = Counter("newswatch_alerter_digests", "Digests posted.", ["channel"],
                               registry=r)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass


class MetricsServer:
    """/metrics, /healthz and /readyz on one port, in a daemon thread."""

    def __init__(self, metrics: Metrics, port: int, host: str = "0.0.0.0") -> None:
        self.metrics = metrics
        self._server: WSGIServer = make_server(host, port, self._app, handler_class=_Quiet)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="newswatch-metrics")

    def start(self) -> "MetricsServer":
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _app(self, environ: dict, start_response: Callable) -> list[bytes]:
        path = environ.get("PATH_INFO", "/")
        if path == "/metrics":
            start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
            return [self.metrics.exposition()]
        if path == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok\n"]
        if path == "/readyz":
            missing = self.metrics.readiness.missing()
            if missing:
                start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
                return [("not ready: " + ", ".join(missing) + "\n").encode()]
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ready\n"]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"try /metrics, /healthz or /readyz\n"]


def serve(metrics: Metrics, port: int | None) -> MetricsServer | None:
    """Start the endpoints when a port is configured (0 picks a free one)."""
    return None if port is None else MetricsServer(metrics, port).start()

"""Metrics and health endpoints: what an operator's Prometheus and container checks see."""

from __future__ import annotations

import threading

import httpx
from prometheus_client.parser import text_string_to_metric_families

from newswatch.metrics import Metrics, MetricsServer
from processors import service
from tests.processutil import article, write_rules
from tests.test_process_service import DOKDO, PLAIN, produce, wait_for


def scrape(port: int) -> dict[tuple[str, tuple], float]:
    """Every sample as {(name, sorted labels): value}."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


class TestEndpoints:
    def test_healthz_readyz_and_metrics(self):
        metrics = Metrics()
        metrics.readiness.set("kafka", False)
        server = MetricsServer(metrics, 0, host="127.0.0.1").start()
        try:
            base = f"http://127.0.0.1:{server.port}"
            assert httpx.get(f"{base}/healthz").status_code == 200
            not_ready = httpx.get(f"{base}/readyz")
            assert not_ready.status_code == 503 and "kafka" in not_ready.text
            metrics.readiness.set("kafka")
            assert httpx.get(f"{base}/readyz").status_code == 200
            page = httpx.get(f"{base}/metrics")
            assert page.status_code == 200 and page.headers["content-type"].startswith(
                "text/plain")
            assert "newswatch_processor_classify_seconds" in page.text
            assert httpx.get(f"{base}/other").status_code == 404
        finally:
            server.close()


def test_a_running_processor_counts_decisions_times_them_and_shows_its_rules(settings, topics):
    write_rules(settings.config_dir)
    produce(settings, topics.articles, [article(f"m{i}", **(DOKDO if i % 2 else PLAIN))
                                        for i in range(6)])
    metrics = Metrics()
    server = MetricsServer(metrics, 0, host="127.0.0.1").start()
    stop = threading.Event()
    worker = threading.Thread(target=service.run, args=(settings, stop),
                              kwargs={"group_id": "metrics", "metrics": metrics})
    worker.start()
    try:
        def decided() -> bool:
            samples = scrape(server.port)
            return samples.get(("newswatch_processor_classify_seconds_count", ()), 0) >= 6
        wait_for(decided, 60, "six decisions counted")
        wait_for(lambda: httpx.get(f"http://127.0.0.1:{server.port}/readyz").status_code
                 == 200, 30, "ready")
        samples = scrape(server.port)
        assert samples[("newswatch_processor_decisions_total", (("category", "dispute"),))] == 3
        assert samples[("newswatch_processor_decisions_total", (("category", "none"),))] == 3
        rules = [k for k in samples if k[0] == "newswatch_processor_rules_info"]
        assert rules and dict(rules[0][1])["name"] == "small"
        def caught_up() -> bool:  # lag is sampled every few seconds, per partition
            lag = {k: v for k, v in scrape(server.port).items()
                   if k[0] == "newswatch_consumer_lag"}
            return bool(lag) and all(v == 0 for v in lag.values())
        wait_for(caught_up, 30, "lag 0 on every partition")
    finally:
        stop.set()
        worker.join(60)
        server.close()


def test_the_alerter_counts_posts_per_channel_and_times_decision_to_post(settings, fake):
    from tests.alertutil import (AlerterThread, decision, with_slack, write_config)
    from tests.alertutil import produce as produce_decisions

    write_config(settings)
    slack = with_slack(settings, fake)
    produce_decisions(slack, [decision("p1", categories=("dispute",), severity="high"),
                              decision("p2", title="Seoul and Tokyo hold defense talks",
                                       categories=("cooperation",), severity="medium")])
    metrics = Metrics()
    server = MetricsServer(metrics, 0, host="127.0.0.1").start()
    try:
        with AlerterThread(slack, metrics=metrics) as alerter:
            alerter.wait(lambda: len(fake.posts()) >= 2, what="2 posts")
            alerter.wait(lambda: scrape(server.port).get(
                ("newswatch_alerter_unsettled_intents", ()), -1) == 0, what="settled", timeout=30)
            samples = scrape(server.port)
            alerter.stop()
        posted = {dict(k[1])["channel"]: v for k, v in samples.items()
                  if k[0] == "newswatch_alerter_posts_total" and dict(k[1])["outcome"] == "posted"}
        assert posted == {"C0DISPUTE1": 1, "#kr-jp-cooperation": 1}
        latency = sum(v for k, v in samples.items()
                      if k[0] == "newswatch_alerter_decision_to_post_seconds_count")
        assert latency == 2
    finally:
        server.close()


def test_the_collector_counts_fetches_and_items_per_feed(settings, topics):
    from collectors import service as collector
    from collectors.seeds import SeedFeedServer, write_demo_feeds_config

    metrics = Metrics()
    with SeedFeedServer() as seeds:
        feeds = write_demo_feeds_config(settings.config_dir / "feeds.yaml", seeds.base_url)
        summary = collector.run(settings, once=True, feeds_path=feeds, metrics=metrics)
    text = metrics.exposition().decode()
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(text) for s in family.samples}
    for result in summary.results:
        assert samples[("newswatch_collector_fetches_total",
                        (("feed", result.feed_id), ("outcome", "new")))] == 1
        assert samples[("newswatch_collector_last_success_timestamp_seconds",
                        (("feed", result.feed_id),))] > 0
        assert ("newswatch_collector_feed_interval_seconds", (("feed", result.feed_id),)) \
            in samples
    new = sum(v for k, v in samples.items() if k[0] == "newswatch_collector_items_total")
    assert new == summary.produced > 0

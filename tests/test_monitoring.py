"""The monitoring stack shipped in monitoring/: Prometheus scrape config, alert rules and the
Grafana dashboard refer only to metrics the stages export; promtool accepts the rules and
their unit tests (the stale-feed alert fires when a feed stops answering); a real
Prometheus scrapes a stage's /metrics."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

from newswatch.metrics import Metrics

ROOT = Path(__file__).resolve().parent.parent
MON = ROOT / "monitoring"
PROMTOOL = shutil.which("promtool")
PROMETHEUS = shutil.which("prometheus")
need_promtool = pytest.mark.skipif(PROMTOOL is None, reason="promtool not installed "
                                   "(Debian package prometheus; .ci/run installs it)")


def exported() -> set[str]:
    """Every series name the stages can export, with Prometheus' suffixes."""
    names = set()
    for family in Metrics().registry.collect():
        base = family.name
        names |= {base, f"{base}_total", f"{base}_info", f"{base}_bucket", f"{base}_count",
                  f"{base}_sum", f"{base}_created"}
    return names | {"up"}


def metric_names(expr: str) -> set[str]:
    return set(re.findall(r"\b(newswatch_[a-z_]+|up)\b", expr))


def test_alert_rules_use_only_exported_metrics():
    rules = yaml.safe_load((MON / "alerts.yml").read_text())["groups"][0]["rules"]
    assert {r["alert"] for r in rules} >= {"NewswatchFeedSilent", "NewswatchConsumerLagGrowing",
                                           "NewswatchUnsettledIntents", "NewswatchDeadLetters",
                                           "NewswatchRuleReloadRefused"}
    for rule in rules:
        used = metric_names(rule["expr"])
        assert used and used <= exported(), (rule["alert"], used - exported())
        assert rule["annotations"]["fix"], rule["alert"]


def test_the_dashboard_is_valid_json_on_exported_metrics_and_the_provisioned_source():
    dashboard = json.loads((MON / "grafana" / "dashboards" / "newswatch.json").read_text())
    source = yaml.safe_load((MON / "grafana" / "provisioning" / "datasources" /
                             "prometheus.yml").read_text())["datasources"][0]
    titles = [p["title"] for p in dashboard["panels"]]
    for wanted in ("Feed health", "Throughput", "lag", "latency", "Unsettled"):
        assert any(wanted.lower() in t.lower() for t in titles), wanted
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == source["uid"]
        for target in panel["targets"]:
            used = metric_names(target["expr"])
            assert used and used <= exported(), (panel["title"], used - exported())


def test_prometheus_scrapes_each_stage_on_the_port_compose_gives_it():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    port = compose["x-newswatch"]["environment"]["NEWSWATCH_METRICS_PORT"]
    config = yaml.safe_load((MON / "prometheus.yml").read_text())
    targets = {t for job in config["scrape_configs"] for group in job["static_configs"]
               for t in group["targets"]}
    assert targets == {f"{s}:{port}" for s in ("collector", "processor", "alerter")}
    for stage in ("collector", "processor", "alerter"):
        assert stage in compose["services"]
    assert {"prometheus", "grafana"} <= set(compose["services"])


@need_promtool
def test_promtool_accepts_the_config_and_the_rules_and_their_unit_tests_pass():
    for args in (["check", "config", "prometheus.yml"], ["check", "rules", "alerts.yml"],
                 ["test", "rules", "alerts_test.yml"]):
        result = subprocess.run([PROMTOOL, *args], cwd=MON, capture_output=True, text=True,
                                timeout=60)
        assert result.returncode == 0, (args, result.stdout, result.stderr)
    # The unit tests include the stale-feed alert firing on a feed that stopped answering.
    assert "NewswatchFeedSilent" in (MON / "alerts_test.yml").read_text()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _prometheus(tmp_path: Path, target: str):
    web = _free_port()
    config = tmp_path / "prometheus.yml"
    shutil.copy(MON / "alerts.yml", tmp_path / "alerts.yml")
    config.write_text(yaml.safe_dump({
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": ["alerts.yml"],
        "scrape_configs": [{"job_name": "newswatch", "static_configs": [
            {"targets": [target], "labels": {"stage": "pipeline"}}]}]}))
    proc = subprocess.Popen([PROMETHEUS, f"--config.file={config}",
                             f"--storage.tsdb.path={tmp_path / 'data'}",
                             f"--web.listen-address=127.0.0.1:{web}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, f"http://127.0.0.1:{web}/api/v1"


def _query(api: str, expr: str) -> float | None:
    try:
        found = httpx.get(f"{api}/query", params={"query": expr}, timeout=5).json()
        result = found["data"]["result"]
        return float(result[0]["value"][1]) if result else None
    except (httpx.HTTPError, KeyError, ValueError, IndexError):
        return None


@pytest.mark.skipif(PROMETHEUS is None, reason="prometheus not installed (Debian package)")
def test_a_real_prometheus_scrapes_a_running_pipeline_and_loads_the_rules(
        settings, env_for, tmp_path):
    """`newswatch run --metrics-port` (collector, processor and alerter on one port) on the
    sample feeds, scraped by a real Prometheus: the target is up and every stage's series
    arrive. (That the stale-feed rule fires is shown by promtool's unit tests above: its
    threshold is 30 minutes at the least, too long to wait for here.)"""
    from collectors.seeds import SeedFeedServer, write_demo_feeds_config

    for name in ("rules.yaml", "alerts.yaml"):
        shutil.copy(ROOT / "config" / name, settings.config_dir / name)
    port = _free_port()
    with SeedFeedServer() as seeds:
        write_demo_feeds_config(settings.config_dir / "feeds.yaml", seeds.base_url)
        pipeline = subprocess.Popen(
            [sys.executable, "-m", "newswatch", "run", "--metrics-port", str(port)],
            cwd=ROOT, env=env_for(settings), stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True)
        prometheus, api = _prometheus(tmp_path, f"127.0.0.1:{port}")
        try:
            wanted = {
                'up{job="newswatch"}': lambda v: v == 1,
                "sum(newswatch_collector_fetches_total)": lambda v: v > 0,
                "sum(newswatch_processor_decisions_total)": lambda v: v > 0,
                "count(newswatch_processor_rules_info)": lambda v: v == 1,
                'sum(newswatch_alerter_posts_total{outcome="posted"})': lambda v: v > 0,
            }
            deadline = time.monotonic() + 120
            missing = dict(wanted)
            while missing and time.monotonic() < deadline:
                assert pipeline.poll() is None, pipeline.stderr.read()
                for expr, ok in list(missing.items()):
                    value = _query(api, expr)
                    if value is not None and ok(value):
                        del missing[expr]
                time.sleep(1)
            assert not missing, f"never seen in Prometheus: {sorted(missing)}"
            ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
            assert ready.status_code == 200, ready.text
            rules = httpx.get(f"{api}/rules").json()["data"]["groups"][0]["rules"]
            assert "NewswatchFeedSilent" in {r["name"] for r in rules}
        finally:
            prometheus.terminate()
            pipeline.terminate()
            prometheus.wait(30)
            pipeline.wait(60)

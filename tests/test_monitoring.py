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
import time
from pathlib import Path

import httpx
import pytest
import yaml

from newswatch.metrics import Metrics, MetricsServer

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


@pytest.mark.skipif(PROMETHEUS is None, reason="prometheus not installed (Debian package)")
def test_a_real_prometheus_scrapes_a_stage_and_loads_the_rules(tmp_path):
    metrics = Metrics()
    metrics.fetches.labels("wire", "new").inc()
    stage = MetricsServer(metrics, 0, host="127.0.0.1").start()
    web = _free_port()
    config = tmp_path / "prometheus.yml"
    shutil.copy(MON / "alerts.yml", tmp_path / "alerts.yml")
    config.write_text(yaml.safe_dump({
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": ["alerts.yml"],
        "scrape_configs": [{"job_name": "newswatch", "static_configs": [
            {"targets": [f"127.0.0.1:{stage.port}"], "labels": {"stage": "collector"}}]}]}))
    proc = subprocess.Popen([PROMETHEUS, f"--config.file={config}",
                             f"--storage.tsdb.path={tmp_path / 'data'}",
                             f"--web.listen-address=127.0.0.1:{web}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        api = f"http://127.0.0.1:{web}/api/v1"
        deadline = time.monotonic() + 60
        value = None
        while time.monotonic() < deadline and value is None:
            try:
                found = httpx.get(f"{api}/query", params={
                    "query": 'newswatch_collector_fetches_total{feed="wire"}'}).json()
                if found["data"]["result"]:
                    value = float(found["data"]["result"][0]["value"][1])
            except (httpx.HTTPError, KeyError, ValueError):
                pass
            time.sleep(0.5)
        assert value == 1.0, "Prometheus did not scrape the stage"
        targets = httpx.get(f"{api}/targets").json()["data"]["activeTargets"]
        assert [t["health"] for t in targets] == ["up"]
        rules = httpx.get(f"{api}/rules").json()["data"]["groups"][0]["rules"]
        assert "NewswatchFeedSilent" in {r["name"] for r in rules}
    finally:
        proc.terminate()
        proc.wait(30)
        stage.close()

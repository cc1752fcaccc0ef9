"""docker-compose.yml and the Dockerfile: no engine runs here, so check their structure."""

from pathlib import Path

import yaml

from newswatch.broker.local import kafka_version
from newswatch.settings import describe_environment

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
STAGES = {"collector": "collect", "processor": "process", "alerter": "alert"}


def test_kafka_runs_kraft_from_the_apache_image_at_the_pinned_version():
    kafka = SERVICES["kafka"]
    assert kafka["image"] == f"apache/kafka:{kafka_version()}"
    env = kafka["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"].startswith(f"{env['KAFKA_NODE_ID']}@kafka:")
    assert "PLAINTEXT://kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"]
    assert "healthcheck" in kafka
    assert any(v.endswith(":/var/lib/kafka/data") for v in kafka["volumes"])


def test_each_stage_runs_its_subcommand_from_the_repo_image():
    for service, command in STAGES.items():
        spec = SERVICES[service]
        assert spec["build"] == "." and spec["command"] == [command]
        assert spec["depends_on"]["topics"]["condition"] == "service_completed_successfully"
    assert SERVICES["topics"]["command"] == ["topics", "create"]
    assert SERVICES["topics"]["depends_on"]["kafka"]["condition"] == "service_healthy"


def test_stages_are_wired_through_documented_environment_variables():
    known = {name for name, _ in describe_environment()}
    for service in (*STAGES, "topics"):
        env = SERVICES[service]["environment"]
        assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
        assert set(env) <= known, set(env) - known
    alerter = SERVICES["alerter"]["environment"]
    assert alerter["SLACK_BOT_TOKEN"].startswith("${SLACK_BOT_TOKEN")  # from the host, not YAML


def test_config_is_mounted_read_only_and_collector_state_persists():
    for service in STAGES:
        assert "./config:/app/config:ro" in SERVICES[service]["volumes"]
    assert "collector-state:/var/lib/newswatch" in SERVICES["collector"]["volumes"]
    assert {"kafka-data", "collector-state"} <= set(COMPOSE["volumes"])


def test_the_broker_writes_its_topics_into_the_mounted_volume():
    """Without KAFKA_LOG_DIRS the apache/kafka image writes to /tmp/kraft-combined-logs, so
    `docker compose down && up` would lose the history, the ledger and the audit trail."""
    kafka = SERVICES["kafka"]
    log_dir = kafka["environment"]["KAFKA_LOG_DIRS"]
    mounts = dict(v.split(":", 1) for v in kafka["volumes"])
    assert mounts["kafka-data"] == log_dir == "/var/lib/kafka/data"


def test_dockerfile_installs_the_project_and_ships_every_stage():
    text = (ROOT / "Dockerfile").read_text()
    for part in ("newswatch", "collectors", "processors", "alerts", "config"):
        assert f"COPY {part} ./{part}" in text
    assert "RUN pip install ." in text
    assert 'ENTRYPOINT ["newswatch"]' in text
    assert "USER newswatch" in text

"""Test harness: one real Kafka broker per session, a unique topic set per test.

The broker is started by the project's own launcher (`LocalKafka`, the code behind
`newswatch kafka up`) in a temporary state directory on a free port, unless
KAFKA_BOOTSTRAP_SERVERS names one to use instead. Tests that need it take the `settings`
fixture (or `kafka_bootstrap`) and are marked `kafka` automatically.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from newswatch.broker.admin import ensure_topics
from newswatch.broker.local import LocalKafka, free_port_pair
from newswatch.settings import Settings
from newswatch.topics import Topics

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
KAFKA_FIXTURES = {"kafka_bootstrap", "local_broker", "settings", "topics"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if KAFKA_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.kafka)


@pytest.fixture(scope="session")
def local_broker(tmp_path_factory) -> LocalKafka:
    """The session's broker, started by the project's launcher (skipped if one is given)."""
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        pytest.skip("KAFKA_BOOTSTRAP_SERVERS is set: this test needs the launcher's own broker")
    broker = LocalKafka(tmp_path_factory.mktemp("kafka-state"), port=free_port_pair(),
                        heap_mb=384)
    broker.up(timeout=120)
    yield broker
    broker.down()


@pytest.fixture(scope="session")
def kafka_bootstrap(request) -> str:
    given = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if given:
        return given
    return request.getfixturevalue("local_broker").bootstrap


@pytest.fixture
def settings(kafka_bootstrap, tmp_path) -> Settings:
    """Settings for one test: its own topic prefix (topics created), state dir and config dir."""
    prefix = f"t{uuid.uuid4().hex[:10]}-"
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    s = Settings.load(kafka_bootstrap_servers=kafka_bootstrap, topic_prefix=prefix,
                      state_dir=tmp_path / "state", config_dir=config_dir,
                      topic_partitions=3)
    ensure_topics(s)
    return s


@pytest.fixture
def topics(settings) -> Topics:
    return Topics.from_settings(settings)


@pytest.fixture
def env_for(tmp_path):
    """Environment for a `newswatch` subprocess running against the given settings."""

    def make(settings: Settings, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("NEWSWATCH_", "SLACK_", "KAFKA_"))}
        env.update({
            "KAFKA_BOOTSTRAP_SERVERS": ",".join(settings.bootstrap_servers),
            "NEWSWATCH_TOPIC_PREFIX": settings.topic_prefix,
            "NEWSWATCH_STATE_DIR": str(settings.state_dir),
            "NEWSWATCH_CONFIG_DIR": str(settings.config_dir),
            "NEWSWATCH_TOPIC_PARTITIONS": str(settings.topic_partitions),
        })
        env.update(extra)
        return env

    return make


@pytest.fixture
def shared_dir() -> Path:
    """../shared (the owner's seed and corpus); absent on a user's machine: skip."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not present on this machine")
    return SHARED


@pytest.fixture
def fake():
    """A fake Slack Web API on loopback knowing the alert tests' channels (tests/fakeslack.py)."""
    from tests.alertutil import CHANNELS
    from tests.fakeslack import FakeSlack

    slack = FakeSlack(CHANNELS)
    yield slack
    slack.close()

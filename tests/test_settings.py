"""Settings: read once from the environment, frozen, secrets hidden, bad values named."""

from pathlib import Path

import pytest

from newswatch.errors import ConfigError
from newswatch.settings import Settings, describe_environment
from newswatch.topics import Topics


@pytest.fixture
def clean_env(monkeypatch):
    for name, _ in describe_environment():
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_defaults_point_at_the_local_broker_and_config_dir(clean_env):
    s = Settings.load()
    assert s.bootstrap_servers == ["127.0.0.1:9092"]
    assert s.config_dir == Path("config")
    assert s.topic_prefix == ""


def test_environment_is_read(clean_env):
    clean_env.setenv("KAFKA_BOOTSTRAP_SERVERS", "a:1, b:2")
    clean_env.setenv("NEWSWATCH_TOPIC_PREFIX", "staging-")
    clean_env.setenv("NEWSWATCH_CONFIG_DIR", "/etc/newswatch")
    s = Settings.load()
    assert s.bootstrap_servers == ["a:1", "b:2"]
    assert Topics.from_settings(s).articles == "staging-newswatch.articles"
    assert s.config_file("rules.yaml") == Path("/etc/newswatch/rules.yaml")


def test_local_port_sets_the_default_bootstrap(clean_env):
    clean_env.setenv("NEWSWATCH_KAFKA_PORT", "29092")
    assert Settings.load().bootstrap_servers == ["127.0.0.1:29092"]


def test_secrets_never_show_in_repr_or_str(clean_env):
    clean_env.setenv("SLACK_BOT_TOKEN", "xoxb-very-secret")
    clean_env.setenv("SLACK_WEBHOOK_URL", "https://hooks.example/T/B/secret")
    s = Settings.load()
    assert "very-secret" not in repr(s) and "very-secret" not in str(s)
    assert "secret" not in repr(s.slack_webhook_url)
    assert s.slack_bot_token.get_secret_value() == "xoxb-very-secret"
    clean_env.setenv("SLACK_SIGNING_SECRET", "8f14e45f-signing")
    signed = Settings.load()
    assert "8f14e45f" not in repr(signed) and "8f14e45f" not in str(signed)
    assert signed.slack_signing_secret.get_secret_value() == "8f14e45f-signing"


def test_settings_are_frozen(clean_env):
    s = Settings.load()
    with pytest.raises(Exception):
        s.topic_prefix = "x"


@pytest.mark.parametrize("name, value", [
    ("NEWSWATCH_KAFKA_PORT", "abc"),
    ("NEWSWATCH_KAFKA_PORT", "70000"),
    ("NEWSWATCH_TOPIC_PREFIX", "bad prefix/"),
    ("NEWSWATCH_KAFKA_HEAP_MB", "4096"),
])
def test_bad_values_name_the_variable(clean_env, name, value):
    clean_env.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        Settings.load()


def test_every_setting_is_documented():
    for name, doc in describe_environment():
        assert name.isupper() and len(doc) > 15, name

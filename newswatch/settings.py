"""Settings read once from the environment into one frozen object.

Each field names its environment variable; `newswatch --help` and README list them. Secrets
are `SecretStr`, so they never appear in a repr, a log line or an error message.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from newswatch.errors import ConfigError


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


class Settings(BaseSettings):
    """Process-wide settings. Build with `Settings.load()`; pass it down, never re-read env."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    kafka_bootstrap_servers: str | None = Field(
        None,
        validation_alias=_env("KAFKA_BOOTSTRAP_SERVERS"),
        description="Kafka bootstrap servers, comma separated. Default: the local broker "
        "started by `newswatch kafka up` (127.0.0.1:NEWSWATCH_KAFKA_PORT).",
    )
    kafka_port: int = Field(
        9092,
        ge=1,
        le=65535,
        validation_alias=_env("NEWSWATCH_KAFKA_PORT"),
        description="Port of the local broker (`newswatch kafka up`); the controller uses port+1.",
    )
    kafka_connect_timeout: float = Field(
        10.0, ge=0.5, le=300, validation_alias=_env("NEWSWATCH_KAFKA_CONNECT_TIMEOUT"),
        description="Seconds a command waits for Kafka's first answer before it stops with "
        "one line saying how to start the broker (default 10).",
    )
    kafka_heap_mb: int = Field(
        384, ge=128, le=512, validation_alias=_env("NEWSWATCH_KAFKA_HEAP_MB"),
        description="Java heap of the local broker, in MB (at most 512).",
    )
    slack_bot_token: SecretStr | None = Field(
        None, validation_alias=_env("SLACK_BOT_TOKEN"),
        description="Slack bot token (xoxb-...). With neither token nor webhook, alerts go "
        "to the console.",
    )
    slack_webhook_url: SecretStr | None = Field(
        None, validation_alias=_env("SLACK_WEBHOOK_URL"),
        description="Slack incoming-webhook URL, used when no bot token is set.",
    )
    slack_api_url: str | None = Field(
        None, validation_alias=_env("NEWSWATCH_SLACK_API_URL"),
        description="Base URL of the Slack Web API (tests point it at a local fake).",
    )
    slack_signing_secret: SecretStr | None = Field(
        None, validation_alias=_env("SLACK_SIGNING_SECRET"),
        description="The Slack app's signing secret: `feedback serve` verifies every button "
        "click with it and refuses to start without it.",
    )
    feedback_port: int = Field(
        3100, ge=0, le=65535, validation_alias=_env("NEWSWATCH_FEEDBACK_PORT"),
        description="Port of `newswatch feedback serve` (Slack's interactivity Request URL "
        "points at http(s)://HOST:PORT/slack/actions).",
    )
    feedback_max_body_kb: int = Field(
        256, ge=4, le=4096, validation_alias=_env("NEWSWATCH_FEEDBACK_MAX_BODY_KB"),
        description="Largest interactivity request `feedback serve` reads, in KiB (larger "
        "ones get 413).",
    )
    topic_prefix: str = Field(
        "", validation_alias=_env("NEWSWATCH_TOPIC_PREFIX"),
        pattern=r"^[A-Za-z0-9._-]*$",
        description="Prepended as is to every topic name: `staging-` gives "
        "`staging-newswatch.articles`.",
    )
    config_dir: Path = Field(
        Path("config"), validation_alias=_env("NEWSWATCH_CONFIG_DIR"),
        description="Directory holding feeds.yaml, rules.yaml and alerts.yaml.",
    )
    state_dir: Path = Field(
        Path(".newswatch"), validation_alias=_env("NEWSWATCH_STATE_DIR"),
        description="Local state: the local broker's data and logs, collector state.",
    )
    metrics_port: int | None = Field(
        None, ge=0, le=65535, validation_alias=_env("NEWSWATCH_METRICS_PORT"),
        description="Serve /metrics, /healthz and /readyz on this port (a stage's "
        "--metrics-port wins; `newswatch run` serves all three stages on it).",
    )
    topic_partitions: int = Field(
        6, ge=1, le=1000, validation_alias=_env("NEWSWATCH_TOPIC_PARTITIONS"),
        description="Partitions of the articles and decisions topics.",
    )
    audit_retention_days: int = Field(
        400, ge=-1, validation_alias=_env("NEWSWATCH_AUDIT_RETENTION_DAYS"),
        description="Retention of articles, decisions and the alert ledger in days "
        "(-1: keep forever).",
    )
    deadletter_retention_days: int = Field(
        30, ge=-1, validation_alias=_env("NEWSWATCH_DEADLETTER_RETENTION_DAYS"),
        description="Retention of the dead-letter topic in days.",
    )

    @classmethod
    def load(cls, **overrides: object) -> "Settings":
        """Read the environment; a bad value becomes a ConfigError naming the variable."""
        try:
            return cls(**overrides)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = str(first["loc"][0]) if first["loc"] else "?"
            info = cls.model_fields.get(field)
            names = info.validation_alias.choices[0] if info and info.validation_alias else field
            raise ConfigError(
                f"environment variable {names}: {first['msg']}",
                fix=info.description if info else None,
            ) from None

    @cached_property
    def bootstrap_servers(self) -> list[str]:
        if self.kafka_bootstrap_servers:
            return [s.strip() for s in self.kafka_bootstrap_servers.split(",") if s.strip()]
        return [f"127.0.0.1:{self.kafka_port}"]

    def config_file(self, name: str) -> Path:
        return self.config_dir / name

    def with_config_dir(self, config_dir: Path | None) -> "Settings":
        return self if config_dir is None else self.model_copy(update={"config_dir": config_dir})


def describe_environment() -> list[tuple[str, str]]:
    """(variable, description) for every setting, for README and `--help`."""
    rows = []
    for name, info in Settings.model_fields.items():
        alias = info.validation_alias.choices[0] if info.validation_alias else name.upper()
        rows.append((alias, info.description or ""))
    return rows

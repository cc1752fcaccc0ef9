"""Producer and consumer factories that carry the pipeline's delivery guarantees.

Producers: acks="all" and enable_idempotence=True set explicitly, so a conflicting option is
an error instead of idempotence being switched off quietly. Consumers: no auto-commit;
callers commit after what they produced for a batch is flushed (at-least-once).
"""

from __future__ import annotations

import logging
import time
from typing import Any, Iterable

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.errors import KafkaError

from newswatch.errors import BrokerError
from newswatch.messages import DeadLetter, Provenance, Record, utcnow
from newswatch.settings import Settings

log = logging.getLogger(__name__)

PRODUCER_DEFAULTS: dict[str, Any] = {
    "acks": "all",
    "enable_idempotence": True,
    "linger_ms": 5,
    # With idempotence one batch is in flight per partition; big batches keep throughput up.
    "batch_size": 256 * 1024,
    "max_request_size": 4 * 1024 * 1024,
    "request_timeout_ms": 30_000,
    "delivery_timeout_ms": 120_000,
}

CONSUMER_DEFAULTS: dict[str, Any] = {
    "enable_auto_commit": False,
    "auto_offset_reset": "earliest",
    "max_poll_records": 500,
    "session_timeout_ms": 10_000,
    "heartbeat_interval_ms": 3_000,
}


def unreachable(settings: Settings, exc: Exception) -> BrokerError:
    return BrokerError(
        f"cannot reach Kafka at {','.join(settings.bootstrap_servers)}: {exc}",
        fix="start the local broker with `newswatch kafka up`, or set KAFKA_BOOTSTRAP_SERVERS",
    )


def bootstrap_timeout(settings: Settings) -> dict[str, Any]:
    """How long a client waits for the first answer: short, so that a command started with
    the broker down says so in one line instead of waiting out kafka-python's 30 s."""
    return {"bootstrap_timeout_ms": int(settings.kafka_connect_timeout * 1000)}


def make_producer(settings: Settings, **overrides: Any) -> KafkaProducer:
    """A producer with keys and values as bytes; refuses to weaken acks or idempotence."""
    config = {**PRODUCER_DEFAULTS, **bootstrap_timeout(settings), **overrides}
    if config["acks"] not in ("all", -1) or not config["enable_idempotence"]:
        raise BrokerError("producers must keep acks='all' and enable_idempotence=True",
                          fix="remove the override")
    try:
        return KafkaProducer(bootstrap_servers=settings.bootstrap_servers,
                             client_id="newswatch", **config)
    except KafkaError as exc:
        raise unreachable(settings, exc) from None


def make_consumer(settings: Settings, group_id: str | None, topics: Iterable[str] = (),
                  **overrides: Any) -> KafkaConsumer:
    """A consumer that never commits on its own. `group_id=None` joins no group (replay)."""
    config = {**CONSUMER_DEFAULTS, **bootstrap_timeout(settings), **overrides}
    if config["enable_auto_commit"]:
        raise BrokerError("consumers must not auto-commit", fix="commit after flushing output")
    try:
        consumer = KafkaConsumer(bootstrap_servers=settings.bootstrap_servers,
                                 group_id=group_id, client_id="newswatch", **config)
    except KafkaError as exc:
        raise unreachable(settings, exc) from None
    topics = list(topics)
    if topics:
        _await_metadata(consumer, topics, settings)
        consumer.subscribe(topics)
    return consumer


def _await_metadata(consumer: KafkaConsumer, topics: list[str], settings: Settings,
                    timeout: float = 30.0) -> None:
    """Know every topic's partitions before joining the group.

    A member that joins while its client has no metadata for a topic is assigned nothing
    for it until the next metadata refresh (minutes), so a stage started right after
    `topics create` would sit idle. `partitions_for_topic` fetches the metadata now.
    """
    deadline = time.monotonic() + timeout
    missing = list(topics)
    while missing:
        missing = [t for t in missing if not consumer.partitions_for_topic(t)]
        if not missing:
            return
        if time.monotonic() > deadline:
            consumer.close()
            raise BrokerError(f"topic(s) {', '.join(missing)} not found on "
                              f"{','.join(settings.bootstrap_servers)}",
                              fix="run `newswatch topics create` (check NEWSWATCH_TOPIC_PREFIX)")
        time.sleep(0.2)


def make_admin(settings: Settings, **overrides: Any) -> KafkaAdminClient:
    try:
        return KafkaAdminClient(bootstrap_servers=settings.bootstrap_servers,
                                client_id="newswatch-admin",
                                **{**bootstrap_timeout(settings), **overrides})
    except KafkaError as exc:
        raise unreachable(settings, exc) from None


def send(producer: KafkaProducer, topic: str, key: str | None, record: Record,
         headers: dict[str, str] | None = None):
    """Send one record as JSON; returns the future (call `producer.flush()` before commit)."""
    hdrs = [("schema", record.SCHEMA.encode())]
    hdrs += [(k, v.encode()) for k, v in (headers or {}).items()]
    return producer.send(topic, key=key.encode() if key is not None else None,
                         value=record.to_json(), headers=hdrs)


def dead_letter(stage: str, reason: str, *, topic: str, partition: int, offset: int,
                key: bytes | None, value: bytes | None) -> DeadLetter:
    """Build the dead-letter record for a Kafka record that could not be handled."""
    return DeadLetter(
        stage=stage,
        reason=reason,
        source=Provenance(topic=topic, partition=partition, offset=offset),
        key=key.decode("utf-8", "replace") if key is not None else None,
        value=(value or b"").decode("utf-8", "replace"),
        at=utcnow(),
    )

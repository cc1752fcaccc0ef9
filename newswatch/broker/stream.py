"""The consume -> handle -> produce -> flush -> commit loop shared by processor and alerter.

At-least-once: offsets are committed only after everything produced for the batch has been
acknowledged. A record that cannot be decoded, or whose handler raises anything but a fatal,
config or broker error, goes to the dead-letter topic with its source offset and
the reason; the loop moves on. A stop request (SIGTERM) ends the loop after the batch in hand.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Callable

from kafka import KafkaConsumer, KafkaProducer
from kafka.errors import KafkaError

from newswatch.broker.clients import dead_letter, send
from newswatch.errors import BrokerError, ConfigError, DecodeError, NewswatchError
from newswatch.messages import Provenance, Record, decode

log = logging.getLogger(__name__)


class Fatal(NewswatchError):
    """Raised by a handler to stop the loop without committing the batch (e.g. revoked token)."""


@dataclass
class Outbox:
    """What a handler produces for one input record; sent, then flushed before commit."""

    producer: KafkaProducer
    futures: list = field(default_factory=list)

    def send(self, topic: str, key: str | None, record: Record,
             headers: dict[str, str] | None = None) -> None:
        self.futures.append(send(self.producer, topic, key, record, headers))

    def flush(self, timeout: float = 60.0) -> None:
        self.producer.flush(timeout=timeout)
        for future in self.futures:
            if future.failed():
                raise BrokerError(f"Kafka did not acknowledge a record: {future.exception}",
                                  fix="check the broker; the batch will be redelivered")
        self.futures.clear()


@dataclass
class StreamStats:
    consumed: int = 0
    handled: int = 0
    dead_lettered: int = 0
    batches: int = 0


Handler = Callable[[Record, Provenance, Outbox], None]


def run_stream(consumer: KafkaConsumer, producer: KafkaProducer, *, stage: str,
               deadletter_topic: str, handle: Handler, stop: threading.Event,
               expect: type[Record] | None = None, poll_ms: int = 500,
               on_idle: Callable[[], None] | None = None,
               on_batch: Callable[[StreamStats], None] | None = None) -> StreamStats:
    """Run until `stop` is set. Returns counts for the caller's summary."""
    stats = StreamStats()
    outbox = Outbox(producer)
    while not stop.is_set():
        try:
            batches = consumer.poll(timeout_ms=poll_ms)
        except KafkaError as exc:
            log.warning("poll failed (%s); retrying", exc)
            stop.wait(1.0)
            continue
        if not batches:
            if on_idle:
                on_idle()
            continue
        for tp, records in batches.items():
            for rec in records:
                stats.consumed += 1
                source = Provenance(topic=rec.topic, partition=rec.partition, offset=rec.offset)
                try:
                    record = decode(rec.value)
                    if expect is not None and not isinstance(record, expect):
                        raise DecodeError(f"expected {expect.SCHEMA}, got {record.SCHEMA}")
                    handle(record, source, outbox)
                    stats.handled += 1
                except (Fatal, ConfigError, BrokerError, KafkaError):
                    raise
                except Exception as exc:  # noqa: BLE001 - a poison record must not stop the stage
                    stats.dead_lettered += 1
                    log.warning("%s: dead-lettering %s:%s@%s: %s", stage, rec.topic,
                                rec.partition, rec.offset, exc)
                    outbox.send(deadletter_topic, rec.key.decode("utf-8", "replace")
                                if rec.key else None,
                                dead_letter(stage, f"{type(exc).__name__}: {exc}", topic=rec.topic,
                                            partition=rec.partition, offset=rec.offset,
                                            key=rec.key, value=rec.value))
        outbox.flush()
        consumer.commit()
        stats.batches += 1
        if on_batch:
            on_batch(stats)
    return stats

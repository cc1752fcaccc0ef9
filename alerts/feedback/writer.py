"""Making a mark durable before the click is acknowledged.

The producer is injected (tests give one pointed at a stopped broker). A mark is written
with acks=all and waited for within a deadline short enough to answer Slack inside its
three seconds; when Kafka does not confirm in time the officer is told to click again,
which writes the same key again (a compacted topic keeps one).
"""

from __future__ import annotations

import logging

from kafka import KafkaProducer
from kafka.errors import KafkaError

from newswatch.broker.clients import send
from newswatch.errors import FeedbackError
from newswatch.messages import Mark

log = logging.getLogger(__name__)


class MarkWriter:
    def __init__(self, producer: KafkaProducer, topic: str, *, timeout: float = 1.5) -> None:
        self.producer = producer
        self.topic = topic
        self.timeout = timeout

    def write(self, mark: Mark) -> None:
        """Return once Kafka has the mark; FeedbackError if it did not confirm in time."""
        try:
            meta = send(self.producer, self.topic, mark.key, mark).get(timeout=self.timeout)
        except KafkaError as exc:
            raise FeedbackError(f"Kafka did not confirm the mark ({type(exc).__name__})",
                                fix="check the broker; the officer can click again") from None
        log.info("mark %s on alert %s by %s recorded at %s:%s@%s", mark.action, mark.alert_id,
                 mark.user, meta.topic, meta.partition, meta.offset)

    def close(self) -> None:
        self.producer.close(timeout=5)

"""Articles -> Kafka, returning only once the broker acknowledged every one of them.

The poller advances a feed's state after `publish` returns and never when it raises, which
is what makes "nothing lost" hold. The producer is injected (acks=all, idempotent, from
`newswatch.broker.clients.make_producer`), so tests can hand in one aimed at a dead port.
"""

from __future__ import annotations

import time
from typing import Sequence

from kafka import KafkaProducer

from newswatch.broker.clients import send
from newswatch.errors import BrokerError
from newswatch.messages import Article


class KafkaPublisher:
    def __init__(self, producer: KafkaProducer, topic: str, *, timeout: float = 30.0) -> None:
        self.producer = producer
        self.topic = topic
        self.timeout = timeout

    def publish(self, articles: Sequence[Article]) -> None:
        """Send and wait for every acknowledgement; BrokerError if any is missing."""
        if not articles:
            return
        deadline = time.monotonic() + self.timeout
        try:
            futures = [send(self.producer, self.topic, a.id, a) for a in articles]
            for future in futures:
                future.get(timeout=max(0.1, deadline - time.monotonic()))
        except Exception as exc:  # noqa: BLE001 - any failure means "not acknowledged"
            raise BrokerError(f"Kafka did not acknowledge {len(articles)} article(s) for "
                              f"{self.topic}: {type(exc).__name__}: {exc}",
                              fix="check the broker; the feed is fetched again in full and "
                              "nothing is marked seen until Kafka acknowledges") from None

"""Articles -> Kafka, returning only once the broker acknowledged every one of them.

The poller advances a feed's validators after `publish` returns and never when it raises,
which is what makes "nothing lost" hold; the articles that were acknowledged before a
failure are reported, so they are marked seen and not produced a second time. The producer is injected (acks=all, idempotent, from
`newswatch.broker.clients.make_producer`), so tests can hand in one aimed at a dead port.
"""

from __future__ import annotations

import time
from typing import Sequence

from kafka import KafkaProducer

from newswatch.broker.clients import send
from newswatch.errors import BrokerError
from newswatch.messages import Article


class PublishError(BrokerError):
    """Not every article was acknowledged; `acked` lists those that were (durable in Kafka)."""

    def __init__(self, message: str, *, acked: Sequence[Article], fix: str) -> None:
        self.acked = list(acked)
        super().__init__(message, fix=fix)


class KafkaPublisher:
    def __init__(self, producer: KafkaProducer, topic: str, *, timeout: float = 30.0) -> None:
        self.producer = producer
        self.topic = topic
        self.timeout = timeout

    def publish(self, articles: Sequence[Article]) -> None:
        """Send and wait for every acknowledgement; PublishError if any is missing."""
        if not articles:
            return
        deadline = time.monotonic() + self.timeout
        futures = []
        try:
            for article in articles:
                futures.append(send(self.producer, self.topic, article.id, article))
            for future in futures:
                future.get(timeout=max(0.1, deadline - time.monotonic()))
        except Exception as exc:  # noqa: BLE001 - any failure means "not acknowledged"
            acked = [a for a, f in zip(articles, futures) if f.is_done and f.succeeded()]
            raise PublishError(
                f"Kafka acknowledged {len(acked)} of {len(articles)} article(s) for "
                f"{self.topic}: {type(exc).__name__}: {exc}", acked=acked,
                fix="check the broker; the feed is fetched again and what was not "
                "acknowledged is offered again") from None

"""`newswatch process`: consume articles, produce one decision per article, matched or not.

Loop: newswatch.broker.stream.run_stream (decode -> classify -> send -> flush -> commit; an
undecodable record goes to the dead-letter topic and the stream moves on). Between batches
the rules file is polled; a good edit is recorded in `newswatch.rulesets` (key: version hash,
acknowledged by the broker) before the first decision made with it; a bad edit is logged
and the last good rules stay in force.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from kafka import KafkaProducer
from kafka.errors import KafkaError

from newswatch.broker.clients import make_consumer, make_producer, send
from newswatch.broker.lag import LagProbe
from newswatch.broker.stream import Outbox, StreamStats, run_stream
from newswatch.errors import BrokerError
from newswatch.messages import CATEGORIES, Article, Provenance, Record
from newswatch.metrics import Metrics
from newswatch.settings import Settings
from newswatch.topics import Topics
from processors.classifier import Classifier
from processors.reload import RulesWatcher
from processors.ruleset import Ruleset

log = logging.getLogger(__name__)
STAGE = "processor"


@dataclass
class ProcessStats:
    consumed: int = 0
    decided: int = 0
    matched: int = 0
    dead_lettered: int = 0
    batches: int = 0
    versions: list[str] = field(default_factory=list)
    rejected_edits: int = 0


def record_ruleset(producer: KafkaProducer, topic: str, ruleset: Ruleset,
                   timeout: float = 30.0) -> None:
    """Write the ruleset to the compacted rulesets topic and wait for the broker's ack."""
    try:
        send(producer, topic, ruleset.version, ruleset.record()).get(timeout=timeout)
    except KafkaError as exc:
        raise BrokerError(f"cannot record rules version {ruleset.version} in {topic}: {exc}",
                          fix="check the broker; no decision is made with unrecorded rules") \
            from None


def run(settings: Settings, stop: threading.Event, *, rules_path: str | Path | None = None,
        group_id: str = "newswatch-processor", producer: KafkaProducer | None = None,
        reload_interval: float = 1.0, metrics: Metrics | None = None) -> ProcessStats:
    """Run the processor until `stop` is set; the batch in hand is finished and committed."""
    metrics = metrics or Metrics()
    ready = metrics.readiness
    for check in ("processor kafka", "processor partitions"):
        ready.set(check, False)
    path = Path(rules_path) if rules_path else settings.config_file("rules.yaml")
    watcher = RulesWatcher(path, interval=reload_interval)  # raises on a broken file
    ready.set("processor rules loaded")
    topics = Topics.from_settings(settings)
    own_producer = producer is None
    producer = producer or make_producer(settings)
    stats = ProcessStats()
    consumer = None
    try:
        record_ruleset(producer, topics.rulesets, watcher.current)
        stats.versions.append(watcher.current.version)
        log.info("processor: %s from %s", watcher.current.describe(), path)
        metrics.rules.info({"name": watcher.current.name, "version": watcher.current.version})
        state = {"classifier": Classifier(watcher.current)}
        consumer = make_consumer(settings, group_id, [topics.articles])
        ready.set("processor kafka")
        lag = LagProbe(consumer, metrics, STAGE)
        timer = metrics.classify_seconds
        by_category = {c: metrics.decisions.labels(c) for c in ("none", *CATEGORIES)}

        def handle(record: Record, source: Provenance, outbox: Outbox) -> None:
            assert isinstance(record, Article)
            started = time.perf_counter()
            decision = state["classifier"].classify_article(record, provenance=source)
            timer.observe(time.perf_counter() - started)
            outbox.send(topics.decisions, record.id, decision,
                        headers={"ruleset": decision.ruleset.version})
            stats.decided += 1
            stats.matched += bool(decision.categories)
            for category in decision.categories or ("none",):
                by_category[category].inc()

        dead = metrics.dead_letters.labels(STAGE)
        counted = {"dead": 0}

        def between_batches(stream: StreamStats | None = None) -> None:
            ready.set("processor partitions", bool(consumer.assignment()))
            if stream is not None and stream.dead_lettered > counted["dead"]:
                dead.inc(stream.dead_lettered - counted["dead"])
                counted["dead"] = stream.dead_lettered
            lag.sample()
            rejected = watcher.rejected
            ruleset = watcher.poll()
            if ruleset is not None:
                record_ruleset(producer, topics.rulesets, ruleset)
                state["classifier"] = Classifier(ruleset)
                stats.versions.append(ruleset.version)
                metrics.rules.info({"name": ruleset.name, "version": ruleset.version})
                metrics.reloads.labels("accepted").inc()
            elif watcher.rejected and watcher.rejected != rejected:
                stats.rejected_edits += 1
                metrics.reloads.labels("refused").inc()

        result = run_stream(consumer, producer, stage=STAGE, deadletter_topic=topics.deadletter,
                            handle=handle, stop=stop, expect=Article,
                            on_idle=between_batches, on_batch=between_batches)
        stats.consumed, stats.dead_lettered = result.consumed, result.dead_lettered
        stats.batches = result.batches
        return stats
    finally:
        if consumer is not None:
            consumer.close(autocommit=False)
        if own_producer:
            producer.flush(timeout=30)
            producer.close(timeout=30)

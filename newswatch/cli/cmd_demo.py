"""`newswatch demo`: the embedded default — a local Kafka, the seed data, output in the terminal."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated

import typer

from newswatch.broker.admin import ensure_topics
from newswatch.broker.clients import make_producer, send
from newswatch.cli.cmd_kafka import local_broker
from newswatch.cli.common import console, load_settings
from newswatch.errors import InputError
from newswatch.messages import Article, decode, utcnow
from newswatch.topics import Topics

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def seed_article(path: Path) -> Article:
    """The owner's seed document as an article record (first sentence as headline)."""
    text = path.read_text(encoding="utf-8").strip()
    first = text.split(". ", 1)[0]
    return Article(id=path.stem.split("_")[-1], feed_id="seed", source="seed", guid=path.name,
                   title=first, content=text, fetched_at=utcnow(),
                   content_hash=hashlib.sha256(text.encode()).hexdigest()[:16])


def demo(seeds: Annotated[Path, typer.Option(help="Directory with the seed articles.")] = SEEDS,
         ) -> None:
    """Start a local Kafka, create the topics, put the seed article through Kafka, print it."""
    from kafka import KafkaConsumer, TopicPartition

    settings = load_settings()
    files = sorted(seeds.glob("*.txt"))
    if not files:
        raise InputError(f"no seed articles (*.txt) in {seeds}", fix="pass --seeds DIR")
    if not settings.kafka_bootstrap_servers:
        status = local_broker(settings).up()
        console.print(f"kafka: {status.describe()}")
    ensure_topics(settings)
    topics = Topics.from_settings(settings)
    producer = make_producer(settings)
    sent = {}
    for path in files:
        article = seed_article(path)
        meta = send(producer, topics.articles, article.id, article).get(timeout=30)
        sent[(meta.partition, meta.offset)] = article
    producer.close()
    consumer = KafkaConsumer(bootstrap_servers=settings.bootstrap_servers, group_id=None,
                             enable_auto_commit=False)
    for (partition, offset), article in sent.items():
        tp = TopicPartition(topics.articles, partition)
        consumer.assign([tp])
        consumer.seek(tp, offset)
        records = consumer.poll(timeout_ms=10_000, max_records=1).get(tp, [])
        if not records:
            raise InputError(f"could not read back {article.id}")
        back = decode(records[0].value)
        console.rule(f"{topics.articles} partition {partition} offset {offset}")
        console.print(f"[bold]{back.title}[/]", highlight=False)
        console.print(back.content, highlight=False)
    consumer.close()


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)

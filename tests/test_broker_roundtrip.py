"""The real broker: records round-trip, consumer groups resume, broken records are reported."""

import threading

from kafka import TopicPartition

from newswatch.broker.clients import make_consumer, make_producer, send
from newswatch.broker.stream import run_stream
from newswatch.messages import Article, DeadLetter, Record, decode
from tests.kafkautil import read_topic
from tests.test_messages import sample_records


def test_each_message_type_round_trips_with_key_and_headers(settings, topics):
    producer = make_producer(settings)
    sent = sample_records()
    for record in sent:
        send(producer, topics.articles, f"key-{record.SCHEMA}", record,
             headers={"origin": "test"}).get(timeout=30)
    producer.close()
    got = read_topic(settings, topics.articles, expect=len(sent), raw=True)
    assert len(got) == len(sent)
    by_key = {rec.key.decode(): rec for rec in got}
    for record in sent:
        rec = by_key[f"key-{record.SCHEMA}"]
        assert decode(rec.value) == record
        headers = dict(rec.headers)
        assert headers["schema"] == record.SCHEMA.encode()
        assert headers["origin"] == b"test"


def test_same_key_lands_in_one_partition_in_order(settings, topics):
    producer = make_producer(settings)
    article = sample_records()[0]
    metas = [send(producer, topics.articles, article.id,
                  article.model_copy(update={"content_hash": str(i)})).get(timeout=30)
             for i in range(5)]
    producer.close()
    assert len({m.partition for m in metas}) == 1
    assert [m.offset for m in metas] == sorted(m.offset for m in metas)


def _produce_numbered(settings, topic, start, count):
    producer = make_producer(settings)
    base = sample_records()[0]
    for i in range(start, start + count):
        send(producer, topic, f"k{i}", base.model_copy(update={"id": f"a{i}"}))
    producer.flush()
    producer.close()


def _consume_group(settings, topic, group, want):
    """Run the shared stream loop in a group until `want` records were handled."""
    consumer = make_consumer(settings, group, [topic])
    producer = make_producer(settings)
    stop = threading.Event()
    seen: list[str] = []

    def handle(record, source, outbox):
        seen.append(record.id)

    def on_batch(stats):
        if stats.handled >= want:
            stop.set()

    timer = threading.Timer(60, stop.set)  # a deadline, not a sleep: the test fails on it
    timer.start()
    try:
        run_stream(consumer, producer, stage="test", deadletter_topic=topic + ".dl",
                   handle=handle, stop=stop, expect=Article, on_batch=on_batch)
    finally:
        timer.cancel()
        consumer.close()
        producer.close()
    return seen


def test_consumer_group_commits_stops_and_resumes_at_the_right_offset(settings, topics):
    _produce_numbered(settings, topics.articles, 0, 10)
    first = _consume_group(settings, topics.articles, "resume-group", 10)
    assert sorted(first) == sorted(f"a{i}" for i in range(10))

    _produce_numbered(settings, topics.articles, 10, 5)
    second = _consume_group(settings, topics.articles, "resume-group", 5)
    assert sorted(second) == sorted(f"a{i}" for i in range(10, 15))

    # The committed offsets equal the end of each partition: nothing will be re-read.
    consumer = make_consumer(settings, "resume-group")
    tps = [TopicPartition(topics.articles, p)
           for p in consumer.partitions_for_topic(topics.articles)]
    ends = consumer.end_offsets(tps)
    assert {tp: consumer.committed(tp) or 0 for tp in tps} == ends
    consumer.close()


def test_a_record_that_cannot_be_decoded_is_dead_lettered_not_fatal(settings, topics):
    producer = make_producer(settings)
    producer.send(topics.articles, key=b"poison", value=b"\x00not json at all").get(30)
    alert = sample_records()[2]  # valid JSON of the wrong type for this stream
    send(producer, topics.articles, "wrong-type", alert).get(30)
    good = sample_records()[0]
    send(producer, topics.articles, good.id, good).get(30)
    producer.close()

    consumer = make_consumer(settings, "dl-group", [topics.articles])
    producer = make_producer(settings)
    stop = threading.Event()
    handled: list[Record] = []
    timer = threading.Timer(60, stop.set)
    timer.start()

    def on_batch(stats):
        if stats.consumed >= 3:
            stop.set()

    stats = run_stream(consumer, producer, stage="processor",
                       deadletter_topic=topics.deadletter,
                       handle=lambda r, s, o: handled.append(r), stop=stop, expect=Article,
                       on_batch=on_batch)
    timer.cancel()
    consumer.close()
    producer.close()

    assert [r.id for r in handled] == [good.id]
    assert stats.dead_lettered == 2
    letters = read_topic(settings, topics.deadletter, expect=2)
    assert all(isinstance(d, DeadLetter) for d in letters)
    by_key = {d.key: d for d in letters}
    assert "not JSON" in by_key["poison"].reason
    assert by_key["poison"].source.topic == topics.articles
    assert by_key["poison"].stage == "processor"
    assert "expected newswatch.article/1" in by_key["wrong-type"].reason

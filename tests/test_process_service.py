"""`newswatch process` against the real broker: decisions, dead letters, rulesets, reload,
SIGTERM. Every wait is a poll with a deadline."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from kafka import KafkaConsumer, TopicPartition

from newswatch.broker.clients import make_producer, send
from newswatch.messages import DeadLetter, Decision, RulesetRecord, decode
from processors import service
from tests.kafkautil import of_type, read_topic
from tests.processutil import ROOT, SMALL_RULES, article, write_rules

DOKDO = dict(title="Japan protested over Dokdo", content="Tokyo protested a visit to Dokdo.")
DRILL = dict(title="South Korea and Japan hold joint drill", content="The drill ended.")
PLAIN = dict(title="Stocks rise", content="Markets were calm.")


def produce(settings, topic, records) -> None:
    producer = make_producer(settings)
    try:
        for rec in records:
            if isinstance(rec, tuple):  # raw (key, value) poison
                producer.send(topic, key=rec[0], value=rec[1])
            else:
                send(producer, topic, rec.id, rec)
        producer.flush(timeout=30)
    finally:
        producer.close(timeout=10)


def committed_all(settings, topic: str, group: str) -> bool:
    consumer = KafkaConsumer(bootstrap_servers=settings.bootstrap_servers, group_id=group,
                             enable_auto_commit=False)
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))]
        end = consumer.end_offsets(tps)
        return all((consumer.committed(tp) or 0) == end[tp] for tp in tps)
    finally:
        consumer.close()


def wait_for(predicate, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class Running:
    """service.run in a thread, stopped (and joined) at the end of the test."""

    def __init__(self, settings, **kwargs) -> None:
        self.stop = threading.Event()
        self.result: dict = {}
        self.thread = threading.Thread(target=self._run, args=(settings,), kwargs=kwargs,
                                       daemon=True)

    def _run(self, settings, **kwargs) -> None:
        try:
            self.result["stats"] = service.run(settings, self.stop, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - surfaced by finish()
            self.result["error"] = exc

    def __enter__(self) -> "Running":
        self.thread.start()
        return self

    def finish(self, timeout: float = 60.0):
        self.stop.set()
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "processor did not stop"
        if "error" in self.result:
            raise self.result["error"]
        return self.result["stats"]

    def __exit__(self, *exc) -> None:
        if self.thread.is_alive():
            self.stop.set()
            self.thread.join(60)


def test_every_article_gets_a_decision_and_poison_goes_to_deadletter(settings, topics):
    write_rules(settings.config_dir)
    group = "proc-a"
    produce(settings, topics.articles, [
        article("a-dokdo", **DOKDO), (b"poison", b"\xff\xfe not json"),
        article("a-drill", **DRILL),
        (b"wrong", DeadLetter(stage="x", reason="y", value="", at="2026-01-01T00:00:00Z")
         .to_json()),
        article("a-plain", **PLAIN)])
    with Running(settings, group_id=group) as running:
        decisions = of_type(read_topic(settings, topics.decisions, expect=3), Decision)
        dead = of_type(read_topic(settings, topics.deadletter, expect=2), DeadLetter)
        wait_for(lambda: committed_all(settings, topics.articles, group), what="commit")
        stats = running.finish()
    by_id = {d.article_id: d for d in decisions}
    assert set(by_id) == {"a-dokdo", "a-drill", "a-plain"}
    assert by_id["a-dokdo"].categories == ("dispute",)
    assert by_id["a-drill"].categories == ("drills", "cooperation")
    assert by_id["a-plain"].categories == () and by_id["a-plain"].severity == "none"
    for d in decisions:
        assert d.input.topic == topics.articles and d.input.offset >= 0
        assert d.title and d.url and d.content_hash
    assert {x.key for x in dead} == {"poison", "wrong"}
    assert all(x.stage == "processor" and x.source.topic == topics.articles for x in dead)
    assert any("not JSON" in x.reason for x in dead)
    assert stats.decided == 3 and stats.dead_lettered == 2
    raw = read_topic(settings, topics.decisions, expect=3, raw=True)
    assert {r.key.decode() for r in raw} == {"a-dokdo", "a-drill", "a-plain"}


def test_ruleset_is_recorded_before_decisions_and_reload_survives_a_bad_edit(settings, topics):
    path = write_rules(settings.config_dir)
    produce(settings, topics.articles, [article("r1", **DOKDO)])
    with Running(settings, group_id="proc-b", reload_interval=0.0) as running:
        first = of_type(read_topic(settings, topics.decisions, expect=1), Decision)[0]
        v1 = first.ruleset.version
        # A broken edit: the processor keeps the last good rules and keeps deciding.
        path.write_text(SMALL_RULES.replace("score: 2\n", "score: lots\n", 1), encoding="utf-8")
        time.sleep(0.05)  # let the file's mtime move on coarse-grained file systems
        produce(settings, topics.articles, [article("r2", **DOKDO)])
        got = read_topic(settings, topics.decisions, expect=2)
        assert {d.article_id: d.ruleset.version for d in got}["r2"] == v1
        # A good edit: new version recorded, then used.
        path.write_text(SMALL_RULES.replace("dispute: {threshold: 2}",
                                            "dispute: {threshold: 50}"), encoding="utf-8")
        wait_for(lambda: len(of_type(read_topic(settings, topics.rulesets), RulesetRecord)) >= 2,
                 what="second ruleset record")
        produce(settings, topics.articles, [article("r3", **DOKDO)])
        got = {d.article_id: d for d in read_topic(settings, topics.decisions, expect=3)}
        stats = running.finish()
    assert got["r3"].ruleset.version != v1 and got["r3"].categories == ()
    assert stats.rejected_edits == 1 and stats.versions == [v1, got["r3"].ruleset.version]
    records = read_topic(settings, topics.rulesets, raw=True)
    versions = [r.key.decode() for r in records]
    assert versions == [v1, got["r3"].ruleset.version]
    first_decision = min(read_topic(settings, topics.decisions, expect=3, raw=True),
                         key=lambda r: r.timestamp)
    assert records[0].timestamp <= first_decision.timestamp
    assert decode(records[0].value).text == SMALL_RULES


def test_bad_rules_at_start_is_a_config_error(settings):
    write_rules(settings.config_dir, SMALL_RULES.replace("severity: high", "severity: odd"))
    from newswatch.errors import ConfigError
    with pytest.raises(ConfigError):
        service.run(settings, threading.Event())


def committed_offsets(settings, topic: str, group: str) -> dict[int, int]:
    consumer = KafkaConsumer(bootstrap_servers=settings.bootstrap_servers, group_id=group,
                             enable_auto_commit=False)
    try:
        parts = sorted(consumer.partitions_for_topic(topic))
        return {p: consumer.committed(TopicPartition(topic, p)) or 0 for p in parts}
    finally:
        consumer.close()


def test_sigterm_mid_stream_finishes_the_batch_and_commits_only_what_was_decided(
        settings, topics, env_for):
    """SIGTERM while articles are flowing: the process exits 0, and every offset it
    committed has its decision in the decisions topic (commit after flush)."""
    write_rules(settings.config_dir)
    total = 3000
    produce(settings, topics.articles, [article(f"s{i}", **(DOKDO if i % 2 else PLAIN))
                                        for i in range(total)])
    proc = subprocess.Popen([sys.executable, "-m", "newswatch", "process",
                             "--group-id", "proc-sig"], cwd=ROOT, env=env_for(settings),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert read_topic(settings, topics.decisions, expect=1, timeout=60)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == 0, err
    assert "processor stopped" in err and "0 dead-lettered" in err
    # Normal start-up and shutdown lines are INFO, shown without -v; nothing here warns.
    started = next(line for line in err.splitlines() if "processor: " in line)
    assert "INFO" in started and "WARNING" not in err
    assert any("INFO" in line and "SIGTERM" in line for line in err.splitlines())
    committed = committed_offsets(settings, topics.articles, "proc-sig")
    decided: dict[int, set[int]] = {}
    for d in of_type(read_topic(settings, topics.decisions, timeout=30), Decision):
        decided.setdefault(d.input.partition, set()).add(d.input.offset)
    assert sum(committed.values()) > 0
    for partition, offset in committed.items():
        assert set(range(offset)) <= decided.get(partition, set())

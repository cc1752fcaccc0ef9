"""The alert ledger: state per alert id, and the rebuild from the topic at start-up."""

from __future__ import annotations

from datetime import datetime, timezone

from alerts.ledger import Ledger, LedgerReader
from newswatch.broker.clients import make_producer, send
from newswatch.messages import Alert

AT = datetime(2026, 1, 30, 9, 0, tzinfo=timezone.utc)


def alert(aid: str, status: str, **kw) -> Alert:
    fields = dict(alert_id=aid, article_id=f"art-{aid}", route="dispute", channel="C0X",
                  status=status, title=f"title {aid}", at=AT)
    fields.update(kw)
    return Alert(**fields)


def test_results_settle_and_stale_intents_never_reopen():
    ledger = Ledger()
    ledger.apply(alert("a", "intent"))
    assert ledger.get("a").status == "intent" and [e.alert_id for e in ledger.unsettled()] == ["a"]
    ledger.apply(alert("a", "failed", error="http_500", attempts=2))
    ledger.apply(alert("a", "posted", ts="1.000100", attempts=3))
    ledger.apply(alert("a", "intent"))  # a late or replayed intent
    entry = ledger.get("a")
    assert entry.status == "posted" and entry.ts == "1.000100" and entry.attempts == 3
    assert entry.opened_at == AT and ledger.unsettled() == []


def test_digest_members_and_open_digests():
    ledger = Ledger()
    for aid in ("m1", "m2"):
        ledger.apply(alert(aid, "throttled", digest_id="dg"))
    assert [e.alert_id for e in ledger.open_digests()["dg"]] == ["m1", "m2"]
    ledger.apply(alert("dg", "intent", route="digest", article_id=""))
    assert "dg" in ledger.open_digests()
    ledger.apply(alert("dg", "posted", route="digest", article_id="", ts="2.0"))
    assert ledger.open_digests() == {}


def test_follow_ups_count_as_replies_of_the_first_alert():
    ledger = Ledger()
    ledger.apply(alert("first", "posted", ts="1.0"))
    ledger.apply(alert("copy1", "intent", duplicate_of="first", thread_ts="1.0"))
    ledger.apply(alert("copy2", "duplicate", duplicate_of="first"))
    assert ledger.get("first").replies == {"copy1"}


def test_rebuild_reads_the_whole_topic_including_other_instances(settings, topics):
    producer = make_producer(settings)
    records = [alert("a", "intent"), alert("b", "intent"), alert("a", "posted", ts="1.1"),
               alert("c", "throttled", digest_id="d")]
    for r in records:
        send(producer, topics.alerts, r.alert_id, r)
    producer.send(topics.alerts, key=b"junk", value=b"not json")
    producer.flush()
    ledger = Ledger()
    reader = LedgerReader(settings, topics.alerts, ledger)
    try:
        assert reader.catch_up(timeout=30) == 4
        assert reader.undecodable == 1
        assert ledger.get("a").status == "posted" and ledger.get("b").status == "intent"
        assert list(ledger.open_digests()) == ["d"]
        # Another instance writes later: the reader follows.
        send(producer, topics.alerts, "b", alert("b", "posted", ts="2.2")).get(timeout=30)
        deadline = 50
        while ledger.get("b").status != "posted" and deadline:
            reader.poll(timeout_ms=200)
            deadline -= 1
        assert ledger.get("b").status == "posted"
    finally:
        reader.close()
        producer.close()


def test_settled_alerts_older_than_the_horizon_are_forgotten_unsettled_kept():
    from datetime import timedelta
    ledger = Ledger()
    ledger.apply(alert("old", "posted", ts="1.0"))
    ledger.apply(alert("stuck", "intent"))
    ledger.apply(alert("new", "posted", ts="2.0", at=AT + timedelta(days=5)))
    assert ledger.forget_before(AT + timedelta(days=1)) == 1
    assert "old" not in ledger and "stuck" in ledger and "new" in ledger


def test_a_reply_read_before_its_first_alert_is_still_linked_to_it():
    # The ledger topic is read partition by partition: a reply may come first.
    ledger = Ledger()
    ledger.apply(alert("copy1", "posted", duplicate_of="first", thread_ts="1.0"))
    ledger.apply(alert("first", "posted"))
    assert ledger.get("first").replies == {"copy1"}

"""The poller end to end: local feed server -> real broker, with a fake clock for schedules."""

from __future__ import annotations

import threading
import time

import pytest

from collectors import health
from newswatch.messages import Article
from tests.feedserver import Reply, Script, StaticFeed, feed_server, http_date  # noqa: F401
from tests.feedtools import FakeClock, Harness, Item, dead_producer, rss, write_config
from tests.kafkautil import read_topic

ITEMS = [Item("S. Korea, Japan agree to hold annual defense talks",
              "https://news.example.org/2026/01/30/talks.html?utm_source=rss", "a1",
              "Seoul and Tokyo agreed to regular defense ministerial talks."),
         Item("ROKS Dokdo leads amphibious drill with US Marines",
              "https://news.example.org/2026/01/29/dokdo-ship.html", "a2",
              "The amphibious assault ship ROKS Dokdo led a combined landing drill.")]
NEW_ITEM = Item("Freedom Edge trilateral exercise begins",
                "https://news.example.org/2026/02/11/freedom-edge.html", "a3",
                "Japan, the US and South Korea began the Freedom Edge exercise.")


@pytest.fixture
def harnesses():
    made = []
    yield made
    for h in made:
        h.close()


def harness(harnesses, settings, feeds, clock=None, producer=None, resolver=None, **top):
    h = Harness(settings, write_config(settings, feeds, **top), clock=clock or FakeClock(),
                producer=producer, resolver=resolver)
    harnesses.append(h)
    return h


def articles_in(settings, topics, expect=None, timeout=10.0) -> list[Article]:
    if expect is None:
        return read_topic(settings, topics.articles, timeout=timeout)
    return read_topic(settings, topics.articles, expect=expect, timeout=timeout)


class TestNothingTwice:
    def test_200_then_304_produces_once(self, settings, topics, feed_server, harnesses):
        url = feed_server.route("/wire.xml", StaticFeed(rss(ITEMS), etag='"e1"'))
        h = harness(harnesses, settings, [{"id": "wire", "url": url}])
        first, = h.poll()
        assert (first.outcome, first.http_status, first.new) == ("new", 200, 2)
        second, = h.poll()
        assert (second.outcome, second.http_status, second.new) == ("not-modified", 304, 0)
        assert feed_server.requests_for("/wire.xml")[1].headers["if-none-match"] == '"e1"'
        got = articles_in(settings, topics, expect=2)
        assert sorted(a.title for a in got) == sorted(i.title for i in ITEMS)
        assert got[0].url.startswith("https://news.example.org/") and "utm_" not in "".join(
            a.url for a in got)
        assert len(articles_in(settings, topics)) == 2

    def test_restart_with_a_changed_etag_produces_nothing(self, settings, topics, feed_server,
                                                          harnesses):
        feed = StaticFeed(rss(ITEMS), etag='"e1"')
        url = feed_server.route("/wire.xml", feed)
        h = harness(harnesses, settings, [{"id": "wire", "url": url}])
        h.poll()
        h.close()
        harnesses.remove(h)
        feed.update(rss(ITEMS), etag='"e2-regenerated"')  # same items, new validator
        again = harness(harnesses, settings, [{"id": "wire", "url": url}])
        result, = again.poll()
        assert (result.outcome, result.http_status, result.new) == ("unchanged", 200, 0)
        assert again.state("wire").etag == '"e2-regenerated"'
        assert len(articles_in(settings, topics, expect=2)) == 2
        assert len(articles_in(settings, topics)) == 2

    def test_a_second_feed_carrying_the_same_urls_adds_nothing(self, settings, topics,
                                                               feed_server, harnesses):
        url_a = feed_server.route("/a.xml", StaticFeed(rss(ITEMS)))
        tracked = [Item(i.title, i.link.split("?")[0] + "?utm_campaign=digest#x", "other-" +
                        i.guid, i.description) for i in ITEMS]
        url_b = feed_server.route("/b.xml", StaticFeed(rss(tracked)))
        h = harness(harnesses, settings, [{"id": "a", "url": url_a}, {"id": "b", "url": url_b}])
        results = h.poll()
        assert sum(r.new for r in results) == 2
        got = articles_in(settings, topics, expect=2)
        assert len(articles_in(settings, topics)) == 2 and len({a.id for a in got}) == 2
        assert h.poll()[0].outcome == "not-modified" and h.store.seen_count() == 2

    def test_an_edit_is_produced_again_as_an_update(self, settings, topics, feed_server,
                                                    harnesses):
        feed = StaticFeed(rss(ITEMS), etag='"e1"')
        url = feed_server.route("/wire.xml", feed)
        h = harness(harnesses, settings, [{"id": "wire", "url": url}])
        h.poll()
        edited = [Item(ITEMS[0].title, ITEMS[0].link, ITEMS[0].guid,
                       ITEMS[0].description + " (Updated with the joint statement.)"),
                  ITEMS[1], NEW_ITEM]
        feed.update(rss(edited), etag='"e2"')
        result, = h.poll()
        assert (result.new, result.updates) == (1, 1)
        got = articles_in(settings, topics, expect=4)
        first_versions = [a for a in got if a.guid == "a1"]
        assert len(first_versions) == 2
        original, update = sorted(first_versions, key=lambda a: a.update)
        assert original.id == update.id and original.content_hash != update.content_hash
        assert update.update and "joint statement" in update.summary
        assert [a.update for a in got if a.guid == "a3"] == [False]
        assert h.state("wire").updates_produced == 1 and h.state("wire").items_produced == 4
        h.poll()  # a third poll with the same edit adds nothing
        assert len(articles_in(settings, topics)) == 4


class TestNothingLost:
    def test_broker_down_marks_nothing_and_the_next_poll_delivers(self, settings, topics,
                                                                  feed_server, harnesses):
        url = feed_server.route("/wire.xml", StaticFeed(rss(ITEMS), etag='"e1"'))
        feeds = [{"id": "wire", "url": url}]
        down = harness(harnesses, settings, feeds, producer=dead_producer(settings))
        result, = down.poll()
        assert result.outcome == "broker-error" and "acknowledged 0 of 2" in result.error
        state = down.state("wire")
        assert state.etag is None and state.items_produced == 0
        assert down.store.seen_count() == 0
        down.producer.close(timeout=1)
        down.close()
        harnesses.remove(down)

        up = harness(harnesses, settings, feeds)
        result, = up.poll()
        # No validators were kept, so the server sent everything again.
        assert "if-none-match" not in feed_server.requests_for("/wire.xml")[1].headers
        assert (result.outcome, result.new) == ("new", 2)
        assert len(articles_in(settings, topics, expect=2)) == 2
        assert up.poll()[0].outcome == "not-modified"
        assert len(articles_in(settings, topics)) == 2

    def test_new_items_during_an_outage_arrive_after_it(self, settings, topics, feed_server,
                                                        harnesses):
        feed = StaticFeed(rss(ITEMS), etag='"e1"')
        url = feed_server.route("/wire.xml", feed)
        feeds = [{"id": "wire", "url": url}]
        h = harness(harnesses, settings, feeds)
        h.poll()
        h.close()
        harnesses.remove(h)
        feed.update(rss(ITEMS + [NEW_ITEM]), etag='"e2"')
        down = harness(harnesses, settings, feeds, producer=dead_producer(settings))
        assert down.poll()[0].outcome == "broker-error"
        assert down.state("wire").etag == '"e1"'  # validators did not advance
        down.producer.close(timeout=1)
        down.close()
        harnesses.remove(down)
        up = harness(harnesses, settings, feeds)
        result, = up.poll()
        assert (result.outcome, result.new) == ("new", 1)
        got = articles_in(settings, topics, expect=3)
        assert sorted(a.guid for a in got) == ["a1", "a2", "a3"]


    def test_what_kafka_acknowledged_before_a_failure_is_not_produced_twice(
            self, settings, topics, feed_server, harnesses):
        from kafka.admin import ConfigResource, ConfigResourceType
        from newswatch.broker.clients import make_admin

        def topic_limit(max_bytes: int) -> None:
            admin = make_admin(settings)
            try:
                admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topics.articles,
                                                    configs={"max.message.bytes": str(max_bytes)})])
            finally:
                admin.close()

        small = [Item(f"Short story {i}", f"https://news.example.org/s{i}", f"s{i}", "brief")
                 for i in range(6)]
        big = Item("Long story", "https://news.example.org/long", "long", "word " * 2000)
        url = feed_server.route("/f", StaticFeed(rss(small + [big])))
        feeds = [{"id": "f", "url": url}]
        topic_limit(4000)  # the broker now refuses the long story (a real Kafka error)
        h = harness(harnesses, settings, feeds)
        result, = h.poll()
        assert result.outcome == "broker-error"
        in_kafka = read_topic(settings, topics.articles, timeout=10)
        assert 0 < len(in_kafka) < 7 and h.store.seen_count() == len(in_kafka)
        assert h.state("f").etag is None  # validators did not advance
        h.close()
        harnesses.remove(h)

        topic_limit(1024 * 1024)
        again = harness(harnesses, settings, feeds)
        result, = again.poll()
        assert result.outcome == "new" and result.new == 7 - len(in_kafka)
        everything = articles_in(settings, topics, expect=7)
        assert len(everything) == 7 and len({a.id for a in everything}) == 7


class TestSchedule:
    def test_429_retry_after_seconds_is_honoured(self, settings, feed_server, harnesses):
        url = feed_server.route("/f", Script(Reply(429, b"", {"Retry-After": "120"}),
                                             StaticFeed(rss(ITEMS))))
        clock = FakeClock()
        h = harness(harnesses, settings, [{"id": "f", "url": url, "interval": 60}], clock=clock)
        result, = h.poll()
        assert result.outcome == "throttled"
        assert h.state("f").not_before == clock.now() + 120
        clock.advance(119)
        assert h.poller.poll_due() == []  # not due: regular schedule
        assert h.poll()[0].outcome == "deferred"  # not even a --once cycle asks early
        assert len(feed_server.requests_for("/f")) == 1
        clock.advance(2)
        assert h.poller.poll_due()[0].outcome == "new"

    def test_429_retry_after_http_date_is_honoured(self, settings, feed_server, harnesses):
        clock = FakeClock()
        when = http_date(clock.now() + 3600)
        url = feed_server.route("/f", Reply(429, b"", {"Retry-After": when}))
        h = harness(harnesses, settings, [{"id": "f", "url": url}], clock=clock)
        h.poll()
        assert h.state("f").not_before == pytest.approx(clock.now() + 3600, abs=1)
        assert "Retry-After" in h.state("f").last_error

    def test_retry_after_is_capped(self, settings, feed_server, harnesses):
        url = feed_server.route("/f", Reply(429, b"", {"Retry-After": "99999999"}))
        clock = FakeClock()
        h = harness(harnesses, settings, [{"id": "f", "url": url}], clock=clock,
                    limits={"max_retry_after": "2h"})
        h.poll()
        assert h.state("f").not_before == clock.now() + 7200

    def test_500_backs_off_then_recovers(self, settings, topics, feed_server, harnesses):
        url = feed_server.route("/f", Script(Reply(500), Reply(503), StaticFeed(rss(ITEMS))))
        clock = FakeClock()
        h = harness(harnesses, settings, [{"id": "f", "url": url, "interval": 600}],
                    clock=clock)
        first, = h.poll()
        assert (first.outcome, first.error) == ("error", "HTTP 500")
        state = h.state("f")
        assert state.failures == 1 and 300 <= state.next_due - clock.now() <= 600
        clock.advance(state.next_due - clock.now() - 1)
        assert h.poller.poll_due() == []
        clock.advance(1)
        assert h.poller.poll_due()[0].error == "HTTP 503"  # 503 without Retry-After: error
        state = h.state("f")
        assert state.failures == 2 and 600 <= state.next_due - clock.now() <= 1200
        clock.advance(1200)
        recovered, = h.poller.poll_due()
        assert (recovered.outcome, recovered.new) == ("new", 2)
        state = h.state("f")
        assert (state.failures, state.status, state.last_success_at) == (0, "ok", clock.now())
        assert len(articles_in(settings, topics, expect=2)) == 2

    def test_backoff_is_capped_and_the_feed_never_abandoned(self, settings, feed_server,
                                                            harnesses):
        url = feed_server.route("/f", Reply(500))
        clock = FakeClock()
        h = harness(harnesses, settings, [{"id": "f", "url": url, "interval": 60}],
                    clock=clock, limits={"backoff_cap": "1h"})
        delays = []
        for _ in range(15):
            h.poll()
            state = h.state("f")
            delays.append(state.next_due - clock.now())
            clock.advance(delays[-1])
        assert delays[0] <= 60 and delays[4] >= 16 * 60 / 2
        assert all(1800 <= d <= 3600 for d in delays[7:])  # at the cap, still tried
        assert h.state("f").failures == 15 and len(feed_server.requests_for("/f")) == 15

    def test_410_marks_the_feed_gone(self, settings, feed_server, harnesses):
        url = feed_server.route("/f", Reply(410, b"gone"))
        clock = FakeClock()
        h = harness(harnesses, settings, [{"id": "f", "url": url}], clock=clock,
                    limits={"gone_recheck": "1d"})
        assert h.poll()[0].outcome == "gone"
        state = h.state("f")
        assert state.status == "gone" and "gone" in health.flags(state, clock.now())
        clock.advance(3600)
        assert h.poll()[0].outcome == "deferred"
        clock.advance(86400)
        assert h.poll()[0].outcome == "gone"  # checked again a day later
        assert len(feed_server.requests_for("/f")) == 2

    def test_interval_has_jitter(self, settings, feed_server, harnesses):
        urls = [feed_server.route(f"/f{i}", StaticFeed(rss([]))) for i in range(8)]
        clock = FakeClock()
        h = harness(harnesses, settings, [{"id": f"f{i}", "url": u, "interval": 1000}
                                          for i, u in enumerate(urls)], clock=clock)
        h.poll()
        dues = [h.state(f"f{i}").next_due - clock.now() for i in range(8)]
        assert all(900 <= d <= 1100 for d in dues) and len(set(dues)) == 8

    def test_concurrency_limits_per_host_and_in_total(self, settings, feed_server, harnesses):
        lock = threading.Lock()
        load = {"a.test": 0, "b.test": 0, "all": 0}
        peak = {"a.test": 0, "b.test": 0, "all": 0}

        def slow(request):
            host = request.headers["host"].split(":")[0]
            with lock:
                for key in (host, "all"):
                    load[key] += 1
                    peak[key] = max(peak[key], load[key])
            time.sleep(0.15)  # the server is slow; the test measures overlap, not time
            with lock:
                load[host] -= 1
                load["all"] -= 1
            return Reply(200, rss([]))

        port = feed_server.base_url.rsplit(":", 1)[1]
        feeds = []
        for host in ("a.test", "b.test"):
            for i in range(5):
                feed_server.route(f"/{host}/{i}", slow)
                feeds.append({"id": f"{host[0]}{i}", "url": f"http://{host}:{port}/{host}/{i}"})
        h = harness(harnesses, settings, feeds, resolver=lambda host, port: ["127.0.0.1"],
                    limits={"concurrency": 3, "per_host": 2})
        results = h.poll()
        assert [r.outcome for r in results] == ["unchanged"] * 10
        assert peak["a.test"] <= 2 and peak["b.test"] <= 2 and peak["all"] <= 3
        assert peak["all"] >= 2  # they did run in parallel


class TestHealth:
    def test_health_fields_follow_the_feed(self, settings, feed_server, harnesses):
        url = feed_server.route("/f", Script(StaticFeed(rss(ITEMS)), Reply(500)))
        clock = FakeClock()
        h = harness(harnesses, settings, [{"id": "f", "url": url}], clock=clock)
        h.poll()
        ok_at = clock.now()
        clock.advance(3600)
        h.poll()
        view = health.health_of(h.state("f"), clock.now())
        assert view.items_produced == 2 and view.failures == 1
        assert view.last_success_at.timestamp() == ok_at
        assert view.last_error == "HTTP 500" and view.last_error_at.timestamp() == clock.now()

    def test_a_feed_silent_far_longer_than_usual_is_flagged(self, settings, feed_server,
                                                           harnesses):
        feed = StaticFeed(rss([]), etag=None, last_modified=None)
        url = feed_server.route("/f", feed)
        clock = FakeClock()
        h = harness(harnesses, settings, [{"id": "f", "url": url, "interval": "15m"}],
                    clock=clock)
        items: list[Item] = []
        for hour in range(5):  # a new article every hour
            items.append(Item(f"Story {hour}", f"https://news.example.org/{hour}", f"g{hour}"))
            feed.update(rss(items))
            h.poll()
            clock.advance(3600)
        assert not health.is_silent(h.state("f"), clock.now())
        clock.advance(24 * 3600)
        h.poll()  # the feed answers, but nothing new for a day
        state = h.state("f")
        assert state.status == "ok" and "silent" in health.flags(state, clock.now())

    def test_malformed_feeds_are_used_and_counted(self, settings, topics, feed_server,
                                                  harnesses):
        body = rss(ITEMS).replace(b"</channel>", b"<broken attr=>").replace(b"</rss>", b"")
        url = feed_server.route("/f", StaticFeed(body))
        h = harness(harnesses, settings, [{"id": "f", "url": url}])
        result, = h.poll()
        assert result.new == 2 and "not well-formed" in result.problem
        assert h.state("f").malformed_polls == 1
        assert len(articles_in(settings, topics, expect=2)) == 2

    def test_a_feed_that_yields_nothing_is_an_error(self, settings, feed_server, harnesses):
        url = feed_server.route("/f", StaticFeed(b"<html><body>Sorry, moved</body></html>",
                                                 content_type="text/html"))
        h = harness(harnesses, settings, [{"id": "f", "url": url}])
        result, = h.poll()
        assert result.outcome == "error" and "not a feed" in result.error
        assert h.state("f").failures == 1 and h.state("f").etag is None

    def test_a_hostile_feed_does_not_stall_the_others(self, settings, topics, feed_server,
                                                      harnesses):
        from tests.feedserver import Drip, Stall
        feed_server.route("/stall", Stall())
        feed_server.route("/drip", Drip(total=100_000, interval=0.05))
        feed_server.route("/bomb", Reply(200, b"<rss>" + b" " * (3 << 20), content_length=False))
        good = feed_server.route("/good", StaticFeed(rss(ITEMS)))
        feeds = [{"id": "stall", "url": feed_server.url("/stall")},
                 {"id": "drip", "url": feed_server.url("/drip")},
                 {"id": "big", "url": feed_server.url("/bomb")},
                 {"id": "good", "url": good}]
        h = harness(harnesses, settings, feeds,
                    limits={"read_timeout": 1, "deadline": 1.5, "max_bytes": "1MB"})
        results = {r.feed_id: r for r in h.poll()}
        assert results["good"].new == 2
        assert "read-timeout" in results["stall"].error or "deadline" in results["stall"].error
        assert "deadline" in results["drip"].error
        assert "too-large" in results["big"].error
        assert len(articles_in(settings, topics, expect=2)) == 2

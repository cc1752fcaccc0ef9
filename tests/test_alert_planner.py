"""Planning without Kafka or Slack: what a decision turns into (ledger records and posts on
the schedule), for each rule an officer relies on: one alert per story and route, replays
post nothing, copies become thread follow-ups or duplicates, bursts become one digest."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from alerts.clock import ManualClock
from alerts.config import AlertsConfig, load_config
from alerts.jobs import AlertStats, Schedule
from alerts.ledger import Ledger
from alerts.planner import Planner
from tests.alertutil import FAST_CONFIG, decision, headline
from tests.memalert import MemoryRecorder, source


def _config(tmp_path: Path, extra: str = "") -> AlertsConfig:
    path = tmp_path / "alerts.yaml"
    path.write_text(FAST_CONFIG + extra, encoding="utf-8")
    return load_config(path)


class Setup:
    def __init__(self, config: AlertsConfig, *, threads: bool = True,
                 ledger: Ledger | None = None, updates: bool = False) -> None:
        self.clock = ManualClock()
        self.ledger = ledger or Ledger()
        self.recorder = MemoryRecorder(self.ledger, self.clock)
        self.schedule = Schedule()
        self.stats = AlertStats()
        self.planner = Planner(config, self.ledger, self.recorder, self.schedule,
                               clock=self.clock, stats=self.stats, threads=threads,
                               updates=updates)

    def plan(self, d, offset: int = 0):
        src = source(offset)
        self.planner.plan(d, src)
        src.planned = True
        return src

    def due(self):
        return list(self.schedule.due(self.clock.monotonic() + 3600))


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    return Setup(_config(tmp_path))


class TestRouting:
    def test_a_dispute_is_one_intent_and_one_post_per_matching_route(self, setup):
        src = setup.plan(decision("a1", categories=("dispute",), severity="high"))
        jobs = setup.due()
        assert [j.channel for j in jobs] == ["C0DISPUTE1"]
        assert setup.recorder.records[0].status == "intent"
        assert not src.done  # its offset waits for the post

    def test_critical_goes_to_its_route_and_the_watch_floor(self, setup):
        setup.plan(decision("a1", categories=("dispute",), severity="critical"))
        assert sorted(j.channel for j in setup.due()) == ["C0DISPUTE1", "C0FLOOR001"]

    def test_no_category_plans_nothing_and_settles_at_once(self, setup):
        src = setup.plan(decision("a1", categories=()))
        assert setup.recorder.records == [] and len(setup.schedule) == 0
        assert src.done

    def test_a_decision_older_than_max_age_is_not_alerted(self, setup):
        old = setup.clock.now() - timedelta(hours=100)
        setup.plan(decision("a1", decided_at=old))
        assert setup.stats.stale == 1 and setup.recorder.records == []


class TestExactlyOnce:
    def test_a_redelivered_decision_joins_the_planned_post(self, setup):
        first = setup.plan(decision("a1"), offset=0)
        again = setup.plan(decision("a1"), offset=1)
        jobs = setup.due()
        assert len(jobs) == 1 and jobs[0].sources == [first, again]
        assert setup.recorder.statuses(jobs[0].alert_id) == ["intent"]

    def test_a_replay_of_a_posted_alert_plans_nothing(self, setup):
        setup.plan(decision("a1"))
        job = setup.due()[0]
        setup.recorder.record(job.base, "posted", ts="1.0")
        setup.schedule.finished(job)
        src = setup.plan(decision("a1"), offset=5)
        assert setup.stats.already_settled == 1 and src.done and len(setup.schedule) == 0

    def test_an_intent_without_result_is_looked_up_before_posting(self, tmp_path):
        first = Setup(_config(tmp_path))
        first.plan(decision("a1"))
        # a restart: the same ledger, a new planner
        second = Setup(_config(tmp_path), ledger=first.ledger)
        second.plan(decision("a1"))
        job = second.due()[0]
        assert job.reconcile is True
        assert second.recorder.records == []  # no second intent


class TestStories:
    def test_another_feed_copy_of_the_same_url_is_a_duplicate(self, setup):
        setup.plan(decision("a1", url="https://news.example.org/x"))
        setup.plan(decision("a2", url="https://news.example.org/x", feed_id="kyodo-en"))
        assert setup.stats.duplicates == 1 and len(setup.due()) == 1

    def test_a_near_identical_title_becomes_a_thread_follow_up(self, setup):
        setup.plan(decision("a1", title="Japan repeats Dokdo claim in defense white paper"))
        setup.plan(decision("a2", title="Japan repeats Dokdo claim in defense white paper."))
        kinds = sorted(j.kind for j in setup.due())
        assert kinds == ["alert", "follow-up"]

    def test_without_threads_the_copy_is_only_recorded(self, tmp_path):
        s = Setup(_config(tmp_path), threads=False)
        s.plan(decision("a1", title="Japan repeats Dokdo claim in defense white paper"))
        s.plan(decision("a2", title="Japan repeats Dokdo claim in defense white paper."))
        assert [j.kind for j in s.due()] == ["alert"]
        assert [r.status for r in s.recorder.records] == ["intent", "duplicate"]


class TestBursts:
    def test_a_burst_past_the_window_limit_is_held_for_one_digest(self, tmp_path):
        config = _config(tmp_path)
        s = Setup(config.model_copy(update={"throttle": config.throttle.model_copy(
            update={"max_per_window": 2})}))
        for i in range(5):
            s.plan(decision(f"a{i}", title=headline(i)), offset=i)
        assert s.stats.throttled == 3
        s.clock.advance(5)
        s.planner.open_due_digests()
        kinds = sorted(j.kind for j in s.due())
        assert kinds == ["alert", "alert", "digest"]
        digest = s.ledger.open_digests()
        assert [len(members) for members in digest.values()] == [3]

    def test_a_digest_left_by_a_stopped_alerter_is_planned_on_start(self, tmp_path):
        config = _config(tmp_path)
        config = config.model_copy(update={"throttle": config.throttle.model_copy(
            update={"max_per_window": 1})})
        first = Setup(config)
        for i in range(3):
            first.plan(decision(f"a{i}", title=headline(i)), offset=i)
        second = Setup(config, ledger=first.ledger)
        second.planner.resume_digests()
        assert [j.kind for j in second.due()] == ["digest"]

"""Carrying out planned posts without Kafka or Slack: what reaches the channel and what the
ledger says for each outcome a Slack call can have."""

from __future__ import annotations

from pathlib import Path

import pytest

from alerts.delivery import Delivery
from alerts.ledger import Ledger
from alerts.options import AlerterOptions, FaultInjector
from alerts.sinks import DeliveryError
from newswatch.errors import AlertError
from tests.alertutil import decision
from tests.memalert import MemorySink
from tests.test_alert_planner import Setup, _config


class World(Setup):
    def __init__(self, tmp_path: Path, ledger: Ledger | None = None) -> None:
        super().__init__(_config(tmp_path), ledger=ledger, updates=True)
        self.sink = MemorySink()
        self.delivery = Delivery(self.sink, self.ledger, self.recorder, self.schedule,
                                 clock=self.clock, stats=self.stats,
                                 faults=FaultInjector(AlerterOptions()))

    def run(self, seconds: float = 10.0) -> None:
        self.clock.advance(seconds)
        self.delivery.run_due()


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


def _aid(world: World) -> str:
    return world.recorder.records[0].alert_id


class TestPosting:
    def test_a_planned_alert_is_posted_once_and_settles_its_decision(self, world):
        src = world.plan(decision("a1"))
        world.run()
        world.run()
        assert len(world.sink.posts) == 1
        assert world.recorder.statuses(_aid(world)) == ["intent", "posted"]
        assert src.done and world.ledger.get(_aid(world)).ts == "1.000"

    def test_an_alert_found_in_the_channel_is_recorded_not_posted(self, tmp_path):
        first = World(tmp_path)
        first.plan(decision("a1"))  # intent written, then the alerter stopped
        aid = _aid(first)
        restarted = World(tmp_path, ledger=first.ledger)
        restarted.sink.already[aid] = "9.000"  # the post had reached the channel
        restarted.plan(decision("a1"))
        restarted.run()
        assert restarted.sink.posts == []
        assert restarted.recorder.statuses(aid) == ["posted"]
        assert restarted.ledger.get(aid).ts == "9.000" and restarted.stats.reconciled == 1

    def test_a_follow_up_goes_into_the_thread_of_the_first_alert(self, world):
        world.plan(decision("a1", title="Japan repeats Dokdo claim in defense white paper"))
        world.plan(decision("a2", title="Japan repeats Dokdo claim in defense white paper."))
        world.run()
        threads = [thread for _, _, thread in world.sink.posts]
        assert threads == [None, "1.000"]


class TestFailures:
    def test_a_transient_error_retries_later_after_looking_and_pauses_intake(self, world):
        world.sink.fail_with.append(DeliveryError("transient", "server_error", "HTTP 503"))
        src = world.plan(decision("a1"))
        world.run(1)
        assert world.sink.posts == [] and not world.delivery.healthy
        assert world.recorder.statuses(_aid(world)) == ["intent", "failed"]
        assert not src.done
        world.run(120)
        assert len(world.sink.posts) == 1 and world.delivery.healthy and src.done
        assert world.recorder.statuses(_aid(world))[-1] == "posted"

    def test_a_channel_error_dead_letters_the_alert_and_goes_on(self, world):
        world.sink.fail_with.append(DeliveryError("channel", "channel_not_found", "no such"))
        src = world.plan(decision("a1"))
        world.run()
        assert world.recorder.statuses(_aid(world)) == ["intent", "dead-lettered"]
        assert src.done and len(world.recorder.dead) == 1
        assert "channel_not_found" in world.recorder.dead[0]

    def test_bad_credentials_stop_with_the_failure_recorded(self, world):
        world.sink.fail_with.append(DeliveryError("fatal", "invalid_auth", "token refused",
                                                  fix="check NEWSWATCH_SLACK_BOT_TOKEN"))
        src = world.plan(decision("a1"))
        with pytest.raises(AlertError, match="token refused"):
            world.run()
        assert world.recorder.statuses(_aid(world)) == ["intent", "failed"]
        assert world.recorder.flushes == 1 and not src.done


class TestReportsLine:
    def test_the_first_alert_lists_its_reports_and_a_failing_edit_never_holds_a_reply(
            self, world):
        def failing(channel, ts, line):
            raise DeliveryError("transient", "server_error", "HTTP 503")

        world.plan(decision("a1", title="Japan repeats Dokdo claim in defense white paper"))
        world.plan(decision("a2", title="Japan repeats Dokdo claim in defense white paper."))
        world.run()
        assert world.sink.updates and world.sink.updates[-1][2].startswith(
            ":newspaper: *2 reports*")
        world.sink.update_reports = failing  # Slack refuses edits from now on
        third = world.plan(decision("a3", title="Japan repeats Dokdo claim in defense white "
                                                "paper!"), offset=3)
        for _ in range(8):
            world.run(70)
        assert len(world.sink.posts) == 3 and third.done  # the reply went out regardless
        assert len(world.schedule) == 0  # the edit gave up after its attempts

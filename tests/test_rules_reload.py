"""Live reload: a good edit replaces the rules, a bad edit keeps the last good ones."""

from __future__ import annotations

import logging

from processors.reload import RulesWatcher
from tests.processutil import SMALL_RULES, write_rules


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_good_edit_is_picked_up(tmp_path):
    path = write_rules(tmp_path)
    clock = FakeClock()
    watcher = RulesWatcher(path, interval=1.0, clock=clock)
    first = watcher.current.version
    path.write_text(SMALL_RULES.replace("score: 2\n", "score: 3\n", 1), encoding="utf-8")
    assert watcher.poll() is None  # throttled: checked at most once per interval
    clock.now = 2.0
    new = watcher.poll()
    assert new is not None and new.version != first and watcher.current is new
    clock.now = 4.0
    assert watcher.poll() is None  # unchanged file: nothing to do


def test_bad_edit_keeps_last_good_rules_and_says_why(tmp_path, caplog):
    path = write_rules(tmp_path)
    clock = FakeClock()
    watcher = RulesWatcher(path, interval=0.0, clock=clock)
    good = watcher.current
    path.write_text(SMALL_RULES.replace("severity: high", "severity: extreme"),
                    encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="processors.reload"):
        assert watcher.poll(force=True) is None
    assert watcher.current is good
    assert "severity" in watcher.last_error and "id=dokdo-protest" in watcher.last_error
    assert any("keeping version " + good.version in r.getMessage() for r in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="processors.reload"):
        assert watcher.poll(force=True) is None  # same broken version: reported once
    assert not caplog.records
    path.write_text(SMALL_RULES.replace("score: 2\n", "score: 4\n", 1), encoding="utf-8")
    fixed = watcher.poll(force=True)
    assert fixed is not None and watcher.last_error is None


def test_deleted_file_keeps_rules(tmp_path):
    path = write_rules(tmp_path)
    watcher = RulesWatcher(path, interval=0.0, clock=FakeClock())
    good = watcher.current
    path.unlink()
    assert watcher.poll(force=True) is None and watcher.current is good

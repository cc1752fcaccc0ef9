"""Run one or more stages until SIGTERM/SIGINT, each in its own thread.

A stage is a callable taking a `threading.Event`; it returns when the event is set, after
finishing the batch in hand. If one stage fails, the others are asked to stop and the first
error is raised, so a supervisor restarts the whole process instead of running half a
pipeline.
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Callable

log = logging.getLogger(__name__)

Stage = Callable[[threading.Event], object]


def stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM and SIGINT set `stop` (main thread only; elsewhere this does nothing)."""
    if threading.current_thread() is not threading.main_thread():
        return

    def handler(signum, _frame):
        log.info("received %s: finishing the batch in hand", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def run_stages(stages: dict[str, Stage], stop: threading.Event | None = None) -> dict:
    """Run every stage until `stop` is set or one fails; returns each stage's result."""
    stop = stop or threading.Event()
    stop_on_signals(stop)
    results: dict[str, object] = {}
    errors: list[BaseException] = []

    def wrap(name: str, stage: Stage) -> None:
        try:
            results[name] = stage(stop)
        except BaseException as exc:  # noqa: BLE001 - reported to the caller below
            log.error("stage %s failed: %s", name, exc)
            errors.append(exc)
            stop.set()

    threads = [threading.Thread(target=wrap, args=(n, s), name=n, daemon=True)
               for n, s in stages.items()]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        for t in threads:
            t.join(timeout=0.5)
    if errors:
        raise errors[0]
    return results

"""Live reload of the rules file: pick up a saved edit, refuse a broken one.

Polled between batches (cheap: one stat call, at most once per `interval`). A changed file is
hashed; a new version is loaded and compiled before it replaces the current ruleset, so a
broken edit is logged with every problem and the processor keeps the last good rules. The
same broken version is reported once, not on every poll.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from newswatch.errors import ConfigError
from processors.ruleset import Ruleset, load_ruleset, load_ruleset_bytes, version_of

log = logging.getLogger(__name__)


class RulesWatcher:
    def __init__(self, path: str | Path, *, interval: float = 1.0,
                 clock=time.monotonic) -> None:
        self.path = Path(path)
        self.interval = interval
        self.clock = clock
        self.current: Ruleset = load_ruleset(self.path)  # a bad file at start is an error
        self.rejected: str | None = None
        self.last_error: str | None = None
        self._stat = self._signature()
        self._checked = clock()

    def _signature(self) -> tuple | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def poll(self, force: bool = False) -> Ruleset | None:
        """The new ruleset when the file changed to a good new version, else None."""
        now = self.clock()
        if not force and now - self._checked < self.interval:
            return None
        self._checked = now
        signature = self._signature()
        if signature == self._stat and not force:
            return None
        self._stat = signature
        try:
            data = self.path.read_bytes()
        except OSError as exc:
            self._reject("unreadable", f"{self.path}: cannot read ({exc.strerror}); "
                         f"keeping rules version {self.current.version}")
            return None
        version = version_of(data)
        if version == self.current.version or version == self.rejected:
            return None
        try:
            ruleset = load_ruleset_bytes(data, self.path)
        except ConfigError as exc:
            self._reject(version, f"rules file {self.path} version {version} rejected, keeping "
                         f"version {self.current.version}:\n{exc}")
            return None
        log.info("rules reloaded: %s (was %s)", ruleset.describe(), self.current.version)
        self.current = ruleset
        self.rejected = None
        self.last_error = None
        return ruleset

    def _reject(self, version: str, message: str) -> None:
        self.rejected = version
        self.last_error = message
        log.error("%s", message)

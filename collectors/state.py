"""Per-feed state and the articles already produced, in SQLite under settings.state_dir.

The rule that makes "nothing lost" hold: the poller calls `save(..., seen=...)` with new
validators and seen articles only after Kafka acknowledged those articles. A failed
publish saves health (and marks seen only what Kafka did acknowledge) but keeps the old
validators, so the next poll fetches the feed in full again and re-offers the rest. "Nothing twice" is the `seen` table: (article id, content hash) pairs across
all feeds, so a restart, a changed ETag or a second feed carrying the same URL produce
nothing new, while an edit (same id, new hash) is produced once as an update.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Iterable, Literal, Sequence

from pydantic import BaseModel, ConfigDict

from newswatch.settings import Settings

FeedStatus = Literal["new", "ok", "error", "throttled", "gone"]
_CHUNK = 500  # SQLite's default limit on host parameters is 999


class FeedState(BaseModel):
    """What the collector remembers about one feed between polls and restarts."""

    model_config = ConfigDict(frozen=True)
    feed_id: str
    url: str
    etag: str | None = None
    last_modified: str | None = None
    status: FeedStatus = "new"
    next_due: float = 0.0  # epoch seconds: the next regular poll
    not_before: float = 0.0  # epoch seconds: the server asked us to wait (Retry-After, 410)
    failures: int = 0  # consecutive
    polls: int = 0
    last_attempt_at: float | None = None
    last_success_at: float | None = None
    last_error: str | None = None
    last_error_at: float | None = None
    last_http_status: int | None = None
    items_produced: int = 0
    updates_produced: int = 0
    last_new_at: float | None = None
    gap_avg: float | None = None  # typical seconds between polls that brought new items
    gap_count: int = 0
    malformed_polls: int = 0
    last_problem: str | None = None
    moved_to: str | None = None  # where permanent redirects lead

    @classmethod
    def fresh(cls, feed_id: str, url: str) -> "FeedState":
        return cls(feed_id=feed_id, url=url)

    def for_url(self, url: str) -> "FeedState":
        """Validators belong to a URL: a feed whose URL changed starts over on them."""
        if url == self.url:
            return self
        return self.model_copy(update={"url": url, "etag": None, "last_modified": None,
                                       "moved_to": None, "status": "new", "not_before": 0.0,
                                       "next_due": 0.0, "failures": 0})

    def due_at(self) -> float:
        return max(self.next_due, self.not_before)


def default_path(settings: Settings) -> Path:
    return settings.state_dir / "collector" / "state.sqlite3"


class StateStore:
    """Thread-safe; one connection guarded by a lock (writes are small and short)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript("""
            CREATE TABLE IF NOT EXISTS feed_state (
                feed_id TEXT PRIMARY KEY,
                data TEXT NOT NULL
            );
            CREATE TABLE IF NOT EXISTS seen (
                article_id TEXT NOT NULL,
                content_hash TEXT NOT NULL,
                feed_id TEXT NOT NULL,
                first_seen REAL NOT NULL,
                last_seen REAL NOT NULL,
                PRIMARY KEY (article_id, content_hash)
            ) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS seen_last_seen ON seen (last_seen);
        """)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def get(self, feed_id: str) -> FeedState | None:
        with self._lock:
            row = self._db.execute("SELECT data FROM feed_state WHERE feed_id = ?",
                                   (feed_id,)).fetchone()
        return FeedState.model_validate_json(row[0]) if row else None

    def all(self) -> dict[str, FeedState]:
        with self._lock:
            rows = self._db.execute("SELECT data FROM feed_state").fetchall()
        states = (FeedState.model_validate_json(r[0]) for r in rows)
        return {s.feed_id: s for s in states}

    def known(self, article_ids: Iterable[str]) -> dict[str, set[str]]:
        """article id -> content hashes already produced."""
        ids = list(dict.fromkeys(article_ids))
        out: dict[str, set[str]] = {}
        with self._lock:
            for i in range(0, len(ids), _CHUNK):
                chunk = ids[i:i + _CHUNK]
                marks = ",".join("?" * len(chunk))
                for article_id, content_hash in self._db.execute(
                        f"SELECT article_id, content_hash FROM seen WHERE article_id IN ({marks})",
                        chunk):
                    out.setdefault(article_id, set()).add(content_hash)
        return out

    def save(self, state: FeedState, *, seen: Sequence[tuple[str, str]] = (),
             present: Sequence[str] = (), now: float = 0.0) -> None:
        """Write a feed's state and, in the same transaction, what it produced.

        `seen`: (id, hash) pairs Kafka acknowledged. `present`: ids still in the feed, so
        their retention clock restarts.
        """
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT INTO feed_state (feed_id, data) VALUES (?, ?) "
                    "ON CONFLICT (feed_id) DO UPDATE SET data = excluded.data",
                    (state.feed_id, state.model_dump_json()))
                self._db.executemany(
                    "INSERT INTO seen (article_id, content_hash, feed_id, first_seen, last_seen)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET last_seen = excluded.last_seen",
                    [(i, h, state.feed_id, now, now) for i, h in seen])
                ids = list(dict.fromkeys(present))
                for i in range(0, len(ids), _CHUNK):
                    chunk = ids[i:i + _CHUNK]
                    self._db.execute(
                        f"UPDATE seen SET last_seen = ? WHERE article_id IN "
                        f"({','.join('?' * len(chunk))})", [now, *chunk])
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def prune(self, older_than: float) -> int:
        """Forget articles that have not appeared in any feed since `older_than`."""
        with self._lock:
            return self._db.execute("DELETE FROM seen WHERE last_seen < ?",
                                    (older_than,)).rowcount

    def seen_count(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM seen").fetchone()[0]

"""Which articles topic the collector delivers to, and the state that belongs to it.

The collector's `seen` table says "Kafka already has this article". That is true only of
the topic it was delivered to: point the collector at another prefix, another cluster, or
an articles topic deleted and created again, and the old table would make it skip every
article as delivered. So the state lives in one directory per delivery target (cluster
id, topic name, topic id); switching back to an earlier target finds its state again.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

from kafka.errors import KafkaError

from collectors.state import StateStore
from newswatch.broker.clients import make_admin, unreachable
from newswatch.errors import BrokerError
from newswatch.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryTarget:
    cluster_id: str
    topic: str
    topic_id: str

    def __str__(self) -> str:
        return f"cluster {self.cluster_id}, topic {self.topic} (id {self.topic_id})"

    @property
    def key(self) -> str:
        return hashlib.sha256(f"{self.cluster_id}\n{self.topic}\n{self.topic_id}"
                              .encode("utf-8")).hexdigest()[:16]


def delivery_target(settings: Settings, topic: str) -> DeliveryTarget:
    """The cluster and the exact incarnation of `topic` (its id changes when recreated)."""
    admin = make_admin(settings)
    try:
        cluster = admin.describe_cluster()
        described = admin.describe_topics([topic])
    except KafkaError as exc:
        raise unreachable(settings, exc) from None
    finally:
        admin.close()
    found = [t for t in described if t.get("name", t.get("topic")) == topic
             and not t.get("error_code")]
    if not found:
        raise BrokerError(f"topic {topic} does not exist",
                          fix="run `newswatch topics create` (check NEWSWATCH_TOPIC_PREFIX)")
    return DeliveryTarget(str(cluster.get("cluster_id")), topic, str(found[0].get("topic_id")))


def state_root(settings: Settings) -> Path:
    return settings.state_dir / "collector"


def store_for(settings: Settings, target: DeliveryTarget) -> StateStore:
    """The target's own state; the state of an earlier version (one file for every target)
    is adopted by the first target it meets, which is where it was delivered to before."""
    root = state_root(settings)
    directory = root / target.key
    path = directory / "state.sqlite3"
    legacy = root / "state.sqlite3"
    if not path.exists() and legacy.exists():
        directory.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            if (root / f"state.sqlite3{suffix}").exists():
                shutil.move(root / f"state.sqlite3{suffix}", directory / f"state.sqlite3{suffix}")
        log.info("collector state of an earlier version adopted for %s", target)
    elif not path.exists():
        others = [p.parent.name for p in root.glob("*/state.sqlite3")] if root.is_dir() else []
        log.info("no collector state for %s yet: every article in the feeds is new to it%s",
                 target, f" (state of {len(others)} other target(s) kept in {root})"
                 if others else "")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "target.txt").write_text(f"{target}\n", encoding="utf-8")
    return StateStore(path)

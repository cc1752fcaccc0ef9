"""`newswatch topics create`: create the declared topics, verify the ones that exist.

Idempotent: a second run creates nothing. A topic that exists with other partitions or
retention is reported, never altered behind the operator's back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Literal

from kafka.admin import ConfigResource, ConfigResourceType, NewTopic
from kafka.errors import KafkaError

from newswatch.broker.clients import make_admin
from newswatch.errors import BrokerError
from newswatch.settings import Settings
from newswatch.topics import ALL, TopicSpec


@dataclass(frozen=True)
class TopicReport:
    name: str
    status: Literal["created", "ok", "differs"]
    partitions: int
    configs: dict[str, str]
    detail: str = ""


def ensure_topics(settings: Settings, specs: Iterable[TopicSpec] = ALL) -> list[TopicReport]:
    """Create missing topics; compare existing ones with their declaration."""
    specs = list(specs)
    prefix = settings.topic_prefix
    admin = make_admin(settings)
    try:
        existing = set(admin.list_topics())
        missing = [s for s in specs if s.name(prefix) not in existing]
        created: set[str] = set()
        if missing:
            result = admin.create_topics(
                [NewTopic(s.name(prefix), s.partition_count(settings), 1,
                          topic_configs=s.configs(settings)) for s in missing],
                raise_errors=False,
            )
            for topic in result["topics"]:
                if topic["error_code"] == 0:
                    created.add(topic["name"])
                elif topic["error_code"] != 36:  # 36: created meanwhile by another instance
                    raise BrokerError(f"cannot create topic {topic['name']}: "
                                      f"{topic['error_message']}")
        reports = []
        for spec in specs:
            name = spec.name(prefix)
            want_configs = spec.configs(settings)
            want_parts = spec.partition_count(settings)
            if name in created:
                reports.append(TopicReport(name, "created", want_parts, want_configs))
                continue
            reports.append(_verify(admin, name, want_parts, want_configs))
        return reports
    except KafkaError as exc:
        raise BrokerError(f"topic administration failed: {exc}",
                          fix="check that the broker is up (`newswatch kafka status`)") from None
    finally:
        admin.close()


def _verify(admin, name: str, want_parts: int, want_configs: dict[str, str]) -> TopicReport:
    described = admin.describe_topics([name])[0]
    parts = len(described["partitions"])
    resource = ConfigResource(ConfigResourceType.TOPIC, name,
                              configs={k: None for k in want_configs})
    got = admin.describe_configs([resource])["topic"][name]
    have = {k: str(got[k]["value"]) for k in want_configs if k in got}
    problems = []
    if parts != want_parts:
        problems.append(f"{parts} partitions, declared {want_parts}")
    for key, value in want_configs.items():
        if have.get(key) != value:
            problems.append(f"{key}={have.get(key)}, declared {value}")
    if problems:
        return TopicReport(name, "differs", parts, have, "; ".join(problems))
    return TopicReport(name, "ok", parts, have)


def group_lag(settings: Settings, group_id: str, topic: str) -> int:
    """Records in `topic` not yet committed by `group_id` (reads offsets, joins no group)."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=settings.bootstrap_servers, group_id=group_id,
                             enable_auto_commit=False)
    try:
        parts = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in parts]
        if not tps:
            return 0
        ends = consumer.end_offsets(tps)
        begins = consumer.beginning_offsets(tps)
        return sum(ends[tp] - max(consumer.committed(tp) or 0, begins[tp]) for tp in tps)
    finally:
        consumer.close(autocommit=False)

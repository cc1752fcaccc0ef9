"""`topics create`: creates the declared topics once, verifies them after, reports drift."""

from newswatch.broker.admin import ensure_topics
from newswatch.broker.clients import make_admin
from newswatch.settings import Settings
from newswatch.topics import ALL, DAY_MS


def test_second_run_changes_nothing_and_reports_ok(settings):
    # The fixture already ran ensure_topics once; a second run only verifies.
    reports = ensure_topics(settings)
    assert [r.status for r in reports] == ["ok"] * len(ALL)
    assert {r.name for r in reports} == {s.name(settings.topic_prefix) for s in ALL}


def test_topics_get_declared_partitions_and_retention(settings, topics):
    admin = make_admin(settings)
    parts = {t["name"]: len(t["partitions"]) for t in admin.describe_topics(topics.all())}
    admin.close()
    assert parts[topics.articles] == settings.topic_partitions
    assert parts[topics.decisions] == settings.topic_partitions
    reports = {r.name: r for r in ensure_topics(settings)}
    assert reports[topics.articles].configs["retention.ms"] == str(400 * DAY_MS)
    assert reports[topics.rulesets].configs["cleanup.policy"] == "compact"


def test_existing_topic_with_other_settings_is_reported_not_altered(settings, topics):
    other = Settings.load(**{**settings.model_dump(), "topic_partitions": 5,
                             "audit_retention_days": 7})
    reports = {r.name: r for r in ensure_topics(other)}
    art = reports[topics.articles]
    assert art.status == "differs"
    assert "3 partitions, declared 5" in art.detail
    assert f"retention.ms={400 * DAY_MS}, declared {7 * DAY_MS}" in art.detail
    assert reports[topics.deadletter].status == "ok"
    # Still as created.
    assert ensure_topics(settings)[0].status == "ok"


def test_prefix_keeps_pipelines_apart(settings):
    staging = Settings.load(**{**settings.model_dump(), "topic_prefix": "stg-" + settings.topic_prefix})
    created = ensure_topics(staging)
    assert all(r.status == "created" and r.name.startswith("stg-") for r in created)

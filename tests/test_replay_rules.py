"""`newswatch replay` and `rules diff` with real rule files, as an officer runs them.

History is made by the real processor over articles with known record timestamps; then an
edited rules file is replayed over it and must report exactly the articles that change.
"""

import json
import shutil
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from kafka import TopicPartition

from newswatch.broker.clients import make_admin, make_producer
from newswatch.messages import Article
from tests.kafkautil import read_topic

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "000_b2a89f96822d7eba.txt"
DAY0 = datetime(2026, 2, 1, tzinfo=timezone.utc)

DRILL = ("South Korea, US and Japan stage trilateral air drills near Korean Peninsula",
         "South Korea, the United States and Japan staged a trilateral air exercise over "
         "international waters south of Jeju Island on Tuesday, Seoul's Defense Ministry "
         "said. US B-52 bombers, South Korean F-15K jets and Japanese F-2 fighters took part "
         "in the joint drill, the latest in a series of trilateral exercises.")
QUIET = ("K League: Ulsan beat Jeonbuk 2-1",
         "Ulsan HD beat Jeonbuk Hyundai Motors 2-1 on Sunday to move top of the K League 1 "
         "table with three games left.")


def ts(day: int) -> int:
    return int((DAY0 + timedelta(days=day)).timestamp() * 1000)


def make_article(aid, title, text):
    return Article(id=aid, feed_id="wire", source="Wire", url=f"https://news.example/{aid}",
                   title=title, content=text, fetched_at=DAY0, content_hash=f"h-{aid}")


@pytest.fixture
def history(settings, topics):
    shutil.copy(ROOT / "config" / "rules.yaml", settings.config_file("rules.yaml"))
    seed_text = SEED.read_text(encoding="utf-8")
    articles = [(0, make_article("seed", "South Korea, Japan agree to hold annual defense "
                                         "ministerial talks", seed_text)),
                (1, make_article("drill", *DRILL)),
                (2, make_article("quiet", *QUIET))]
    producer = make_producer(settings)
    for day, art in articles:
        producer.send(topics.articles, key=art.id.encode(), value=art.to_json(),
                      timestamp_ms=ts(day)).get(30)
    producer.close()

    import processors.service

    stop = threading.Event()
    worker = threading.Thread(target=processors.service.run, args=(settings, stop),
                              kwargs={"group_id": "history-maker"})
    worker.start()
    try:
        decisions = read_topic(settings, topics.decisions, expect=3, timeout=90)
    finally:
        stop.set()
        worker.join(60)
    assert len(decisions) == 3
    return settings


def edited_rules(settings, tmp_path) -> Path:
    """A copy of the rules in which no drill can reach the drills threshold."""
    text = settings.config_file("rules.yaml").read_text(encoding="utf-8")
    marker = "  drills:\n    description: A military exercise in which South Korea and Japan " \
             "both take part.\n    threshold: 4\n"
    assert marker in text, "the default rules changed shape; update this test's edit"
    path = tmp_path / "edited.yaml"
    path.write_text(text.replace(marker, marker.replace("threshold: 4", "threshold: 1000")),
                    encoding="utf-8")
    return path


def newswatch(env, *args):
    return subprocess.run([sys.executable, "-m", "newswatch", *args], env=env,
                          capture_output=True, text=True, timeout=180)


def test_replay_with_edited_rules_reports_exactly_the_changed_articles(history, env_for,
                                                                       tmp_path):
    env = env_for(history)
    same = newswatch(env, "replay", "--since", "2026-02-01", "--report",
                     str(tmp_path / "same.jsonl"))
    assert same.returncode == 0, same.stderr
    assert "0 changed article(s)" in same.stdout

    report = tmp_path / "edited.jsonl"
    result = newswatch(env, "replay", "--since", "2026-02-01", "--until", "2026-02-05",
                       "--rules", str(edited_rules(history, tmp_path)),
                       "--report", str(report))
    assert result.returncode == 0, result.stderr
    assert "1 changed article(s)" in result.stdout
    lines = [json.loads(x) for x in report.read_text().splitlines()]
    summary, rows = lines[0], lines[1:]
    assert summary["articles"] == 3 and summary["changed"] == 1
    changed = [r for r in rows if r["change"] != "same"]
    # drills implies cooperation in the default rules, so both go.
    assert [(r["article_id"], sorted(r["lost"])) for r in changed] == \
        [("drill", ["cooperation", "drills"])]
    seed = next(r for r in rows if r["article_id"] == "seed")
    assert "cooperation" in seed["then"] and "cooperation" in seed["now"]
    drills = next(c for c in summary["categories"] if c["category"] == "drills")
    assert (drills["matched_then"], drills["matched_now"], drills["no_longer_caught"]) == (1, 0, 1)


def test_window_cuts_by_record_time(history, env_for, tmp_path):
    report = tmp_path / "w.csv"
    result = newswatch(env_for(history), "replay", "--since", "2026-02-02T00:00Z",
                       "--until", "2026-02-03", "--report", str(report))
    assert result.returncode == 0, result.stderr
    assert [line.split(",")[0] for line in report.read_text().splitlines()[1:]] == ["drill"]
    assert "2026-02-02 00:00:00 UTC to 2026-02-03 00:00:00 UTC, 1 article(s)" in result.stdout
    assert "collection time" not in result.stdout  # the window starts inside what was collected


def test_a_window_older_than_the_collection_says_it_counts_collection_time(history, env_for):
    result = newswatch(env_for(history), "replay", "--since", "2025-12-01")
    assert result.returncode == 0, result.stderr
    assert "2025-12-01 00:00:00 UTC to now (" in result.stdout
    assert "the oldest article was collected at 2026-02-01" in result.stdout
    assert "counts collection time" in result.stdout


def test_rules_diff_compares_two_files_over_history(history, env_for, tmp_path):
    result = newswatch(env_for(history), "rules", "diff",
                       str(history.config_file("rules.yaml")), str(edited_rules(history, tmp_path)),
                       "--since", "2026-01-31")
    assert result.returncode == 0, result.stderr
    assert "1 changed article(s)" in result.stdout
    assert "drill" in result.stdout and "K League" not in result.stdout


def test_empty_window_and_bad_rules_get_clear_answers(history, env_for, tmp_path):
    env = env_for(history)
    empty = newswatch(env, "replay", "--since", "2026-06-01")
    assert empty.returncode == 0
    assert "no articles in this window" in empty.stdout
    assert "oldest retained article: 2026-02-01" in empty.stdout

    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\ncategories:\n  drills:\n    threshold: [\n")
    bad = newswatch(env, "replay", "--since", "2026-02-01", "--rules", str(broken))
    assert bad.returncode == 2
    assert f"{broken}:" in bad.stderr and "Traceback" not in bad.stderr

    nonsense = newswatch(env, "replay", "--since", "last tuesday")
    assert nonsense.returncode == 2 and "is not a time" in nonsense.stderr


def test_window_older_than_retention_says_what_was_lost(history, env_for, topics):
    # Move the log start past the first article of its partition, as retention would.
    admin = make_admin(history)
    victims = {}
    for rec in read_topic(history, topics.articles, raw=True):
        if rec.key == b"seed":
            victims[TopicPartition(rec.topic, rec.partition)] = rec.offset + 1
    admin.delete_records(victims)
    admin.close()
    result = newswatch(env_for(history), "replay", "--since", "2026-01-01")
    assert result.returncode == 0, result.stderr
    assert "the window starts before what retention kept" in result.stdout
    assert "2 article(s)" in result.stdout


def test_replay_posts_nothing_unless_a_channel_is_named(history, env_for, tmp_path):
    from tests.fakeslack import FakeSlack

    fake = FakeSlack({"C0REVIEW01": "rules-review"})
    try:
        env = env_for(history, SLACK_BOT_TOKEN=fake.token, NEWSWATCH_SLACK_API_URL=fake.url)
        edited = str(edited_rules(history, tmp_path))
        (history.config_dir / "alerts.yaml").write_text(
            "routes:\n  - name: all\n    channel: C0REVIEW01\n    match: {}\n")
        quiet = newswatch(env, "replay", "--since", "2026-02-01", "--rules", edited)
        assert quiet.returncode == 0, quiet.stderr
        assert fake.calls_to("chat.postMessage") == []

        loud = newswatch(env, "replay", "--since", "2026-02-01", "--rules", edited,
                         "--post-to", "#rules-review")
        assert loud.returncode == 0, loud.stderr
        posts = fake.posts("C0REVIEW01")
        assert len(posts) == 1
        assert "3 articles, 0 newly caught, 1 no longer caught" in posts[0]["text"]
        assert "posted the summary to #rules-review" in loud.stdout
    finally:
        fake.close()

"""`newswatch demo` (what `make demo` runs): the seed article's alert appears in the terminal,
and running it again posts nothing twice."""

import subprocess
import sys

from newswatch.messages import Alert, Decision
from tests.kafkautil import read_topic


def run_demo(env):
    return subprocess.run([sys.executable, "-m", "newswatch", "demo", "--timeout", "90"],
                          env=env, capture_output=True, text=True, timeout=240)


def test_demo_shows_the_seed_alert_once_across_runs(settings, topics, env_for):
    env = env_for(settings, COLUMNS="200")
    env.pop("NEWSWATCH_CONFIG_DIR")  # the demo reads the shipped config/ like a new user
    first = run_demo(env)
    assert first.returncode == 0, first.stderr[-2000:]
    out = first.stdout
    assert "S. Korea, Japan agree to hold annual defense ministerial talks" in out
    assert "COOPERATION" in out
    assert "explain one: newswatch audit" in out

    decisions = read_topic(settings, topics.decisions)
    seed = [d for d in decisions if isinstance(d, Decision)
            and "annual defense ministerial talks" in d.title]
    assert len(seed) == 1 and "cooperation" in seed[0].categories
    posted = [a for a in read_topic(settings, topics.alerts)
              if isinstance(a, Alert) and a.status == "posted"]
    assert any(a.article_id == seed[0].article_id for a in posted)

    second = run_demo(env)
    assert second.returncode == 0, second.stderr[-2000:]
    assert "collected: 0 new or updated article(s)" in second.stdout
    reposted = [a for a in read_topic(settings, topics.alerts)
                if isinstance(a, Alert) and a.status == "posted"]
    assert len(reposted) == len(posted)

"""alerts.yaml: the shipped file loads; mistakes are reported with file, line and fix."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from alerts.config import AlertsConfig, load_config
from newswatch.configfile import ConfigFileError

ROOT = Path(__file__).resolve().parent.parent


def load_text(tmp_path: Path, text: str) -> AlertsConfig:
    path = tmp_path / "alerts.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return load_config(path)


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigFileError) as info:
        load_text(tmp_path, text)
    return [str(p) for p in info.value.problems]


def test_shipped_alerts_yaml_loads():
    config = load_config(ROOT / "config" / "alerts.yaml")
    assert {r.name for r in config.routes} >= {"dispute", "cooperation"}
    assert config.throttle.per_second <= 1.0  # Slack's per-channel rate
    covered = {c for r in config.routes for c in r.match.categories}
    assert covered >= {"dispute", "cooperation", "drills"}


def test_minimal_file_gets_safe_defaults(tmp_path):
    config = load_text(tmp_path, """
        routes:
          - {name: all, channel: "#watch"}
    """)
    assert config.mentions == ()
    assert config.dedupe.window_minutes == 360
    assert config.throttle.per_second == 1.0 and config.threading.follow_ups


def test_bad_channel_names_line_and_fix(tmp_path):
    found = problems(tmp_path, """
        routes:
          - name: dispute
            channel: "watch dispute"
    """)
    assert len(found) == 1
    assert "alerts.yaml:4: routes[0].channel" in found[0]
    assert "'watch dispute' is not a Slack channel" in found[0]
    assert "fix: use the channel ID" in found[0]


def test_mentions_only_accept_slack_ids_or_here_and_channel(tmp_path):
    found = problems(tmp_path, """
        routes:
          - {name: all, channel: "#watch"}
        mentions:
          - min_severity: high
            mention: ["@duty-officers", "everyone"]
    """)
    assert len(found) == 2
    assert all("is not something Slack can mention" in p for p in found)
    assert "alerts.yaml:6:" in found[0]


def test_unknown_category_severity_and_key_are_each_reported(tmp_path):
    found = problems(tmp_path, """
        routes:
          - name: all
            channel: "#watch"
            match: {categories: [senkaku], min_severity: urgent}
            chanel: "#typo"
    """)
    text = "\n".join(found)
    assert "routes[0].match.categories[0]" in text
    assert "routes[0].match.min_severity" in text
    assert "routes[0].chanel" in text and "remove it, or check its spelling" in text


def test_duplicate_route_names_and_empty_routes_are_refused(tmp_path):
    assert "is used twice" in problems(tmp_path, """
        routes:
          - {name: a, channel: "#x"}
          - {name: a, channel: "#y"}
    """)[0]
    assert "routes" in problems(tmp_path, "routes: []\n")[0]


def test_out_of_range_throttle_is_refused(tmp_path):
    found = problems(tmp_path, """
        routes: [{name: a, channel: "#x"}]
        throttle: {per_second: 0, digest_max_items: 100}
    """)
    assert len(found) == 2 and "alerts.yaml:3: throttle.per_second" in found[0]


def test_mentions_follow_severity_and_routes_may_override(tmp_path):
    config = load_text(tmp_path, """
        routes:
          - {name: main, channel: "#watch"}
          - {name: quiet, channel: "#quiet", mentions: []}
          - name: own
            channel: "#own"
            mentions: [{min_severity: low, mention: [U0ANALYST1]}]
        mentions:
          - {min_severity: high, mention: [S0DUTY0001]}
          - {min_severity: critical, mention: [here, S0DUTY0001]}
    """)
    main, quiet, own = config.routes
    assert config.mentions_for(main, "medium") == ()
    assert config.mentions_for(main, "high") == ("S0DUTY0001",)
    assert config.mentions_for(main, "critical") == ("S0DUTY0001", "here")
    assert config.mentions_for(quiet, "critical") == ()
    assert config.mentions_for(own, "low") == ("U0ANALYST1",)

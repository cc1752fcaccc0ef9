"""feeds.yaml: the shipped file and the demo file load; every mistake names file, line, fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.config import load_feeds_config
from collectors.seeds import demo_feeds_config, seed_feed_files
from newswatch.cli import main
from newswatch.configfile import ConfigFileError

ROOT = Path(__file__).resolve().parent.parent


def problems(tmp_path, text) -> str:
    path = tmp_path / "feeds.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigFileError) as info:
        load_feeds_config(path)
    return str(info.value)


def test_shipped_feeds_yaml_loads():
    config = load_feeds_config(ROOT / "config" / "feeds.yaml")
    assert config.allow_private_networks is False
    assert len(config.enabled_feeds) >= 5
    tags = {t for f in config.feeds for t in f.tags}
    assert {"korea", "japan", "wire", "defense-ministry"} <= tags
    assert all(f.url.startswith(("https://", "http://")) for f in config.feeds)
    # Feeds in all three languages, each with its language set.
    assert {f.language for f in config.feeds} == {"en", "ko", "ja"}
    assert {f.language for f in config.enabled_feeds} == {"en", "ko", "ja"}


def test_every_disabled_feed_says_why():
    """A feed that could not be confirmed on the outlet's own feed list stays disabled with a
    comment saying so (the comment block just above its entry, or on its lines)."""
    lines = (ROOT / "config" / "feeds.yaml").read_text(encoding="utf-8").splitlines()
    config = load_feeds_config(ROOT / "config" / "feeds.yaml")
    for feed in config.feeds:
        if feed.enabled:
            continue
        start = next(i for i, line in enumerate(lines) if line.strip() == f"- id: {feed.id}")
        end = next((i for i in range(start + 1, len(lines))
                    if lines[i].lstrip().startswith("- id:")), len(lines))
        before = start
        while before > 0 and lines[before - 1].lstrip().startswith("#"):
            before -= 1
        words = " ".join(lines[before:end]).lower()
        assert "unconfirmed" in words or "unverified" in words or "not confirmed" in words, \
            feed.id


def test_demo_config_loads(tmp_path):
    path = tmp_path / "feeds.yaml"
    path.write_text(demo_feeds_config("http://127.0.0.1:8765/"), encoding="utf-8")
    config = load_feeds_config(path)
    assert config.allow_private_networks
    assert [f.url for f in config.feeds] == [f"http://127.0.0.1:8765/{p.name}"
                                             for p in seed_feed_files()]
    assert len(config.feeds) == 3


def test_defaults_fill_in(tmp_path):
    path = tmp_path / "feeds.yaml"
    path.write_text("feeds:\n  - id: a\n    url: https://a.example.org/rss\n")
    config = load_feeds_config(path)
    feed = config.feeds[0]
    assert (feed.type, feed.language, feed.enabled, feed.tags) == ("rss", "en", True, ())
    assert config.interval(feed) == 900 and config.limits.per_host == 2


def test_durations_and_sizes_are_readable(tmp_path):
    path = tmp_path / "feeds.yaml"
    path.write_text("default_interval: 2h\nlimits:\n  deadline: 45s\n  max_bytes: 512KB\n"
                    "  backoff_cap: 1d\nfeeds:\n  - id: a\n    url: https://a.example.org/\n"
                    "    interval: 90\n")
    config = load_feeds_config(path)
    assert config.default_interval == 7200 and config.feeds[0].interval == 90
    assert config.limits.deadline == 45 and config.limits.max_bytes == 512 * 1024
    assert config.limits.backoff_cap == 86400


@pytest.mark.parametrize("feed_lines,line,expect", [
    ("    url: file:///etc/passwd\n", 3, "other schemes (file, ftp, feed) are refused"),
    ("    url: ftp://x.example.org/feed\n", 3, "not an http(s) URL"),
    ("    url: https://a.example.org/\n    type: json\n", 4, "use one of: rss"),
    ("    url: https://a.example.org/\n    interval: 5 minutes\n", 4, "15m"),
    ("    url: https://a.example.org/\n    interval: 10\n", 4, "10s is out of range (fix: use a value from 1m to 7d"),
    ("    url: https://a.example.org/\n    language: English\n", 4, "ISO 639"),
    ("    url: https://a.example.org/\n    intreval: 15m\n", 4, "check its spelling"),
    ("    url: https://a.example.org/\n    tags: [Korea Japan]\n", 4, "lowercase"),
    ("    url: https://a.example.org/\n    enabled: maybe\n", 4, "true or false"),
])
def test_feed_mistakes_name_line_and_fix(tmp_path, feed_lines, line, expect):
    text = problems(tmp_path, "feeds:\n  - id: a\n" + feed_lines)
    assert f"feeds.yaml:{line}: feeds[0] (id=a)" in text and expect in text
    assert "(fix: " in text


def test_missing_url_and_bad_id(tmp_path):
    text = problems(tmp_path, "feeds:\n  - id: Bad Id!\n    url: https://a.example.org/\n"
                              "  - id: b\n")
    assert "feeds.yaml:2: feeds[0] (id=Bad Id!).id: feed id 'Bad Id!' is not allowed" in text
    assert "feeds.yaml:4: feeds[1] (id=b).url: Field required (fix: add this key)" in text


def test_duplicate_ids_and_urls_point_at_the_second(tmp_path):
    text = problems(tmp_path, "feeds:\n"
                              "  - id: a\n    url: https://a.example.org/\n"
                              "  - id: a\n    url: https://b.example.org/\n"
                              "  - id: c\n    url: https://a.example.org/\n")
    assert "feeds.yaml:4: feeds[1] (id=a).id: id 'a' is already used by feeds[0]" in text
    assert "feeds.yaml:7: feeds[2] (id=c).url: url 'https://a.example.org/' is already used" \
        in text


def test_bad_limits_and_top_level_keys(tmp_path):
    text = problems(tmp_path, "allow_private_network: true\nlimits:\n  per_host: 0\n"
                              "  max_bytes: lots\nfeeds: []\n")
    assert "feeds.yaml:1: allow_private_network" in text and "spelling" in text
    assert "feeds.yaml:3: limits.per_host" in text
    assert "feeds.yaml:4: limits.max_bytes: 'lots' is not a size" in text


def test_cli_exits_2_on_a_bad_feeds_yaml(tmp_path, capsys):
    (tmp_path / "feeds.yaml").write_text("feeds:\n  - id: a\n    url: gopher://x/\n")
    code = main(["collect", "--once", "--config-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert "feeds.yaml:3: feeds[0] (id=a).url" in err and "fix:" in err


def test_cli_exits_2_when_feeds_yaml_is_missing(tmp_path, capsys):
    code = main(["collect", "--once", "--config-dir", str(tmp_path)])
    assert code == 2 and "file not found" in capsys.readouterr().err

"""The console script: help, exit codes, one-line errors."""

import os
import subprocess
import sys



def run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "newswatch", *args], capture_output=True,
                          text=True, timeout=120, env=env)


def test_help_lists_every_job_of_the_design():
    result = run("--help")
    assert result.returncode == 0
    for command in ("kafka", "topics", "demo"):
        assert command in result.stdout
    for variable in ("KAFKA_BOOTSTRAP_SERVERS", "SLACK_BOT_TOKEN", "NEWSWATCH_TOPIC_PREFIX",
                     "NEWSWATCH_CONFIG_DIR", "NEWSWATCH_SLACK_API_URL"):
        assert variable in result.stdout


def test_unknown_command_is_a_usage_error_with_exit_2():
    result = run("frobnicate")
    assert result.returncode == 2
    assert "No such command" in result.stderr


def test_bad_setting_is_exit_2_with_the_variable_named():
    env = {**os.environ, "NEWSWATCH_KAFKA_PORT": "not-a-port"}
    result = run("kafka", "status", env=env)
    assert result.returncode == 2
    assert "NEWSWATCH_KAFKA_PORT" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_broker_is_exit_1_with_the_fix():
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9"}
    result = run("topics", "create", env=env)
    assert result.returncode == 1
    assert "cannot reach Kafka at 127.0.0.1:9" in result.stderr
    assert "newswatch kafka up" in result.stderr
    assert "Traceback" not in result.stderr


def test_usage_lines_name_arguments_the_usual_way():
    """ARTICLE_ID for a required argument, [FILE] for an optional one."""
    assert "Usage: newswatch audit [OPTIONS] ARTICLE_ID" in run("audit", "--help").stdout
    assert "Usage: newswatch rules check [OPTIONS] [FILE]" in \
        run("rules", "check", "--help").stdout
    assert "LABELS... DECISIONS" in run("eval", "--help").stdout


def test_rules_test_shortens_long_titles_at_a_word_with_an_ellipsis():
    from newswatch.cli.common import shorten
    title = "Seoul and Tokyo agree to restore military intelligence sharing " * 3
    short = shorten(title, 100)
    assert len(short) <= 100 and short.endswith("…")
    assert title.startswith(short[:-1]) and title[len(short) - 1] == " "  # a whole word
    assert shorten("Short title", 100) == "Short title"
    assert shorten("独島" * 80, 100) == "独島" * 49 + "独…"


def test_history_commands_with_the_broker_down_stop_in_one_line_with_the_fix():
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9",
           "NEWSWATCH_KAFKA_CONNECT_TIMEOUT": "1"}
    for args in (("audit", "some-article"), ("replay", "--since", "1d"), ("process",)):
        result = run(*args, env=env)
        assert result.returncode == 1, args
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "cannot reach Kafka at 127.0.0.1:9" in lines[0], args
        assert "newswatch kafka up" in lines[0] and "KAFKA_BOOTSTRAP_SERVERS" in lines[0]


def test_json_logs_are_one_object_a_line_with_the_stage():
    import json

    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9",
           "NEWSWATCH_KAFKA_CONNECT_TIMEOUT": "1"}
    result = run("--log-format", "json", "alert", env=env)
    logged = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert logged, result.stderr
    entry = logged[0]
    assert {"time", "level", "stage", "logger", "message"} <= set(entry)
    assert entry["level"] == "INFO" and entry["stage"] == "alert"
    assert entry["time"].endswith("+00:00")


def test_an_unknown_log_format_is_a_usage_error():
    result = run("--log-format", "xml", "rules", "check")
    assert result.returncode == 2 and "text or json" in result.stderr

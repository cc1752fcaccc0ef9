"""`newswatch alert` from the shell: exit codes, one-line errors, the console sink."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

from tests.alertutil import decision, produce, wait_for, write_config
from tests.fakeslack import FakeSlack


def run(args, env, timeout=60):
    return subprocess.run([sys.executable, "-m", "newswatch", *args], env=env,
                          capture_output=True, text=True, timeout=timeout)


def base_env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("NEWSWATCH_", "SLACK_", "KAFKA_"))}
    env.update({"NEWSWATCH_CONFIG_DIR": str(tmp_path), "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9",
                "NEWSWATCH_STATE_DIR": str(tmp_path / "state")})
    env.update(extra)
    return env


def test_bad_alerts_yaml_exits_2_naming_file_line_and_fix(tmp_path):
    (tmp_path / "alerts.yaml").write_text(textwrap.dedent("""
        routes:
          - name: dispute
            channel: "#Dispute Room"
    """))
    result = run(["alert"], base_env(tmp_path))
    assert result.returncode == 2
    assert "alerts.yaml:4: routes[0].channel:" in result.stderr
    assert "fix:" in result.stderr and "Traceback" not in result.stderr


def test_missing_alerts_yaml_exits_2(tmp_path):
    result = run(["alert", "--config-dir", str(tmp_path / "nowhere")], base_env(tmp_path))
    assert result.returncode == 2 and "file not found" in result.stderr


def test_refused_token_exits_1_with_one_line_and_no_secret(tmp_path):
    (tmp_path / "alerts.yaml").write_text('routes: [{name: a, channel: "#watch"}]\n')
    fake = FakeSlack()
    try:
        result = run(["alert"], base_env(tmp_path, SLACK_BOT_TOKEN="xoxb-wrong-secret-value",
                                         NEWSWATCH_SLACK_API_URL=fake.url))
    finally:
        fake.close()
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "invalid_auth" in errors[0] and "SLACK_BOT_TOKEN" in errors[0]
    assert "xoxb-wrong-secret-value" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_bad_fault_option_exits_2(tmp_path):
    (tmp_path / "alerts.yaml").write_text('routes: [{name: a, channel: "#watch"}]\n')
    result = run(["alert"], base_env(tmp_path, NEWSWATCH_ALERT_FAULT="explode"))
    assert result.returncode == 2 and "NEWSWATCH_ALERT_FAULT" in result.stderr


def test_without_slack_alerts_print_to_the_terminal(settings, env_for, tmp_path):
    write_config(settings)
    produce(settings, [decision("t1", title="Japan repeats Dokdo claim in white paper")])
    out = tmp_path / "alert.out"
    with open(out, "w") as stdout:
        proc = subprocess.Popen([sys.executable, "-m", "newswatch", "alert"],
                                env=env_for(settings), stdout=stdout, stderr=subprocess.PIPE,
                                text=True)
        try:
            wait_for(lambda: "white paper" in out.read_text() or proc.poll() is not None,
                     timeout=60, what="the alert on the terminal")
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    text = out.read_text()
    assert "DISPUTE · HIGH" in text and "Japan repeats Dokdo claim in white paper" in text
    assert "https://news.example.org/t1" in text
    assert "alerts go to console" in err and "1 posted" in err

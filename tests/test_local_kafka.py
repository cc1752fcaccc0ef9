"""The local broker launcher behind `newswatch kafka up|down|status`."""

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from newswatch.broker.local import LocalKafka, free_port_pair

NEWSWATCH = [sys.executable, "-m", "newswatch"]


def run_cli(args, env, timeout=120):
    return subprocess.run(NEWSWATCH + args, env=env, capture_output=True, text=True,
                          timeout=timeout)


def base_env(tmp_path, port=None, **extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("NEWSWATCH_", "KAFKA_", "JAVA_HOME"))}
    env["NEWSWATCH_STATE_DIR"] = str(tmp_path / "state")
    if port:
        env["NEWSWATCH_KAFKA_PORT"] = str(port)
    env.update(extra)
    return env


def test_second_up_is_a_no_op(local_broker):
    before = local_broker.status()
    assert before.running
    again = local_broker.up()
    assert again.pid == before.pid


def test_cli_up_status_down_leaves_no_java_process(tmp_path):
    port = free_port_pair()
    env = base_env(tmp_path, port)
    up = run_cli(["kafka", "up"], env)
    assert up.returncode == 0, up.stderr
    assert f"127.0.0.1:{port}" in up.stdout
    status = run_cli(["kafka", "status"], env)
    assert status.returncode == 0 and "running" in status.stdout
    pid = int((tmp_path / "state" / "kafka" / "broker.pid").read_text())

    again = run_cli(["kafka", "up"], env)
    assert again.returncode == 0 and "already running" in again.stdout

    down = run_cli(["kafka", "down"], env)
    assert down.returncode == 0 and "stopped" in down.stdout
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    props = str(tmp_path / "state" / "kafka" / "server.properties")
    leftovers = [p for p in psutil.process_iter(["cmdline"])
                 if props in " ".join(p.info["cmdline"] or ())]
    assert leftovers == []
    after = run_cli(["kafka", "status"], env)
    assert after.returncode == 1 and "not running" in after.stdout


def test_data_survives_a_restart(local_broker, settings, topics):
    """Same data dir after down/up: topics and records are still there (fault tests rely on it)."""
    from newswatch.broker.clients import make_producer, send
    from tests.kafkautil import read_topic
    from tests.test_messages import sample_records

    producer = make_producer(settings)
    send(producer, topics.articles, "k", sample_records()[0]).get(30)
    producer.close()
    local_broker.down()
    assert not local_broker.status().running
    local_broker.up(timeout=120)
    assert len(read_topic(settings, topics.articles, expect=1)) == 1


def _path_without(*programs):
    keep = []
    for entry in os.environ.get("PATH", "").split(os.pathsep):
        if not any((Path(entry) / prog).exists() for prog in programs):
            keep.append(entry)
    return os.pathsep.join(keep)


def test_missing_java_is_a_one_line_error(tmp_path):
    env = base_env(tmp_path, PATH=_path_without("java"))
    result = run_cli(["kafka", "up"], env)
    assert result.returncode == 1
    assert "Java 17+ is not installed" in result.stderr
    assert "openjdk" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_maven_is_a_one_line_error(tmp_path):
    java = shutil.which("java")
    if java is None:
        pytest.skip("no java here")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "java").symlink_to(os.path.realpath(java))
    env = base_env(tmp_path, PATH=os.pathsep.join([str(bindir), _path_without("java", "mvn")]),
                   XDG_CACHE_HOME=str(tmp_path / "cache"))
    result = run_cli(["kafka", "up"], env)
    assert result.returncode == 1
    assert "Maven (mvn) is not installed" in result.stderr
    assert "Traceback" not in result.stderr


def test_port_in_use_is_reported(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        broker = LocalKafka(tmp_path / "state", port=port)
        from newswatch.errors import BrokerError
        with pytest.raises(BrokerError, match="already in use"):
            broker.up()

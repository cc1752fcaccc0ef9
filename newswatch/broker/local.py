"""A local single-node Apache Kafka broker (KRaft combined mode) for development and tests.

The broker is the real Apache Kafka release pinned in `pom.xml`, resolved from Maven Central
with `mvn` once and cached as a classpath file; it runs as `java kafka.Kafka` on 127.0.0.1
with a small heap. State (data, logs, pid) lives under `<state_dir>/kafka/`.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import psutil

from newswatch.errors import BrokerError

log = logging.getLogger(__name__)

POM = Path(__file__).with_name("pom.xml")
MIN_JAVA = 17


def kafka_version() -> str:
    match = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", POM.read_text())
    assert match, "pom.xml lost its kafka.version property"
    return match.group(1)


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "newswatch"


def java_major(java: str) -> int:
    out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60)
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not match:
        return 0
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def find_java() -> str:
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home and (Path(home) / "bin" / "java").exists() \
        else shutil.which("java")
    if not java:
        raise BrokerError(f"Java {MIN_JAVA}+ is not installed",
                          fix="install a JRE, e.g. `apt-get install openjdk-17-jre-headless`")
    major = java_major(java)
    if major < MIN_JAVA:
        raise BrokerError(f"{java} is Java {major or 'unknown'}; Kafka 4 needs Java {MIN_JAVA}+",
                          fix="install openjdk-17 or newer and put it first on PATH or in JAVA_HOME")
    return java


def resolve_classpath() -> str:
    """The broker's classpath, resolved by Maven once per pom and cached."""
    digest = hashlib.sha256(POM.read_bytes()).hexdigest()[:12]
    cached = cache_dir() / f"kafka-{kafka_version()}-{digest}.classpath"
    if cached.exists():
        classpath = cached.read_text().strip()
        if all(Path(p).exists() for p in classpath.split(os.pathsep)):
            return classpath
    mvn = shutil.which("mvn")
    if not mvn:
        raise BrokerError("Maven (mvn) is not installed; it fetches the Kafka broker",
                          fix="install it, e.g. `apt-get install maven`")
    cached.parent.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(".tmp")
    proc = subprocess.run(
        [mvn, "-q", "-B", "-f", str(POM), "dependency:build-classpath",
         f"-Dmdep.outputFile={tmp}"],
        capture_output=True, text=True, timeout=900,
    )
    if proc.returncode != 0 or not tmp.exists():
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-5:]
        raise BrokerError("Maven could not resolve the Kafka broker: " + " | ".join(tail),
                          fix="check network access to Maven Central and ~/.m2/settings.xml")
    tmp.replace(cached)
    return cached.read_text().strip()


def free_port_pair(host: str = "127.0.0.1") -> int:
    """A port p such that p and p+1 (broker and controller) are both free on `host`."""
    import random

    for _ in range(200):
        port = random.randint(20000, 60000)
        free = True
        for candidate in (port, port + 1):
            with socket.socket() as sock:
                try:
                    sock.bind((host, candidate))
                except OSError:
                    free = False
        if free:
            return port
    raise BrokerError(f"no two consecutive free ports on {host}")


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


@dataclass(frozen=True)
class BrokerStatus:
    running: bool
    pid: int | None
    bootstrap: str
    data_dir: Path
    log_file: Path

    def describe(self) -> str:
        if self.running:
            return f"running (pid {self.pid}) at {self.bootstrap}, data in {self.data_dir}"
        return f"not running (would listen on {self.bootstrap})"


class LocalKafka:
    """Start, stop and inspect the local broker. Safe to call `up` twice."""

    def __init__(self, state_dir: Path, port: int = 9092, heap_mb: int = 384,
                 host: str = "127.0.0.1") -> None:
        self.home = Path(state_dir).resolve() / "kafka"
        self.port = port
        self.controller_port = port + 1
        self.heap_mb = min(heap_mb, 512)
        self.host = host
        self.data_dir = self.home / "data"
        self.pid_file = self.home / "broker.pid"
        self.log_file = self.home / "server.log"
        self.properties = self.home / "server.properties"

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    # -- inspection -------------------------------------------------------------------
    def _pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        try:
            cmdline = " ".join(psutil.Process(pid).cmdline())
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            return None
        return pid if "kafka.Kafka" in cmdline and str(self.properties) in cmdline else None

    def status(self) -> BrokerStatus:
        pid = self._pid()
        return BrokerStatus(pid is not None, pid, self.bootstrap, self.data_dir, self.log_file)

    # -- lifecycle ----------------------------------------------------------------------
    def up(self, timeout: float = 60.0) -> BrokerStatus:
        """Format storage on first use, start the broker, wait until it answers metadata."""
        current = self.status()
        if current.running:
            return current
        java = find_java()
        classpath = resolve_classpath()
        if port_open(self.host, self.port) or port_open(self.host, self.controller_port):
            raise BrokerError(
                f"port {self.port} or {self.controller_port} on {self.host} is already in use",
                fix="stop what listens there or choose another port with NEWSWATCH_KAFKA_PORT",
            )
        self.home.mkdir(parents=True, exist_ok=True)
        self._write_config()
        if not (self.data_dir / "meta.properties").exists():
            self._format(java, classpath)
        cmd = [java, f"-Xmx{self.heap_mb}m", f"-Xms{min(self.heap_mb, 128)}m",
               "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-Djava.awt.headless=true",
               f"-Dlog4j2.configurationFile={self.home / 'log4j2.properties'}",
               f"-Dkafka.logs.dir={self.home}",
               "-cp", classpath, "kafka.Kafka", str(self.properties)]
        with open(self.home / "stdout.log", "ab") as out:
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        self.pid_file.write_text(str(proc.pid))
        self._wait_ready(proc, timeout)
        return self.status()

    def down(self, timeout: float = 30.0) -> bool:
        """Stop the broker started by `up`; True if one was running. Leaves no process."""
        pid = self._pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        proc = psutil.Process(pid)
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except psutil.TimeoutExpired:
            log.warning("broker %s did not stop in %ss; killing it", pid, timeout)
            proc.kill()
            proc.wait(10)
        self.pid_file.unlink(missing_ok=True)
        return True

    @classmethod
    @contextlib.contextmanager
    def bootstrap_or_temporary(cls, heap_mb: int = 384) -> Iterator[str]:
        """KAFKA_BOOTSTRAP_SERVERS when set, else a broker of its own in a temporary
        directory on free ports, stopped on exit (benchmarks and one-off tools)."""
        given = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
        if given:
            yield given
            return
        with tempfile.TemporaryDirectory(prefix="newswatch-kafka-") as tmp:
            broker = cls(Path(tmp), port=free_port_pair(), heap_mb=heap_mb)
            print(f"starting a local Kafka broker on {broker.bootstrap} ...", flush=True)
            broker.up(timeout=120)
            try:
                yield broker.bootstrap
            finally:
                broker.down()

    def kill(self) -> None:
        """SIGKILL the broker (fault tests: a crash, not a clean stop)."""
        pid = self._pid()
        if pid is not None:
            proc = psutil.Process(pid)
            proc.kill()
            proc.wait(10)

    # -- internals ----------------------------------------------------------------------
    def _write_config(self) -> None:
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "listeners": f"PLAINTEXT://{self.host}:{self.port},"
                         f"CONTROLLER://{self.host}:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://{self.host}:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "controller.quorum.bootstrap.servers": f"{self.host}:{self.controller_port}",
            "log.dirs": str(self.data_dir),
            # Topics are created explicitly with their retention (`newswatch topics create`).
            "auto.create.topics.enable": "false",
            "num.partitions": "1",
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "10",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "transaction.state.log.num.partitions": "4",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            "log.retention.check.interval.ms": "60000",
        }
        self.properties.write_text("".join(f"{k}={v}\n" for k, v in props.items()))
        (self.home / "log4j2.properties").write_text(
            "status = warn\n"
            "appender.file.type = File\n"
            "appender.file.name = FILE\n"
            f"appender.file.fileName = {self.log_file}\n"
            "appender.file.layout.type = PatternLayout\n"
            "appender.file.layout.pattern = [%d] %p %m (%c)%n\n"
            "rootLogger.level = INFO\n"
            "rootLogger.appenderRef.file.ref = FILE\n"
            "logger.kafka.name = kafka\nlogger.kafka.level = WARN\n"
            "logger.apache.name = org.apache.kafka\nlogger.apache.level = WARN\n"
            "logger.server.name = kafka.server.KafkaRaftServer\nlogger.server.level = INFO\n"
        )

    def _format(self, java: str, classpath: str) -> None:
        # A base64 id may start with "-"; passed as `--cluster-id=` it is never read as an option.
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        proc = subprocess.run(
            [java, "-Xmx256m", f"-Dlog4j2.configurationFile={self.home / 'log4j2.properties'}",
             "-cp", classpath, "kafka.tools.StorageTool", "format", "--standalone",
             f"--cluster-id={cluster_id}", "-c", str(self.properties)],
            capture_output=True, text=True, timeout=120,
        )
        if proc.returncode != 0:
            raise BrokerError(f"formatting Kafka storage failed: {proc.stderr.strip()[-300:]}",
                              fix=f"remove {self.data_dir} and try again")

    def _wait_ready(self, proc: subprocess.Popen, timeout: float) -> None:
        from kafka import KafkaAdminClient  # only needed here; keeps `status` light

        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise BrokerError(
                    f"the broker exited with code {proc.returncode}: {self._log_tail()}",
                    fix=f"see {self.log_file}",
                )
            if port_open(self.host, self.port):
                try:
                    admin = KafkaAdminClient(bootstrap_servers=[self.bootstrap],
                                             request_timeout_ms=5000)
                    try:
                        admin.list_topics()
                        return
                    finally:
                        admin.close()
                except Exception as exc:  # noqa: BLE001 - any failure means "not yet"
                    last_error = exc
            time.sleep(0.2)
        self.down()
        raise BrokerError(f"the broker did not answer within {timeout:.0f}s ({last_error})",
                          fix=f"see {self.log_file}")

    def _log_tail(self) -> str:
        for path in (self.home / "stdout.log", self.log_file):
            if path.exists():
                lines = path.read_text(errors="replace").strip().splitlines()
                if lines:
                    return " | ".join(lines[-3:])
        return "no log output"

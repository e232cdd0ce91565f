"""A private PostgreSQL and a private Redis for tests that restart them.

The shared servers must never be restarted (other suites use them), so a
test that needs a real restart starts its own: `initdb` + `pg_ctl` from
/usr/lib/postgresql/*/bin into a temporary folder, `redis-server` with an
append-only file (as docker-compose.yml runs it), each on a free port.
Stopping and starting them again is then what an operator's restart is.
"""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

from tests.workers.processes import Process, free_port

MISSING = ("{what} not found: the restart tests start their own servers and need {need} "
           "(Debian: apt-get install {package})")


def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise RuntimeError(MISSING.format(what="pg_ctl", need="/usr/lib/postgresql/<version>/bin/{initdb,pg_ctl}",
                                          package="postgresql"))
    return Path(found[-1]).parent


def _as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the `postgres` user."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _owned_folder(prefix: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    return folder


class PrivatePostgres:
    """A throw-away cluster: trust authentication, no fsync (nothing here must outlive the test)."""

    def __init__(self):
        self.bin = _pg_bin()
        self.root = _owned_folder("netweave-pg-")
        self.data, self.log = self.root / "data", self.root / "server.log"
        self.port = free_port()
        self._run(self.bin / "initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "--no-sync",
                  "-E", "UTF8", "--locale", "C")

    def _run(self, *command) -> None:
        done = subprocess.run(_as_postgres([str(c) for c in command]), capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{command[0]} failed ({done.returncode}): {done.stdout}{done.stderr}{log}")

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c full_page_writes=off -c max_connections=60")
        self._run(self.bin / "pg_ctl", "-D", self.data, "-l", self.log, "-o", options, "-w", "-t", "60", "start")

    def stop(self) -> None:
        """`pg_ctl stop -m fast`: what a service restart does (clients are disconnected)."""
        self._run(self.bin / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "-t", "60", "stop")

    def create_database(self, name: str) -> None:
        with psycopg.connect(self.url("postgres"), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')

    def close(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


class PrivateRedis:
    """redis-server with an append-only file, as docker-compose.yml runs it: a restart keeps the queues."""

    def __init__(self, log_dir: Path):
        if shutil.which("redis-server") is None:
            raise RuntimeError(MISSING.format(what="redis-server", need="redis-server on PATH",
                                              package="redis-server"))
        self.root, self.log_dir, self.port = Path(tempfile.mkdtemp(prefix="netweave-redis-")), log_dir, free_port()
        self.process: Process | None = None
        self.starts = 0

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        import redis

        self.starts += 1
        self.process = Process(f"redis-{self.starts}", [
            "redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.root),
            "--appendonly", "yes", "--save", "", "--protected-mode", "no"], dict(os.environ), self.log_dir)
        client = redis.Redis.from_url(self.url(), socket_connect_timeout=1)
        deadline = time.monotonic() + 30
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if self.process.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start:\n{self.process.output()[-2000:]}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        """SIGTERM: Redis writes its append-only file and exits, as on a service restart."""
        if self.process is not None:
            self.process.stop()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

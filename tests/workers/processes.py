"""Real processes for integration tests: Celery workers, uvicorn, an SSE reader."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import httpx

ROOT = Path(__file__).resolve().parents[2]


class Process:
    """A child in its own process group, its output in a log file."""

    def __init__(self, name: str, command: list[str], env: dict, log_dir: Path):
        self.name = name
        self.log = log_dir / f"{name}.log"
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for_output(self, text: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output():
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited ({self.proc.returncode}):\n{self.output()[-3000:]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name} did not print {text!r}:\n{self.output()[-3000:]}")
            time.sleep(0.1)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
            except ProcessLookupError:
                pass


def database_url_for_children() -> str:
    """DATABASE_URL naming pytest-django's test database, for worker and web processes."""
    from django.conf import settings

    parsed = urlparse(os.environ["DATABASE_URL"])
    return urlunparse(parsed._replace(path="/" + settings.DATABASES["default"]["NAME"]))


def skip_without_team_services() -> None:
    """Skip the test unless it runs on PostgreSQL and Redis, as workers on several hosts do."""
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        import pytest

        pytest.skip("needs DATABASE_URL=postgres://... and REDIS_URL (see README)")


def _admin_connection():
    """A connection to the server hosting the test database, outside Django's pool."""
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
    return psycopg.connect(host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], dbname="postgres",
                           autocommit=True)


def database_backends() -> set[int]:
    """The server processes of the test database's connections (other than the asking one)."""
    from django.conf import settings

    with _admin_connection() as admin:
        rows = admin.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                             [settings.DATABASES["default"]["NAME"]]).fetchall()
    return {pid for (pid,) in rows}


def drop_database_connections(pids: set[int]) -> None:
    """Close these connections from the server's side, as a restarted or failed-over server does."""
    with _admin_connection() as admin:
        for pid in pids:
            admin.execute("SELECT pg_terminate_backend(%s)", [pid])


def worker_env(runs_root: Path, **extra: str) -> dict:
    """The environment of a real worker (or beat) on the test database, its runs under
    `runs_root`, one torch thread; the test is skipped without PostgreSQL and Redis."""
    skip_without_team_services()
    return {**os.environ, "DATABASE_URL": database_url_for_children(), "NETWEAVE_RUNS_ROOT": str(runs_root),
            "OMP_NUM_THREADS": "1", **extra}


def start_worker(name: str, env: dict, log_dir: Path, queues: list[str] | None = None,
                 wait: bool = True) -> Process:
    from designer.runs.worker import worker_command

    worker = Process(name, worker_command(queues=queues, name=f"{name}@%h"), env, log_dir)
    if wait:
        worker.wait_for_output(" ready.")
    return worker


def purge_queues(redis_url: str) -> None:
    """Drop every message on the broker (Redis): a test's leftovers must not start runs in the next."""
    import redis

    client = redis.Redis.from_url(redis_url)
    client.delete("cpu", "gpu", "unacked", "unacked_index", "unacked_mutex")


def start_beat(env: dict, log_dir: Path) -> Process:
    """`celery beat`: the housekeeping schedule of team mode."""
    return Process("beat", [sys.executable, "-m", "celery", "-A", "designer", "beat", "--loglevel", "INFO",
                            "--schedule", str(log_dir / "celerybeat-schedule")], env, log_dir)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_web(env: dict, log_dir: Path, port: int | None = None) -> tuple[Process, str]:
    """uvicorn serving the project, on a free port (or `port`, to restart it where it was)."""
    port = port or free_port()
    web = Process("web", [sys.executable, "-m", "uvicorn", "designer.asgi:application", "--host", "127.0.0.1",
                          "--port", str(port), "--log-level", "warning"], env, log_dir)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"{url}/api/health", timeout=2)
            return web, url
        except httpx.HTTPError:
            if web.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"uvicorn did not start:\n{web.output()[-3000:]}") from None
            time.sleep(0.2)


def read_events(url: str, run_id: int, token: str, timeout: float = 180, last_id: int | None = None):
    """Read the run's SSE stream to its end: [(id, event, data)]."""
    headers = {"Authorization": f"Token {token}", "Accept": "text/event-stream"}
    if last_id is not None:
        headers["Last-Event-ID"] = str(last_id)
    events, current = [], {}
    with httpx.stream("GET", f"{url}/api/runs/{run_id}/events", headers=headers,
                      timeout=httpx.Timeout(timeout, connect=10)) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line == "":
                if "data" in current:
                    events.append((int(current["id"]), current["event"], json.loads(current["data"])))
                current = {}
            elif not line.startswith(":"):
                field, _, value = line.partition(": ")
                current[field] = value
    return events


def wait_until(condition, timeout: float = 120, every: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(every)

"""Suite-wide checks: the tests run on real PostgreSQL and Redis.

When one is missing, stop at once with a message that says what is missing
and how to start it, instead of a wall of connection errors.
"""
from __future__ import annotations

import os
import socket
from urllib.parse import urlparse

import pytest

START_HINTS = {
    "PostgreSQL": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    "Redis": "redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no",
}


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def _require(service: str, url: str, default_port: int) -> None:
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or default_port
    if not _reachable(host, port):
        raise pytest.UsageError(
            f"{service} is not reachable at {host}:{port} (from {url!r}). "
            f"Start it with: {START_HINTS[service]}"
        )


def pytest_configure(config):
    db_url = os.environ.get("DATABASE_URL", "")
    if db_url.startswith(("postgres://", "postgresql://")):
        _require("PostgreSQL", db_url, 5432)
    redis_url = os.environ.get("REDIS_URL", "")
    if redis_url:
        _require("Redis", redis_url, 6379)

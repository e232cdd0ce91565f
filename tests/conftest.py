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
    # Real password hashing costs ~0.3 s a user on these machines; the tests
    # check who may do what, not the hash, so use Django's fastest hasher.
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Job children train at the worker's priority here (the workers and web servers the tests
    # start inherit the environment): on a machine shared with other suites, children at the
    # default nice wait behind every one of their processes and the tests' timeouts run out.
    # tests/workers/test_job_priority.py checks the default, NETWEAVE_JOB_NICE=10.
    os.environ.setdefault("NETWEAVE_JOB_NICE", "0")
    settings.NETWEAVE_JOB_NICE = int(os.environ["NETWEAVE_JOB_NICE"])
    db_url = os.environ.get("DATABASE_URL", "")
    if db_url.startswith(("postgres://", "postgresql://")):
        _require("PostgreSQL", db_url, 5432)
    redis_url = os.environ.get("REDIS_URL", "")
    if redis_url:
        _require("Redis", redis_url, 6379)


# ---------------------------------------------------------------------------
# Shared fixtures for API tests (graphs, runs, datasets, dashboards alike):
# a project owned by `owner`, with `editor` and `viewer` teammates, and an
# `outsider` who has no role in it. `clients[name]` is an API client logged in
# (with a real session) as that user; `clients["anonymous"]` is logged out.

PEOPLE = ("owner", "editor", "viewer", "outsider")


@pytest.fixture
def make_user(db):
    from django.contrib.auth import get_user_model

    def make(username: str, password: str = "correct-horse-battery"):
        return get_user_model().objects.create_user(username=username, password=password)

    return make


@pytest.fixture
def users(make_user) -> dict:
    return {name: make_user(name) for name in PEOPLE}


@pytest.fixture
def owner(users):
    return users["owner"]


@pytest.fixture
def editor(users):
    return users["editor"]


@pytest.fixture
def viewer(users):
    return users["viewer"]


@pytest.fixture
def outsider(users):
    return users["outsider"]


@pytest.fixture
def project(users):
    from designer.graphs.models import Membership, Project

    project = Project.objects.create(name="vision", owner=users["owner"])
    Membership.objects.create(project=project, user=users["editor"], role="editor")
    Membership.objects.create(project=project, user=users["viewer"], role="viewer")
    return project


@pytest.fixture
def client_for():
    from rest_framework.test import APIClient

    def make(user=None):
        client = APIClient()
        if user is not None:
            client.force_login(user)
        return client

    return make


@pytest.fixture
def clients(users, client_for) -> dict:
    made = {name: client_for(user) for name, user in users.items()}
    made["anonymous"] = client_for(None)
    return made


@pytest.fixture
def owner_client(clients):
    return clients["owner"]


@pytest.fixture
def editor_client(clients):
    return clients["editor"]


@pytest.fixture
def viewer_client(clients):
    return clients["viewer"]


@pytest.fixture
def outsider_client(clients):
    return clients["outsider"]


@pytest.fixture
def anon_client(clients):
    return clients["anonymous"]


# The object store's fixtures: a real S3 endpoint (moto's server) and a bucket per test.
from tests.objectstore import object_store, s3_bucket, s3_endpoint  # noqa: E402, F401

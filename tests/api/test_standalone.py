"""`make run`'s command on SQLite: migrate, admin login printed once, web + worker, Ctrl+C stops both.

This is also the SQLite smoke test: a real uvicorn on a temporary SQLite file,
driven over HTTP like a browser (session, CSRF cookie and header).
"""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.api import documents

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.fixture
def standalone(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "CELERY_BROKER_URL"}}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path}/netweave.sqlite3", NETWEAVE_VAR_DIR=str(tmp_path),
               NETWEAVE_PORT=str(port), PYTHONUNBUFFERED="1")
    process = subprocess.Popen([sys.executable, "manage.py", "standalone"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
    reader.start()
    try:
        wait_for(lambda: any("Ctrl+C" in line for line in lines), 120, "the start-up banner")
        yield process, f"http://127.0.0.1:{port}", lines
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()  # its children get SIGTERM from the kernel (PDEATHSIG)
                process.wait()


def test_it_runs_standalone_on_sqlite_and_stops_on_ctrl_c(standalone):
    process, url, lines = standalone
    output = "".join(lines)
    assert f"Netweave is running at {url}/" in output
    password = re.search(r"Log in as admin with password: (\S+)", output).group(1)
    with httpx.Client(base_url=url, timeout=60) as browser:
        wait_for(lambda: _healthy(browser), 90, "/api/health")
        csrf = browser.get("/api/auth/me").cookies["csrftoken"]
        headers = {"X-CSRFToken": csrf}
        login = browser.post("/api/auth/login", json={"username": "admin", "password": password},
                             headers=headers)
        assert login.status_code == 200, login.text
        headers["X-CSRFToken"] = browser.cookies["csrftoken"]  # rotated at login
        project = browser.post("/api/projects", json={"name": "smoke"}, headers=headers).json()
        created = browser.post(f"/api/projects/{project['id']}/graphs",
                               json={"name": "cnn", "document": documents.tiny_cnn()}, headers=headers)
        assert created.status_code == 201, created.text
        listing = browser.get(f"/api/projects/{project['id']}/graphs").json()
        assert [g["name"] for g in listing["results"]] == ["cnn"]
        # collectstatic ran and whitenoise serves it: the API docs' assets load.
        asset = browser.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css")
        assert asset.status_code == 200 and asset.headers["content-type"].startswith("text/css")
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=40) == 0
    time.sleep(0.3)
    assert "Stopped." in "".join(lines)


def _healthy(client: httpx.Client) -> bool:
    try:
        return client.get("/api/health").status_code == 200
    except httpx.TransportError:
        return False


@pytest.mark.django_db
def test_it_creates_the_admin_once_and_stores_only_a_hash():
    from django.contrib.auth import get_user_model

    from designer.core.bootstrap import ensure_admin

    password = ensure_admin()
    admin = get_user_model().objects.get(username="admin")
    assert password and admin.is_superuser and admin.check_password(password)
    assert password not in admin.password
    assert ensure_admin() is None  # a later start creates nothing and prints no password

"""The editor end to end: the production build served by uvicorn against the test
PostgreSQL database, a real Celery worker on Redis, and Debian's Chromium."""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest
from django.conf import settings

from tests.e2e.editor import PASSWORD
from tests.workers.processes import Process, start_web, start_worker, skip_without_team_services

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"


@dataclass
class Stack:
    url: str
    worker: Process
    web: Process
    env: dict
    base: Path

    def crash_web(self) -> None:
        """Kill the web process outright (a crash, a deploy)."""
        self.web.kill()

    def start_web_again(self) -> None:
        """Start the web process again on the port it had."""
        self.web, _ = start_web(self.env, self.base, port=urlparse(self.url).port)


def _test_database_url() -> str:
    parsed = urlparse(os.environ["DATABASE_URL"])
    return urlunparse(parsed._replace(path="/" + settings.DATABASES["default"]["NAME"]))


@pytest.fixture(scope="package")
def stack(django_db_setup, tmp_path_factory):
    """One web process and one worker for every browser test: starting them (and
    warming the worker's zygote) per module cost the suite minutes. Package scope,
    not session: the worker must be gone before other packages' tests start their
    own workers on the same queues. Each test's database is flushed after it; a run
    still training then finds its row gone and its worker stops it."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium (CI's .ci/run does)")
    skip_without_team_services()
    if not (ROOT / "frontend" / "dist" / "index.html").exists():
        pytest.fail("frontend/dist is not built: run `make frontend` (npm ci && npm run build in frontend/)")
    base = tmp_path_factory.mktemp("e2e")
    env = {**os.environ, "DATABASE_URL": _test_database_url(), "NETWEAVE_VAR_DIR": str(base / "var"),
           "NETWEAVE_RUNS_ROOT": str(base / "runs"), "OMP_NUM_THREADS": "1"}
    # Whitenoise serves what collectstatic gathered (the editor's build among it) at /static/.
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    worker = start_worker("e2e-worker", env, base, queues=["cpu"], wait=False)  # starts beside the web
    web, url = start_web(env, base)
    worker.wait_for_output(" ready.")
    stack = Stack(url, worker, web, env, base)
    yield stack
    stack.web.stop()
    worker.stop()


@pytest.fixture
def ada(db):
    """A person who logs in through the form. Made before the browser starts:
    Playwright's sync API runs an event loop in this thread, and Django refuses
    database calls from inside one."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    # The suite's settings hash with MD5 for speed; the server checks with its own
    # (default) hashers, so store the hash the server knows.
    hashed = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
    return get_user_model().objects.create(username="ada", password=hashed)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # Let fixtures see whether the test failed (to keep a screenshot of it).
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture
def artifacts(request) -> Path:
    """test-artifacts/e2e/<test name>/: what this test saw, emptied at its start."""
    folder = ARTIFACTS / request.node.originalname.removeprefix("test_")
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    return folder


@pytest.fixture
def page(stack, request, artifacts):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1440, "height": 900}, base_url=stack.url)
        page = context.new_page()
        page.set_default_timeout(20_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        yield page
        failed = getattr(request.node, "report_call", None)
        if failed is not None and failed.failed:
            page.screenshot(path=str(artifacts / "failure.png"))
        browser.close()
        assert not errors, f"the page raised: {errors}"


@pytest.fixture
def shoot(page, artifacts):
    """Save a screenshot of what the user sees now: test-artifacts/e2e/<test>/<n>-<name>.png."""
    count = iter(range(1, 100))

    def take(name: str) -> Path:
        path = artifacts / f"{next(count):02d}-{name}.png"
        page.screenshot(path=str(path))
        return path

    return take

"""The database drops every connection for seconds mid-run (what a PostgreSQL
restart does to its clients; pg_terminate_backend on the real server): the
supervision retries with backoff while the child trains on, and every point
is stored, once."""
from __future__ import annotations

import threading
import time

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from designer.runs.models import MetricPoint, MetricSummary, Run
from designer.runs.supervisor import execute
from tests.workers.conftest import standin_command
from tests.workers.processes import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

STEPS, KEYS = 150, 2


def _drop_connections(seconds: float) -> int:
    """Terminate every other connection to the test database, again and again, for `seconds`."""
    db = settings.DATABASES["default"]
    dropped = 0
    with psycopg.connect(host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], dbname="postgres",
                         autocommit=True) as admin:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            dropped += admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()", [db["NAME"]]).fetchone()[0]
            time.sleep(0.05)
    return dropped


def test_the_supervision_rides_out_a_database_outage_and_loses_no_point(make_run):
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("needs DATABASE_URL=postgres://...")
    run = make_run(config={"standin": {"steps": STEPS, "keys": KEYS, "sleep": 0.04, "checkpoint_every": 50}})
    outcome = {}

    def supervise():
        try:
            outcome["state"] = execute(run.pk, standin_command(run))
        finally:
            connection.close()

    supervisor = threading.Thread(target=supervise)
    supervisor.start()
    wait_until(lambda: MetricPoint.objects.filter(run=run).exists(), timeout=60, what="the first points")
    connection.close()  # this thread's connection is dropped too
    assert _drop_connections(3.0) > 0
    supervisor.join(timeout=120)
    assert outcome.get("state") == "succeeded", Run.objects.get(pk=run.pk).error
    assert MetricPoint.objects.filter(run=run).count() == STEPS * KEYS
    for key in ("train/k0", "train/k1"):
        summary = MetricSummary.objects.get(run=run, key=key)
        assert (summary.count, summary.first_step, summary.last_step) == (STEPS, 0, STEPS - 1)
    run.refresh_from_db()
    assert (run.state, run.attempts) == ("succeeded", 1)

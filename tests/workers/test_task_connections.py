"""A worker keeps its connection pool from one task to the next (a fresh PostgreSQL connection per task
was a third of submit -> start), and the pool checks a connection before a task gets it: a database that
dropped every connection between two tasks costs the next task nothing."""
from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.db import connection

from designer.celery import app
from designer.runs.models import Run
from tests.workers.processes import (
    database_backends,
    database_url_for_children,
    drop_database_connections,
    purge_queues,
    skip_without_team_services,
    start_worker,
    wait_until,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _ran(run: Run) -> Run:
    """Send the run's task; the run ends (an evaluate job without its input run fails at once)."""
    app.send_task("netweave.execute_run", (run.pk,), queue="cpu")
    return wait_until(lambda: (r := Run.objects.get(pk=run.pk)).is_terminal and r, timeout=120,
                      what=f"run {run.pk} to end")


def test_a_worker_keeps_its_connections_across_tasks_and_survives_a_dropped_one(make_run, tmp_path):
    skip_without_team_services()
    purge_queues(settings.REDIS_URL)
    env = {**os.environ, "DATABASE_URL": database_url_for_children(), "NETWEAVE_RUNS_ROOT": str(settings.RUNS_ROOT),
           "NETWEAVE_FLEET_HEARTBEAT": "3600"}
    # Connections of processes left by earlier tests may close at any moment: watch only the
    # ones that came with this worker (the full suite in CI failed here once).
    connection.close()
    others = database_backends()
    worker = start_worker("connections", env, tmp_path, queues=["cpu"])
    try:
        first = _ran(make_run(kind="evaluate"))
        connection.close()
        before = database_backends() - others
        second = _ran(make_run(kind="evaluate"))
        connection.close()
        assert first.worker_pid == second.worker_pid
        assert before <= database_backends()  # no connection of the worker was closed between its tasks
        drop_database_connections(database_backends())
        connection.close()  # ours went too: the pool checks it and opens another
        third = _ran(make_run(kind="evaluate"))
        assert third.state == "failed" and "input" in third.error, third.error
        assert third.worker_pid == first.worker_pid  # the same process, not a restarted one
    finally:
        worker.stop()
        purge_queues(settings.REDIS_URL)

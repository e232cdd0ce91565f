"""Run tasks: thin wrappers that take a run id and hand it to the supervision.

They live with the service (the rows they read are this app's); `workers/`
holds only the engine. The supervision (claim, job child, ingest, end) lives
in designer/runs/supervisor.py so that it can be tested without a broker.
Services send these tasks by name (designer/runs/queues.py).
"""
from __future__ import annotations

from celery.signals import worker_ready

from designer.core.tasks import netweave_task
from designer.runs.queues import Queue


@netweave_task("execute_run", Queue.CPU)
def execute_run(run_id: int) -> str | None:
    """Execute a run of any kind; routed per run to its queue (cpu or gpu) at enqueue time."""
    from designer.runs.supervisor import execute

    return execute(run_id)


@netweave_task("reap_runs", Queue.CPU, ignore_result=True)
def reap_runs() -> dict:
    """Mark runs whose worker stopped heart-beating as failed; send again the
    tasks of runs left queued (their message may be lost)."""
    from designer.runs.services import housekeeping

    return housekeeping()


@worker_ready.connect
def reap_at_start(**_kwargs) -> None:
    # A worker that starts after a crash finds the runs it left behind.
    reap_runs.apply_async()

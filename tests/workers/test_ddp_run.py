"""Several devices: the worker's supervision launches torch.distributed.run (2 CPU
processes on gloo) with the real training child, and records rank 0's metrics."""
from __future__ import annotations

import pytest

from designer.runs.models import MetricSummary
from designer.runs.supervisor import execute

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_two_process_run_trains_on_gloo_and_succeeds(make_run, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    run = make_run(devices=2, config={"epochs": 1, "batch_size": 128, "device": "cpu"})
    assert execute(run.pk) == "succeeded"
    run.refresh_from_db()
    assert run.state == "succeeded", run.log_tail
    loss = MetricSummary.objects.get(run=run, key="train/loss")
    # One epoch of the global batch: rank 0 reports every step once.
    assert loss.count == loss.last_step - loss.first_step + 1 == run.summary["steps"]
    assert (run.run_dir / "checkpoints" / "last.pt").is_file()

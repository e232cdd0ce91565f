"""GPU placement: one job per GPU on a machine, GPUs named by UUID, CPU jobs kept off GPUs,
and a run that asks for a GPU on a worker without one fails clearly."""
from __future__ import annotations

import subprocess
import sys

import pytest

from designer.fleet.gpus import reserve
from designer.runs import placement
from designer.runs.models import Run

H200 = [{"index": i, "uuid": f"GPU-{i}", "name": "NVIDIA H200"} for i in range(2)]


@pytest.fixture
def locks(settings, tmp_path):
    settings.NETWEAVE_GPU_LOCK_DIR = str(tmp_path / "gpus")
    return tmp_path / "gpus"


def test_two_jobs_never_hold_one_gpu_and_a_released_gpu_is_free_again(locks):
    first = reserve(H200, 1, locks)
    second = reserve(H200, 1, locks)
    assert [g["uuid"] for g in first.gpus + second.gpus] == ["GPU-0", "GPU-1"]
    assert reserve(H200, 1, locks) is None
    first.release()
    assert reserve(H200, 1, locks).gpus == first.gpus


def test_a_gpu_held_by_another_process_is_freed_when_that_process_dies(locks):
    locks.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, sys, time\n"
        f"f = open({str(locks / 'GPU-0.lock')!r}, 'a'); fcntl.flock(f, fcntl.LOCK_EX)\n"
        "print('held', flush=True); time.sleep(60)")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert reserve(H200, 2, locks) is None
        assert reserve(H200, 1, locks).gpus[0]["uuid"] == "GPU-1"
    finally:
        holder.kill()
        holder.wait()
    assert len(reserve(H200, 2, locks).gpus) == 2


def run_asking(queue="cpu", devices=1, device="auto"):
    return Run(pk=7, queue=queue, devices=devices, config={"device": device})


def test_a_gpu_run_is_told_its_gpus_by_uuid_and_a_cpu_run_sees_none(locks):
    placed = placement.place(run_asking("gpu", devices=2), H200)
    assert placed.env == {"CUDA_VISIBLE_DEVICES": "GPU-0,GPU-1"} and [g["index"] for g in placed.gpus] == [0, 1]
    with pytest.raises(placement.Busy):
        placement.place(run_asking(device="cuda"), H200)
    placed.release()
    assert placement.place(run_asking(device="cuda"), H200).env == {"CUDA_VISIBLE_DEVICES": "GPU-0"}
    # device "auto" on the cpu queue must not take a GPU another job holds.
    assert placement.place(run_asking(), H200).env == {"CUDA_VISIBLE_DEVICES": ""}
    assert placement.place(run_asking(), []).env == {}


def test_a_run_asking_for_more_gpus_than_the_worker_has_is_refused_by_name(locks):
    with pytest.raises(placement.Unplaceable, match="asks for 3 GPUs but this worker has 2: 0 .NVIDIA H200."):
        placement.place(run_asking("gpu", devices=3), H200)


@pytest.mark.django_db(transaction=True)
def test_a_gpu_queue_run_on_a_worker_without_gpus_fails_clearly(make_run, settings, locks):
    from designer.fleet.devices import gpus
    from designer.runs.supervisor import execute

    if gpus():
        pytest.skip("this machine has a GPU: the run would train on it")
    run = make_run(queue="gpu", config={"epochs": 1, "batch_size": 128})
    assert execute(run.pk) == "failed"
    run.refresh_from_db()
    assert "this run needs a GPU" in run.error and "does not fall back to the CPU" in run.error
    assert run.gpus == [] and not run.summary

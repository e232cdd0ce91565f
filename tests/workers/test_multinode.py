"""Multi-node runs on real Celery workers (two node names on this machine, gloo): a 2-node run is
gang-scheduled, trains exactly like one node with two processes (same global batch, same seed), a
lost node ends the whole run, which its Resume completes, and a cancel stops every process of every
node, leaving both workers to take the resumed run."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess

import psutil
import pytest

from designer.runs.models import Artifact, MetricPoint, Run, RunEvent, RunNode
from designer.runs.process import child_command, child_env
from tests.api import documents
from tests.workers.processes import skip_without_team_services
from tests.workers.processes import (ROOT, database_url_for_children, purge_queues, start_worker,
                                     wait_until)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def gang_env(django_db_setup, tmp_path, settings):
    skip_without_team_services()
    settings.RUNS_ROOT = tmp_path / "runs"
    env = {**os.environ, "DATABASE_URL": database_url_for_children(), "NETWEAVE_RUNS_ROOT": str(settings.RUNS_ROOT),
           "NETWEAVE_NODE_ADDRESS": "127.0.0.1", "NETWEAVE_HEARTBEAT_SECONDS": "0.5",
           "NETWEAVE_HOUSEKEEPING_SECONDS": "1", "OMP_NUM_THREADS": "1",
           # Multi-node launchers always start cold: no zygote to import torch in each worker.
           "NETWEAVE_WARM_START": "0"}
    env.pop("CELERY_VISIBILITY_TIMEOUT", None)
    purge_queues(settings.REDIS_URL)
    started = []

    def start(name: str):
        worker = start_worker(name, env, tmp_path, queues=["cpu"], wait=False)
        started.append(worker)
        return worker

    yield start
    for worker in started:  # all at once: each takes seconds to shut down
        if worker.proc.poll() is None:
            os.killpg(worker.proc.pid, signal.SIGTERM)
    for worker in started:
        worker.stop()
    purge_queues(settings.REDIS_URL)


@pytest.fixture
def graph(owner_client, project):
    return owner_client.post(f"/api/projects/{project.pk}/graphs",
                             {"name": "digits-cnn", "document": documents.tiny_cnn()}, format="json").json()


def ready(*workers) -> None:
    from designer.fleet.services import workers_serving

    for worker in workers:
        worker.wait_for_output(" ready.")
    wait_until(lambda: len(workers_serving("cpu")) >= len(workers), timeout=60, what="the workers' announcements")


def launch(client, graph, **config) -> int:
    body = {"graph": graph["id"], "dataset": {"kind": "digits"}, "nodes": 2,
            "config": {"batch_size": 128, "device": "cpu", "seed": 3, "system_every_s": 60, **config}}
    response = client.post("/api/runs", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def ended(run_id: int, timeout: float = 240) -> Run:
    return wait_until(lambda: (run := Run.objects.get(pk=run_id)).is_terminal and run, timeout=timeout,
                      what=f"run {run_id} to end")


def one_node_losses(job: dict, folder) -> dict[int, float]:
    """The same job as one node with two processes (torch.distributed.run --standalone)."""
    (folder / "checkpoints").mkdir(parents=True)
    (folder / "job.json").write_text(json.dumps(job))
    out = subprocess.run(child_command(folder, 2), cwd=ROOT, env=child_env({"OMP_NUM_THREADS": "1"}),
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    found = {}
    for line in out.stdout.splitlines():
        event = json.loads(line) if line.startswith("{") else {}
        if event.get("type") == "metric" and event["split"] == "train" and "loss" in event["values"]:
            found[event["step"]] = event["values"]["loss"]
    return found


def test_a_two_node_run_is_gang_scheduled_and_trains_like_one_node_with_two_processes(
        gang_env, owner_client, graph, tmp_path):
    ready(gang_env("node-a"), gang_env("node-b"))
    run = ended(launch(owner_client, graph, epochs=1))
    assert run.state == "succeeded", (run.error, run.log_tail)
    members = {node.rank: node for node in RunNode.objects.filter(run=run)}
    assert sorted(members) == [0, 1] and members[0].pid != members[1].pid
    assert members[0].pid == run.worker_pid  # node 0 holds the run
    assert members[0].endpoint.startswith("127.0.0.1:")
    # Global rank 0 alone reported: each step of the global batch once.
    paired = dict(MetricPoint.objects.filter(run=run, key="train/loss").values_list("step", "value"))
    job = json.loads((run.run_dir / "job.json").read_text())
    single = one_node_losses(job, tmp_path / "one-node")
    assert sorted(paired) == sorted(single) and len(single) == run.summary["steps"] == 10
    assert all(abs(paired[step] - single[step]) <= 1e-5 for step in single)


def _worker_of(workers, pid: int):
    for worker in workers:
        if pid in {child.pid for child in psutil.Process(worker.proc.pid).children(recursive=True)}:
            return worker
    raise AssertionError(f"no worker has pid {pid}")


def test_a_lost_node_ends_the_whole_run_and_resume_completes_it(gang_env, owner_client, graph):
    workers = [gang_env("node-a"), gang_env("node-b")]
    ready(*workers)
    # last.pt each epoch; 20 epochs, so the kill lands mid-run (with 3, the run had once
    # trained them all when the node was lost, and its resume had nothing left to train).
    run_id = launch(owner_client, graph, epochs=20, batch_size=32, checkpoint_seconds=0)
    wait_until(lambda: Artifact.objects.filter(run_id=run_id, name="checkpoints/last.pt").exists(),
               timeout=180, what="the first epoch's checkpoint")
    member = RunNode.objects.get(run_id=run_id, rank=1)
    _worker_of(workers, member.pid).kill()
    spare = gang_env("node-c")  # the next gang's second worker
    run = ended(run_id, timeout=120)
    assert run.state == "failed" and "resume" in run.error, run.error
    ready(spare)
    resumed = owner_client.post(f"/api/runs/{run_id}/resume")
    assert resumed.status_code == 201, resumed.json()
    assert resumed.json()["nodes"] == 2
    again = ended(resumed.json()["id"])
    assert again.state == "succeeded", (again.error, again.log_tail)
    job = json.loads((again.run_dir / "job.json").read_text())
    assert job["resume_from"] == str(run.last_checkpoint)
    first = MetricPoint.objects.filter(run=again, key="train/loss").order_by("step").first()
    assert first.step > 1  # it went on from the checkpoint, not from the start
    shutil.rmtree(run.run_dir, ignore_errors=True)


def _node_processes(run: Run) -> dict[int, list[psutil.Process]]:
    """Each node's processes of the run, by node rank: its torch.distributed.run launcher and the
    training processes under it, all children of the member's worker with the run folder on their
    command line."""
    found = {}
    for node in RunNode.objects.filter(run=run, rank__isnull=False):
        try:
            children = psutil.Process(node.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            children = []
        found[node.rank] = [child for child in children if _runs(child, run)]
    return found


def _runs(process: psutil.Process, run: Run) -> bool:
    try:
        return str(run.run_dir) in process.cmdline()
    except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
        return False


def _alive(process: psutil.Process) -> bool:
    """Still there and not merely a zombie (its parent reaps it a moment later)."""
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _training(run_id: int, checkpoint: bool = True) -> dict[int, list[psutil.Process]]:
    """Once the run trains on both nodes (points, last.pt unless not asked for, a launcher and its rank
    on each): its processes."""
    def both_train():
        run = Run.objects.get(pk=run_id)
        assert not run.is_terminal, (run.state, run.error, run.log_tail)  # say why now, not at the timeout
        if not (MetricPoint.objects.filter(run_id=run_id, key="train/loss").exists()
                and (not checkpoint or Artifact.objects.filter(run_id=run_id, name="checkpoints/last.pt").exists())):
            return None
        found = _node_processes(run)
        return found if sorted(found) == [0, 1] and all(len(found[rank]) >= 2 for rank in found) else None

    found = wait_until(both_train, timeout=120, what=f"run {run_id} to train on both nodes")
    for rank, processes in found.items():  # the launcher is there, not only stray ranks
        assert any("torch.distributed.run" in p.cmdline() for p in processes), (rank, processes)
    return found


def _cancel(client, run_id: int, processes: dict[int, list[psutil.Process]], workers) -> Run:
    """Cancel through the API; the run ends cancelled, no process of either node is left, and each
    worker's task for it returns (designer/core/tasks.py logs its end)."""
    response = client.post(f"/api/runs/{run_id}/cancel")
    assert response.status_code == 200, response.json()
    run = ended(run_id, timeout=30)  # a 10 s grace to save last.pt, then SIGKILL
    assert (run.state, run.error) == ("cancelled", ""), (run.state, run.error, run.log_tail)
    everyone = [process for group in processes.values() for process in group]
    wait_until(lambda: not any(map(_alive, everyone)), timeout=10, what=f"run {run_id}'s processes to end")
    strays = [p.pid for p in psutil.process_iter() if _runs(p, run)]  # none moved to another parent either
    assert strays == [], strays
    for worker in workers:
        worker.wait_for_output(f"task execute_run({run_id},) done", timeout=10)
    return run


def test_a_cancel_stops_every_node_and_its_resume_goes_on_from_the_cancelled_runs_checkpoint(
        gang_env, owner_client, graph):
    workers = [gang_env("node-a"), gang_env("node-b")]
    ready(*workers)
    # Never ends on its own (a warm machine trains 40 epochs in seconds); last.pt after each epoch
    # (10 steps): the cancel comes when the run has one, as a person's would.
    run_id = launch(owner_client, graph, epochs=5000, checkpoint_seconds=0)
    run = _cancel(owner_client, run_id, _training(run_id), workers)
    assert run.last_checkpoint.is_file()
    assert all(worker.proc.poll() is None for worker in workers)
    # Both workers are free again: the resumed 2-node run needs each of them.
    resumed = owner_client.post(f"/api/runs/{run_id}/resume")
    assert resumed.status_code == 201, resumed.json()
    again_id = resumed.json()["id"]
    assert resumed.json()["nodes"] == 2
    processes = _training(again_id, checkpoint=False)  # its first points show where it went on from
    again = Run.objects.get(pk=again_id)
    assert json.loads((again.run_dir / "job.json").read_text())["resume_from"] == str(run.last_checkpoint)
    assert RunEvent.objects.filter(run=again, kind="log", data__contains="resumed at epoch").exists()
    assert MetricPoint.objects.filter(run=again, key="train/loss").order_by("step").first().step > 1
    _cancel(owner_client, again_id, processes, workers)
    assert all(worker.proc.poll() is None for worker in workers)

"""Files every host can reach (issue #17): the web process and two workers, each with its own
var/ (media and runs folders), share only PostgreSQL, Redis and an S3 endpoint (moto's server,
tests/objectstore.py). A worker trains on a dataset uploaded to the web; its checkpoint is
downloaded from the web; another worker resumes the run from the checkpoint it finds in the store."""
from __future__ import annotations

import io
import json
import os
import signal
import socket
from pathlib import Path

import httpx
import numpy as np
import pytest
import torch
from django.conf import settings

from designer.runs.models import MetricPoint, Run, RunEvent
from tests.api import documents
from tests.workers.processes import database_url_for_children, purge_queues, start_web, start_worker, wait_until, skip_without_team_services

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _digits_npz() -> bytes:
    from sklearn.datasets import load_digits

    digits = load_digits()
    buffer = io.BytesIO()
    np.savez(buffer, x=(digits.images[:, None] / 16).astype(np.float32), y=digits.target.astype(np.int64))
    return buffer.getvalue()


def _ended(run_id: int):
    run = Run.objects.get(pk=run_id)
    return run if run.is_terminal else None


@pytest.fixture
def hosts(django_db_setup, s3_bucket, tmp_path):
    """env(host): the environment of a process on its own host: own media and runs folders, the shared bucket."""
    skip_without_team_services()
    purge_queues(settings.REDIS_URL)
    shared = {**os.environ, **s3_bucket.env, "DATABASE_URL": database_url_for_children(), "OMP_NUM_THREADS": "1",
              "NETWEAVE_STORE_SYNC_SECONDS": "0.5", "NETWEAVE_HEARTBEAT_SECONDS": "0.5"}

    def env(host: str) -> dict:
        return {**shared, "NETWEAVE_MEDIA_ROOT": str(tmp_path / host / "media"),
                "NETWEAVE_RUNS_ROOT": str(tmp_path / host / "runs")}

    return env


def test_a_worker_with_its_own_var_trains_on_an_upload_and_another_resumes_from_the_store(
        hosts, s3_bucket, owner, project, tmp_path):
    from rest_framework.authtoken.models import Token

    # Host B starts beside A on a queue of its own (its start overlaps A's work) and takes
    # the cpu queue from A later, through Celery's remote control.
    a = start_worker("hosta", hosts("a"), tmp_path, queues=["cpu"], wait=False)
    b = start_worker("hostb", hosts("b"), tmp_path, queues=["hostb"], wait=False)
    started = [a, b]
    try:
        web, url = start_web(hosts("web"), tmp_path)
        started.append(web)
        api = httpx.Client(base_url=url, headers={"Authorization": f"Token {Token.objects.create(user=owner).key}"},
                           timeout=180)
        graph = api.post(f"/api/projects/{project.pk}/graphs", json={"name": "cnn", "document": documents.tiny_cnn()})
        upload = api.post(f"/api/projects/{project.pk}/datasets", data={"kind": "npz", "name": "digits"},
                          files={"file": ("digits.npz", _digits_npz())})
        assert upload.status_code == 201, upload.text
        [dataset_key] = s3_bucket.keys("media/datasets/")
        a.wait_for_output(" ready.")
        launched = api.post("/api/runs", json={"graph": graph.json()["id"], "dataset": {"id": upload.json()["id"]},
                                               # never ends on its own (a warm worker trains 40 epochs in
                                               # seconds): both runs are cancelled once they train
                                               "config": {"epochs": 5000, "batch_size": 16, "system_every_s": 1.0}})
        assert launched.status_code == 201, launched.text
        first = launched.json()["id"]
        wait_until(lambda: MetricPoint.objects.filter(run_id=first).exists(), timeout=180, what="first points")
        assert api.post(f"/api/runs/{first}/cancel").status_code == 200
        cancelled = wait_until(lambda: _ended(first), timeout=120, what="the cancel")
        assert cancelled.state == "cancelled", cancelled.error
        # Host A fetched the upload into its own media folder and sent its checkpoint to the store.
        assert (tmp_path / "a" / dataset_key).is_file()
        assert f"runs/{first}/checkpoints/last.pt" in s3_bucket.keys(f"runs/{first}/")
        _move_queue("cpu", a, b)
        resumed = api.post(f"/api/runs/{first}/resume")
        assert resumed.status_code == 201, resumed.text
        second = resumed.json()["id"]
        wait_until(lambda: MetricPoint.objects.filter(run_id=second).exists(), timeout=180,
                   what="the resumed run training on host B")
        assert api.post(f"/api/runs/{second}/cancel").status_code == 200
        run = wait_until(lambda: _ended(second), timeout=120, what="the resumed run's cancel")
        assert run.state == "cancelled", run.error
        host_b = tmp_path / "b"
        job = json.loads((host_b / "runs" / str(second) / "job.json").read_text())
        # Host B read the dataset and the first run's checkpoint from its own copies.
        assert job["dataset"]["path"] == str(host_b / dataset_key)
        assert job["resume_from"] == str(host_b / "runs" / str(first) / "checkpoints" / "last.pt")
        assert Path(job["resume_from"]).read_bytes() == s3_bucket.read(f"runs/{first}/checkpoints/last.pt")
        assert RunEvent.objects.filter(run_id=second, kind="log", data__contains="resumed at epoch").exists()

        download = api.get(f"/api/runs/{second}/checkpoints/last.pt")
        assert download.status_code == 200, download.text
        assert download.content == (host_b / "runs" / str(second) / "checkpoints" / "last.pt").read_bytes()
        assert "model" in torch.load(io.BytesIO(download.content), weights_only=True)
        assert api.get(f"/api/runs/{first}/checkpoints/last.pt").content == s3_bucket.read(
            f"runs/{first}/checkpoints/last.pt")
        # The web host holds no run folder: everything it served came from the store.
        assert not (tmp_path / "web" / "runs").exists()
    finally:
        for process in started:  # all asked to stop at once, then waited for
            process.proc.send_signal(signal.SIGTERM)
        for process in started:
            process.stop()


def _move_queue(queue: str, old, new) -> None:
    """`old` stops taking the queue's tasks and `new` starts, both confirmed by the workers."""
    from designer.celery import app

    host = socket.gethostname()
    new.wait_for_output(" ready.")
    for process, action in ((old, app.control.cancel_consumer), (new, app.control.add_consumer)):
        replies = action(queue, destination=[f"{process.name}@{host}"], reply=True, timeout=30)
        assert replies and all("ok" in answer for reply in replies for answer in reply.values()), replies

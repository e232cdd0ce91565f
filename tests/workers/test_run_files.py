"""A job's files on a worker's own host (designer/runs/files.py) against a real S3 endpoint:
what job.json names is fetched and pointed at; checkpoints and outputs are sent as they change."""
from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from designer.runs import files

pytestmark = pytest.mark.django_db

WEIGHTS = "weights/1/" + "0" * 32 + ".pt"


def test_a_job_gets_this_hosts_copies_of_every_file_it_names(object_store, project):
    from designer.datasets.models import Dataset

    upload = Dataset.objects.create(project=project, name="d", kind="csv", file="datasets/1/abc.csv", size=3)
    for key, data in {"media/datasets/1/abc.csv": b"a,b", f"media/{WEIGHTS}": b"w",
                      "runs/7/checkpoints/best.pt": b"best of 7", "runs/8/checkpoints/last.pt": b"last of 8"}.items():
        object_store.write(key, data)
    elsewhere = "/web-host/var"  # the paths as the web host wrote them
    backbone = {"id": "backbone", "params": {"weights_file": f"{elsewhere}/media/{WEIGHTS}"}}
    job = files.prepare({
        "dataset": {"kind": "csv", "path": f"{elsewhere}/media/datasets/1/abc.csv", "upload": upload.pk},
        "inputs": [{"run": 7, "checkpoint": "best", "path": str(settings.RUNS_ROOT / "7/checkpoints/best.pt"),
                    "graph": {"nodes": [backbone]}}],
        "resume_from": f"{elsewhere}/runs/8/checkpoints/last.pt",
        "graph": {"nodes": [], "blocks": {"B": {"nodes": [backbone]}}}})
    media, runs = Path(settings.MEDIA_ROOT), Path(settings.RUNS_ROOT)
    assert Path(job["dataset"]["path"]) == media / "datasets/1/abc.csv"
    assert Path(job["inputs"][0]["path"]).read_bytes() == b"best of 7"
    assert job["resume_from"] == str(runs / "8/checkpoints/last.pt")
    assert Path(job["resume_from"]).read_bytes() == b"last of 8"
    for graph in (job["graph"]["blocks"]["B"], job["inputs"][0]["graph"]):
        assert graph["nodes"][0]["params"]["weights_file"] == str(media / WEIGHTS)
    assert (media / WEIGHTS).read_bytes() == b"w" and (media / "datasets/1/abc.csv").read_bytes() == b"a,b"
    # A newer object replaces the copy; an unchanged one is not fetched again.
    object_store.write("runs/8/checkpoints/last.pt", b"later")
    assert Path(files.prepare({"resume_from": job["resume_from"]})["resume_from"]).read_bytes() == b"later"


def test_local_files_leave_the_job_as_it_is():
    job = {"dataset": {"kind": "csv", "path": "/x/datasets/1/a.csv", "upload": 1}, "resume_from": "/x/8/checkpoints/a.pt"}
    assert files.prepare(job) is job


def test_checkpoints_and_outputs_are_sent_as_they_change_and_at_the_end(object_store, make_run):
    run = make_run()
    (run.run_dir / "checkpoints").mkdir(parents=True)
    (run.run_dir / "outputs").mkdir()
    (run.run_dir / "checkpoints/last.pt").write_bytes(b"1")
    (run.run_dir / "checkpoints/.last.pt.123.tmp").write_bytes(b"being written")
    (run.run_dir / "outputs/graph.json").write_text("{}")
    (run.run_dir / "job.json").write_text("{}")  # stays with the worker
    publisher = files.Publisher(run)
    assert publisher.sync() == 2
    assert object_store.keys() == [f"runs/{run.pk}/checkpoints/last.pt", f"runs/{run.pk}/outputs/graph.json"]
    assert publisher.sync() == 0
    publisher.start()
    (run.run_dir / "checkpoints/last.pt").write_bytes(b"22")
    (run.run_dir / "checkpoints/best.pt").write_bytes(b"333")
    assert publisher.finish() == ""
    assert object_store.read(f"runs/{run.pk}/checkpoints/last.pt") == b"22"
    assert object_store.read(f"runs/{run.pk}/checkpoints/best.pt") == b"333"

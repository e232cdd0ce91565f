"""The web side of the object store (NETWEAVE_STORAGE=s3) against a real S3 endpoint:
uploads land in the bucket, checkpoints are found, sized and streamed from it alone."""
from __future__ import annotations

import io
import os

import pytest
import torch
from django.core.files.uploadedfile import SimpleUploadedFile

from designer.runs.models import Artifact, Run

pytestmark = pytest.mark.django_db

CSV = b"a,b,label\n" + b"".join(f"{i},{i % 3},{'xy'[i % 2]}\n".encode() for i in range(40))


def test_an_upload_is_kept_in_the_store_and_deleting_it_removes_it_there(editor_client, project, object_store):
    response = editor_client.post(f"/api/projects/{project.pk}/datasets",
                                  {"file": SimpleUploadedFile("t.csv", CSV), "kind": "csv"}, format="multipart")
    assert response.status_code == 201, response.json()
    [key] = object_store.keys("media/datasets/")
    assert key.startswith(f"media/datasets/{project.pk}/") and object_store.read(key) == CSV
    assert editor_client.delete(f"/api/datasets/{response.json()['id']}").status_code == 204
    assert object_store.keys() == []


def test_backbone_weights_are_kept_in_the_store(editor_client, project, object_store):
    from torchvision.models import resnet18

    buffer = io.BytesIO()
    torch.save(resnet18(weights=None).state_dict(), buffer)
    response = editor_client.post(f"/api/projects/{project.pk}/weights",
                                  {"file": SimpleUploadedFile("w.pt", buffer.getvalue()), "op": "ResNet18"},
                                  format="multipart")
    assert response.status_code == 201, response.json()
    name = response.json()["path"].split(os.sep + "media" + os.sep, 1)[1]
    assert object_store.keys("media/weights/") == [f"media/{name}"]


def test_a_checkpoint_only_the_store_has_is_listed_resumable_streamed_and_resumed(
        editor_client, graph, owner, object_store):
    run = Run.objects.create(project=graph.project, graph_version=graph.head, created_by=owner, state="cancelled",
                             dataset={"kind": "digits", "options": {}}, config={"epochs": 1})
    Artifact.objects.create(run=run, kind="checkpoint", name="checkpoints/last.pt", epoch=1)
    payload = os.urandom(3 * 1024 * 1024 + 17)  # more than one chunk of the response
    object_store.write(f"runs/{run.pk}/checkpoints/last.pt", payload)
    assert not run.run_dir.exists()  # nothing on this host: every answer comes from the store

    assert editor_client.get(f"/api/runs/{run.pk}").json()["resumable"] is True
    assert editor_client.get(f"/api/runs/{run.pk}/checkpoints").json()[0]["size"] == len(payload)
    download = editor_client.get(f"/api/runs/{run.pk}/checkpoints/last.pt")
    assert download.status_code == 200 and download["Content-Length"] == str(len(payload))
    chunks = list(download.streaming_content)
    assert b"".join(chunks) == payload and len(chunks) > 1
    assert editor_client.get(f"/api/runs/{run.pk}/checkpoints/best.pt").status_code == 404
    assert editor_client.post(f"/api/runs/{run.pk}/resume").status_code == 201
    assert not run.run_dir.exists()


def test_a_store_that_cannot_be_reached_is_a_503_and_keeps_nothing(editor_client, project, settings, object_store):
    from designer.env import s3_storage

    dead = {**object_store.env, "NETWEAVE_S3_ENDPOINT": "http://127.0.0.1:9"}
    settings.STORAGES = {**settings.STORAGES, "netweave": s3_storage(dead)}
    settings.STORAGES["netweave"]["OPTIONS"]["client_config"] = _no_retries()
    response = editor_client.post(f"/api/projects/{project.pk}/datasets",
                                  {"file": SimpleUploadedFile("t.csv", CSV), "kind": "csv"}, format="multipart")
    assert response.status_code == 503, response.content
    assert "file store" in response.json()["detail"]
    assert not any(settings.MEDIA_ROOT.rglob("*.csv"))
    from designer.datasets.models import Dataset

    assert not Dataset.objects.exists()


def _no_retries():
    from botocore.config import Config

    return Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=2)

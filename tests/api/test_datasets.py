"""Datasets API: built-ins from the engine's registry, uploads checked by the engine."""
from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from designer.datasets.models import Dataset

pytestmark = pytest.mark.django_db

CSV = b"a,b,label\n" + b"".join(f"{i},{i % 3},{'xy'[i % 2]}\n".encode() for i in range(40))


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def upload(client, project, content=CSV, kind="csv", options=None, name="table.csv"):
    data = {"file": SimpleUploadedFile(name, content), "kind": kind, "name": "table"}
    if options is not None:
        data["options"] = json.dumps(options)
    return client.post(f"/api/projects/{project.pk}/datasets", data, format="multipart")


def test_it_lists_the_built_ins_with_their_shapes(viewer_client):
    rows = {row["id"]: row for row in viewer_client.get("/api/datasets").json()["results"]}
    assert rows["digits"]["input_shape"] == [1, 8, 8] and rows["digits"]["num_classes"] == 10
    assert rows["digits"]["available"] is True
    assert "csv" not in rows  # upload kinds are not datasets by themselves


@pytest.mark.parametrize("who, status", [("owner", 201), ("editor", 201), ("viewer", 403),
                                         ("outsider", 404), ("anonymous", 403)])
def test_it_lets_editors_upload_a_checked_csv(clients, project, media, who, status):
    response = upload(clients[who], project, options={"target": "label"})
    assert response.status_code == status
    if status != 201:
        assert not Dataset.objects.exists()
        return
    stored = Dataset.objects.get()
    assert response.json()["input_shape"] == [2] and response.json()["num_classes"] == 2
    assert stored.path.is_file() and stored.path.is_relative_to(media) and stored.original_name == "table.csv"
    listed = clients[who].get(f"/api/datasets?project={project.pk}").json()["results"]
    assert stored.pk in [row["id"] for row in listed]


def test_it_refuses_a_file_that_is_not_what_it_claims_and_keeps_nothing(editor_client, project, media):
    response = upload(editor_client, project, content=b"PK\x03\x04 not really a zip", kind="image_zip", name="x.zip")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "file"
    assert not Dataset.objects.exists()
    assert not any(p.is_file() for p in media.rglob("*"))


def test_it_names_the_bad_option(editor_client, project, media):
    response = upload(editor_client, project, options={"target": "nope"})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "options.target"


def test_it_refuses_an_upload_over_the_size_limit(editor_client, project, media, settings):
    settings.NETWEAVE_MAX_UPLOAD_BYTES = 100
    response = upload(editor_client, project)
    assert response.status_code == 400 and "100 bytes" in json.dumps(response.json())
    assert not Dataset.objects.exists()


def test_a_run_can_train_on_an_upload_of_its_project_only(editor_client, outsider_client, project, graph, media,
                                                         other_project):
    from tests.api import documents

    dataset_id = upload(editor_client, project, options={"target": "label"}).json()["id"]
    doc = documents.tiny_cnn()
    doc["nodes"] = [n for n in doc["nodes"] if n["id"] in ("x", "fc", "y")]
    doc["nodes"][0]["params"]["shape"] = [2]
    doc["nodes"][1]["params"]["out_features"] = 2  # the upload has two classes
    doc["edges"] = [{"source": "x", "source_port": "out", "target": "fc", "target_port": "in"},
                    {"source": "fc", "source_port": "out", "target": "y", "target_port": "in"}]
    mlp = editor_client.post(f"/api/projects/{project.pk}/graphs", {"name": "mlp", "document": doc},
                             format="json").json()
    ok = editor_client.post("/api/runs", {"graph": mlp["id"], "dataset": {"id": dataset_id}}, format="json")
    assert ok.status_code == 201, ok.json()
    assert ok.json()["dataset"]["upload"] == dataset_id
    elsewhere = outsider_client.post(f"/api/projects/{other_project.pk}/graphs", {"name": "g", "document": doc},
                                     format="json").json()
    refused = outsider_client.post("/api/runs", {"graph": elsewhere["id"], "dataset": {"id": dataset_id}},
                                   format="json")
    assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == "dataset.id"


@pytest.mark.parametrize("who, get, delete", [("owner", 200, 204), ("viewer", 200, 403),
                                              ("outsider", 404, 404), ("anonymous", 403, 403)])
def test_dataset_detail_and_delete_by_role(clients, editor_client, project, media, who, get, delete):
    dataset_id = upload(editor_client, project).json()["id"]
    assert clients[who].get(f"/api/datasets/{dataset_id}").status_code == get
    assert clients[who].delete(f"/api/datasets/{dataset_id}").status_code == delete
    assert Dataset.objects.filter(pk=dataset_id).exists() == (delete != 204)

"""Bad input found by probing every operation: each was a 500, each is now a 400
whose errors name the field (the issue #16 list, one case each)."""
from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from designer.datasets.models import Dataset
from designer.graphs.models import GraphVersion
from tests.api import documents

pytestmark = pytest.mark.django_db

HUGE = "9" * 20  # past PostgreSQL's bigint
LONG = "5" * 5000  # past Python's int() digit limit


@pytest.fixture
def graph(owner_client, project):
    response = owner_client.post(f"/api/projects/{project.pk}/graphs",
                                 {"name": "g", "document": documents.tiny_cnn()}, format="json")
    return response.json()["id"]


@pytest.fixture
def run(owner_client, graph):
    response = owner_client.post("/api/runs", {"graph": graph, "dataset": {"kind": "digits"}}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()["id"]


QUERIES = [
    ("/api/datasets?project=²", "project"),
    ("/api/runs?project=²", "project"),
    ("/api/runs?graph=" + HUGE, "graph"),
    ("/api/runs?offset=" + HUGE, "offset"),
    ("/api/runs?limit=" + LONG, "limit"),
    ("/api/projects/{project}/runs-table?offset=" + HUGE, "offset"),
    ("/api/projects/{project}/runs-table?graph=²", "graph"),
    ("/api/series?runs={run}&points=" + LONG, "points"),
    ("/api/series?runs=1,²", "runs"),
    ("/api/series?runs=" + HUGE, "runs"),
    ("/api/compare?runs=" + LONG, "runs"),
    ("/api/graphs/{graph}/diff?a=²&b=1", "a"),
    ("/api/graphs/{graph}/diff?a=1&b=" + HUGE, "b"),
]


@pytest.mark.parametrize("path, field", QUERIES, ids=[q[0].split("?")[1][:20] for q in QUERIES])
def test_a_bad_query_parameter_is_a_400_naming_it(owner_client, project, graph, run, path, field):
    response = owner_client.get(path.format(project=project.pk, graph=graph, run=run))
    assert response.status_code == 400, response.content[:300]
    assert field in {e["field"] for e in response.json()["errors"]}


def test_a_search_for_a_huge_run_number_finds_nothing(owner_client, project, run):
    response = owner_client.get(f"/api/projects/{project.pk}/runs-table?q=%23{HUGE}")
    assert response.status_code == 200 and response.json()["rows"] == []


@pytest.mark.parametrize("options, field", [
    ({"val_fraction": "abc"}, "dataset.options.val_fraction"),
    ({"test_fraction": [1]}, "dataset.options.test_fraction"),
    ({"split_seed": -1}, "dataset.options.split_seed"),
    ([1], "dataset.options"),
])
def test_bad_dataset_options_at_launch_are_a_400(owner_client, graph, options, field):
    response = owner_client.post("/api/runs", {"graph": graph, "dataset": {"kind": "digits", "options": options}},
                                 format="json")
    assert response.status_code == 400, response.content[:300]
    assert field in {e["field"] for e in response.json()["errors"]}


def _npz(**arrays) -> bytes:
    out = io.BytesIO()
    np.savez(out, **arrays)
    return out.getvalue()


def _png(colour: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (4, 4), colour).save(out, format="PNG")
    return out.getvalue()


def _zip_with_bad_crc() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        for name in ("a/1.png", "b/1.png"):
            zf.writestr(name, _png(0 if name[0] == "a" else 255))
    data = bytearray(out.getvalue())
    at = data.index(b"IDAT")  # inside the first image's stored bytes: its CRC no longer matches
    data[at + 5] ^= 0xFF
    return bytes(data)


UPLOADS = [
    ("csv", "latin1.csv", "a,b,label\n1,2,caf\xe9\n3,4,th\xe9\n".encode("latin-1"), {}, "file"),
    ("csv", "t.csv", b"a,b,label\n1,2,x\n3,4,y\n", {"delimiter": ""}, "options.delimiter"),
    ("npz", "empty.npz", _npz(x=np.zeros((0, 3), np.float32), y=np.zeros(0, np.int64)), {}, "file"),
    ("image_zip", "bad-crc.zip", _zip_with_bad_crc(), {}, "file"),
]


@pytest.mark.parametrize("kind, name, content, options, field", UPLOADS, ids=[u[1] for u in UPLOADS])
def test_a_bad_upload_is_a_400_naming_the_field(owner_client, project, settings, tmp_path,
                                                kind, name, content, options, field):
    settings.MEDIA_ROOT = tmp_path / "media"
    response = owner_client.post(f"/api/projects/{project.pk}/datasets", {
        "file": SimpleUploadedFile(name, content), "kind": kind, "name": "d", "options": json.dumps(options),
    }, format="multipart")
    assert response.status_code == 400, response.content[:300]
    assert field in {e["field"] for e in response.json()["errors"]}
    assert not Dataset.objects.exists()
    assert not list((tmp_path / "media").rglob("*.*"))  # nothing half-written


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_json_nested_ten_thousand_deep_is_a_400_to_validate(owner_client):
    body = '{"document": {"schema": "netweave.graph/1", "nodes": ' + _nested(10_000) + "}}"
    response = owner_client.post("/api/graphs/validate", body, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert response.json()["errors"][0]["message"]


def test_json_nested_ten_thousand_deep_is_a_400_to_save(owner_client, project, graph):
    body = '{"name": "deep", "document": {"nodes": ' + _nested(10_000) + "}}"
    response = owner_client.post(f"/api/graphs/{graph}/versions", body, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert GraphVersion.objects.filter(graph_id=graph).count() == 1


def test_a_huge_expression_variable_is_a_400_naming_the_node(owner_client):
    document = documents.tiny_cnn()
    document["variables"] = {"width": 10**400}
    document["nodes"][1]["params"]["out_channels"] = "=width * 2"
    response = owner_client.post("/api/graphs/validate", {"document": document}, format="json")
    assert response.status_code == 200, response.content[:300]  # a report, with the error on its node
    [problem] = response.json()["errors"]
    assert (problem["node"], problem["field"]) == ("conv1", "out_channels")
    assert "about 401 digits" in problem["message"]


def test_a_csv_wider_than_the_column_cap_is_refused(owner_client, project, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    wide = (",".join(f"c{i}" for i in range(10_001)) + "\n" + ",".join(["1"] * 10_001) + "\n").encode()
    response = owner_client.post(f"/api/projects/{project.pk}/datasets", {
        "file": SimpleUploadedFile("wide.csv", wide), "kind": "csv", "name": "wide"}, format="multipart")
    assert response.status_code == 400
    assert "10,001 columns; the limit is 10,000" in response.json()["errors"][0]["message"]


def test_dataset_lists_leave_per_column_details_to_the_detail(owner_client, project, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    table = b"a,b,label\n" + b"".join(f"{i},{i % 3},{'xy'[i % 2]}\n".encode() for i in range(40))
    created = owner_client.post(f"/api/projects/{project.pk}/datasets", {
        "file": SimpleUploadedFile("t.csv", table), "kind": "csv", "name": "t"}, format="multipart").json()
    [row] = [r for r in owner_client.get(f"/api/datasets?project={project.pk}").json()["results"]
             if r["id"] == created["id"]]
    assert "features" not in row and "normalization" not in row and row["feature_count"] == 2
    assert owner_client.get(f"/api/datasets/{created['id']}").json()["features"] == ["a", "b"]

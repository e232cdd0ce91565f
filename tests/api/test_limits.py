"""Limits answer 400 with the one documented error shape: {detail, errors: [{node, port, field, message}]}."""
import json

import pytest

from designer.graphs.models import Graph
from tests.api import documents

pytestmark = pytest.mark.django_db

SHAPE = {"node", "port", "field", "message"}


def test_it_refuses_an_oversized_request_body(editor_client, project, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    body = {"name": "big", "description": "x" * 1500, "document": documents.tiny_cnn()}
    response = editor_client.post(f"/api/projects/{project.pk}/graphs", json.dumps(body),
                                  content_type="application/json")
    assert response.status_code == 400
    assert "limit is 2,048 bytes" in response.json()["detail"]
    assert not Graph.objects.exists()


def test_it_refuses_overlong_strings_inside_a_document(editor_client, project):
    document = documents.tiny_cnn()
    document["nodes"][2]["params"]["note"] = "n" * 10_001
    response = editor_client.post(f"/api/projects/{project.pk}/graphs", {"name": "g", "document": document},
                                  format="json")
    assert response.status_code == 400
    [problem] = response.json()["errors"]
    assert set(problem) == SHAPE
    assert problem["field"] == "nodes[2].params.note"
    assert not Graph.objects.exists()


def test_it_refuses_too_many_nodes_on_save(editor_client, graph, settings):
    settings.NETWEAVE_MAX_NODES = 3
    response = editor_client.post(f"/api/graphs/{graph.pk}/versions", {"document": documents.tiny_cnn()},
                                  format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "nodes"
    assert graph.versions.count() == 1


def test_it_refuses_an_overlong_message(editor_client, graph):
    response = editor_client.post(f"/api/graphs/{graph.pk}/versions",
                                  {"document": documents.tiny_cnn(), "message": "m" * 1001}, format="json")
    assert response.status_code == 400
    [problem] = response.json()["errors"]
    assert (set(problem), problem["field"]) == (SHAPE, "message")


def test_it_answers_unknown_api_paths_with_json_404(owner_client):
    response = owner_client.get("/api/no/such/thing")
    assert response.status_code == 404
    assert "/api/docs/" in response.json()["detail"]
    slashed = owner_client.get("/api/projects/")
    assert slashed.status_code == 404
    assert "no trailing slash (/api/projects)" in slashed.json()["detail"]


def test_it_reports_health_without_login(anon_client):
    response = anon_client.get("/api/health")
    assert (response.status_code, response.json()["status"]) == (200, "ok")


def test_it_publishes_the_openapi_schema_and_docs(owner_client):
    schema = owner_client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/api/graphs/validate", "/api/graphs/{id}/versions", "/api/projects"} <= set(paths)
    docs = owner_client.get("/api/docs/")
    assert docs.status_code == 200
    # Swagger UI comes from our own static files, so the docs work on a machine offline.
    assert b"/static/drf_spectacular_sidecar/" in docs.content and b"cdn.jsdelivr" not in docs.content


def test_it_serves_the_editor_for_other_paths(anon_client, settings, tmp_path):
    settings.FRONTEND_DIST = tmp_path
    assert anon_client.get("/projects/3/graphs/4").status_code == 404  # not built yet
    (tmp_path / "index.html").write_text("<!doctype html><div id=root></div>")
    response = anon_client.get("/projects/3/graphs/4")
    assert response.status_code == 200
    assert b"id=root" in b"".join(response.streaming_content)


def test_it_answers_a_server_bug_with_json(viewer, monkeypatch):
    from rest_framework.test import APIClient

    from designer.graphs import services

    def bug(document):
        raise RuntimeError("a bug")

    monkeypatch.setattr(services, "validation_report", bug)
    client = APIClient(raise_request_exception=False)
    client.force_login(viewer)
    response = client.post("/api/graphs/validate", {"document": {}}, format="json")
    assert response.status_code == 500
    assert "server log" in response.json()["detail"]


def test_the_service_views_describe_themselves_in_openapi(capsys, tmp_path):
    # drf-spectacular prints a line per view it cannot describe; none may be ours.
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--file", str(tmp_path / "schema.yaml"))
    complaints = capsys.readouterr().err.splitlines()
    ours = [line for line in complaints if "designer/core" in line or "designer/graphs" in line]
    assert ours == []
    assert (tmp_path / "schema.yaml").stat().st_size > 1000

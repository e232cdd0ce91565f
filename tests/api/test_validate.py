"""Validation, the layer palette and templates: answers from the engine, nothing saved."""
import pytest

from designer.graphs.models import Graph, GraphVersion
from tests.api import documents

pytestmark = pytest.mark.django_db


def validate(client, document):
    return client.post("/api/graphs/validate", {"document": document}, format="json")


def test_it_reports_shapes_per_edge_and_totals(viewer_client):
    response = validate(viewer_client, documents.tiny_cnn())
    assert response.status_code == 200
    report = response.json()
    assert report["ok"] is True and report["errors"] == []
    edge = next(e for e in report["edges"] if e["target"] == "relu1")
    assert edge["shape"] == [None, 4, 8, 8]
    assert report["nodes"]["conv1"]["params"] == 4 * 1 * 9 + 4
    assert report["totals"]["params"] == (4 * 9 + 4) + (256 * 10 + 10)
    assert not GraphVersion.objects.exists()


def test_it_returns_the_engines_node_level_errors(viewer_client):
    response = validate(viewer_client, documents.shape_broken())
    assert response.status_code == 200
    report = response.json()
    assert report["ok"] is False
    [problem] = [e for e in report["errors"] if e["node"] == "conv1"]
    assert set(problem) >= {"node", "port", "field", "message"}
    assert "conv1" in problem["message"] or "Conv2d" in problem["message"]


def test_it_rejects_anonymous_validation(anon_client):
    assert validate(anon_client, documents.tiny_cnn()).status_code == 403


@pytest.mark.parametrize("document", [[1, 2], "graph", None])
def test_it_rejects_a_document_that_is_not_an_object(viewer_client, document):
    response = validate(viewer_client, document)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "document"


def test_it_refuses_graphs_over_the_node_limit(viewer_client, settings):
    settings.NETWEAVE_MAX_NODES = 5
    response = validate(viewer_client, documents.tiny_cnn())
    assert response.status_code == 400
    assert "limit is 5" in response.json()["detail"]


def test_it_serves_the_layer_catalogue(viewer_client, anon_client):
    response = viewer_client.get("/api/layers")
    assert response.status_code == 200
    conv = next(layer for layer in response.json() if layer["op"] == "Conv2d")
    assert {"category", "inputs", "outputs", "params"} <= set(conv)
    assert anon_client.get("/api/layers").status_code == 403


def test_it_lists_and_loads_templates_that_validate(viewer_client):
    listing = viewer_client.get("/api/templates")
    assert listing.status_code == 200
    names = [t["name"] for t in listing.json()]
    assert names
    document = viewer_client.get(f"/api/templates/{names[0]}").json()
    assert document["schema"] == "netweave.graph/1"
    assert validate(viewer_client, document).json()["ok"] is True
    assert not Graph.objects.exists()


def test_it_answers_404_for_an_unknown_template(viewer_client):
    response = viewer_client.get("/api/templates/no-such-model")
    assert response.status_code == 404
    assert "/api/templates" in response.json()["detail"]

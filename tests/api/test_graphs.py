"""Graphs of a project: editors create and rename, everyone with a role reads, the owner deletes."""
import pytest

from designer.graphs.models import Graph
from tests.api import documents

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who, status", [("owner", 201), ("editor", 201), ("viewer", 403),
                                         ("outsider", 404), ("anonymous", 403)])
def test_it_lets_editors_create_graphs(clients, project, who, status):
    body = {"name": "cnn", "document": documents.tiny_cnn(), "message": "start"}
    response = clients[who].post(f"/api/projects/{project.pk}/graphs", body, format="json")
    assert response.status_code == status
    stored = Graph.objects.filter(project=project, name="cnn").first()
    if status != 201:
        assert stored is None
        return
    assert response.json()["latest_version"] == 1
    assert response.json()["document"] == documents.tiny_cnn()
    first = stored.versions.get()
    assert (first.number, first.message, first.author.username, first.valid) == (1, "start", who, True)
    assert stored.head == first


def test_it_starts_a_graph_without_a_document_empty(editor_client, project):
    response = editor_client.post(f"/api/projects/{project.pk}/graphs", {"name": "blank"}, format="json")
    assert response.status_code == 201
    document = Graph.objects.get(name="blank").head.document
    assert (document["schema"], document["nodes"]) == ("netweave.graph/1", [])


def test_it_rejects_a_malformed_document_and_stores_nothing(editor_client, project):
    body = {"name": "bad", "document": documents.malformed()}
    response = editor_client.post(f"/api/projects/{project.pk}/graphs", body, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors and all(set(e) == {"node", "port", "field", "message"} for e in errors)
    assert not Graph.objects.filter(name="bad").exists()


def test_it_rejects_a_duplicate_graph_name(editor_client, project, graph):
    response = editor_client.post(f"/api/projects/{project.pk}/graphs", {"name": "tiny"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "name"
    assert Graph.objects.filter(project=project, name="tiny").count() == 1


@pytest.mark.parametrize("who, status", [("owner", 200), ("editor", 200), ("viewer", 200),
                                         ("outsider", 404), ("anonymous", 403)])
def test_it_lists_graphs_without_documents(clients, project, graph, who, status):
    response = clients[who].get(f"/api/projects/{project.pk}/graphs")
    assert response.status_code == status
    if status == 200:
        [row] = response.json()["results"]
        assert (row["id"], row["latest_version"], row["valid"]) == (graph.pk, 1, True)
        assert "document" not in row


@pytest.mark.parametrize("who, status", [("owner", 200), ("editor", 200), ("viewer", 200),
                                         ("outsider", 404), ("anonymous", 403)])
def test_it_shows_a_graph_with_its_latest_document(clients, graph, who, status):
    response = clients[who].get(f"/api/graphs/{graph.pk}")
    assert response.status_code == status
    if status == 200:
        assert response.json()["document"] == documents.tiny_cnn()


@pytest.mark.parametrize("who, status", [("owner", 200), ("editor", 200), ("viewer", 403),
                                         ("outsider", 404), ("anonymous", 403)])
def test_it_lets_editors_rename_graphs(clients, graph, who, status):
    response = clients[who].patch(f"/api/graphs/{graph.pk}", {"name": "renamed"}, format="json")
    assert response.status_code == status
    graph.refresh_from_db()
    assert graph.name == ("renamed" if status == 200 else "tiny")


def test_it_refuses_documents_through_patch(editor_client, graph):
    response = editor_client.patch(f"/api/graphs/{graph.pk}", {"document": documents.wide(8)}, format="json")
    assert response.status_code == 400
    assert "versions" in response.json()["errors"][0]["message"]
    assert graph.versions.count() == 1


@pytest.mark.parametrize("who, status", [("owner", 204), ("editor", 403), ("viewer", 403),
                                         ("outsider", 404), ("anonymous", 403)])
def test_it_lets_only_the_owner_delete_graphs(clients, graph, who, status):
    response = clients[who].delete(f"/api/graphs/{graph.pk}")
    assert response.status_code == status
    assert Graph.objects.filter(pk=graph.pk).exists() == (status != 204)


def test_it_rejects_outsiders_graph_in_their_own_project(outsider_client, other_project, graph):
    # A project id the outsider may use does not open graphs of another project.
    assert outsider_client.get(f"/api/graphs/{graph.pk}").status_code == 404
    listing = outsider_client.get(f"/api/projects/{other_project.pk}/graphs").json()
    assert listing["count"] == 0


def test_it_keeps_a_graph_whose_versions_runs_used(owner_client, project, graph):
    from designer.runs.models import Run

    Run.objects.create(project=project, graph_version=graph.head)
    response = owner_client.delete(f"/api/graphs/{graph.pk}")
    assert response.status_code == 409
    assert "runs" in response.json()["detail"]
    assert Graph.objects.filter(pk=graph.pk).exists()

"""Version history: every save a new immutable version; fetch, restore, diff."""
import pytest

from designer.graphs.models import GraphVersion, ImmutableVersionError
from tests.api import documents

pytestmark = pytest.mark.django_db


def save(client, graph, document, message="edit", **extra):
    return client.post(f"/api/graphs/{graph.pk}/versions",
                       {"document": document, "message": message, **extra}, format="json")


@pytest.mark.parametrize("who, status", [("owner", 201), ("editor", 201), ("viewer", 403),
                                         ("outsider", 404), ("anonymous", 403)])
def test_it_saves_a_new_version_for_editors(clients, graph, who, status):
    response = save(clients[who], graph, documents.wide(16), "wider")
    assert response.status_code == status
    graph.refresh_from_db()
    if status != 201:
        assert graph.versions.count() == 1 and graph.head.number == 1
        return
    assert response.json()["number"] == 2
    assert (graph.head.number, graph.head.author.username, graph.head.message) == (2, who, "wider")
    assert graph.head.document == documents.wide(16)
    assert graph.versions.get(number=1).document == documents.tiny_cnn()  # history kept


def test_it_saves_work_in_progress_with_shape_errors(editor_client, graph):
    response = save(editor_client, graph, documents.shape_broken(), "wip")
    assert response.status_code == 201
    stored = graph.versions.get(number=2)
    assert stored.valid is False
    assert any(e["node"] == "conv1" for e in stored.errors)


def test_it_refuses_a_malformed_document_with_node_errors(editor_client, graph):
    response = save(editor_client, graph, documents.malformed())
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] and body["errors"]
    assert any(e["node"] or e["field"] for e in body["errors"])
    assert graph.versions.count() == 1


def test_it_refuses_a_save_based_on_an_old_version(editor_client, graph):
    assert save(editor_client, graph, documents.wide(8), base_version=1).status_code == 201
    stale = save(editor_client, graph, documents.wide(32), base_version=1)
    assert stale.status_code == 409
    assert "version 2" in stale.json()["detail"].lower()
    assert graph.versions.count() == 2


@pytest.mark.parametrize("who, status", [("viewer", 200), ("outsider", 404), ("anonymous", 403)])
def test_it_lists_history_newest_first(clients, editor_client, graph, who, status):
    save(editor_client, graph, documents.wide(8))
    response = clients[who].get(f"/api/graphs/{graph.pk}/versions")
    assert response.status_code == status
    if status == 200:
        rows = response.json()["results"]
        assert [r["number"] for r in rows] == [2, 1]
        assert rows[1]["content_hash"] == GraphVersion.objects.get(graph=graph, number=1).content_hash
        assert "document" not in rows[0]


@pytest.mark.parametrize("who, status", [("viewer", 200), ("outsider", 404), ("anonymous", 403)])
def test_it_fetches_one_version(clients, graph, who, status):
    response = clients[who].get(f"/api/graphs/{graph.pk}/versions/1")
    assert response.status_code == status
    if status == 200:
        assert response.json()["document"] == documents.tiny_cnn()


def test_it_answers_404_for_a_missing_version(viewer_client, graph):
    assert viewer_client.get(f"/api/graphs/{graph.pk}/versions/9").status_code == 404


@pytest.mark.parametrize("who, status", [("owner", 201), ("editor", 201), ("viewer", 403),
                                         ("outsider", 404), ("anonymous", 403)])
def test_it_restores_an_old_version_as_a_new_one(clients, editor_client, graph, who, status):
    save(editor_client, graph, documents.wide(8))
    response = clients[who].post(f"/api/graphs/{graph.pk}/versions/1/restore", {}, format="json")
    assert response.status_code == status
    graph.refresh_from_db()
    if status != 201:
        assert graph.head.number == 2
        return
    assert (graph.head.number, graph.head.restored_from) == (3, 1)
    assert graph.head.document == documents.tiny_cnn()
    assert graph.head.message == "Restored version 1"
    assert graph.head.content_hash == graph.versions.get(number=1).content_hash


@pytest.mark.parametrize("who, status", [("viewer", 200), ("outsider", 404), ("anonymous", 403)])
def test_it_diffs_two_versions(clients, editor_client, graph, who, status):
    changed = documents.wide(8)
    changed["nodes"].insert(3, {"id": "drop", "op": "Dropout", "params": {"p": 0.5}})
    changed["edges"] = documents.chain([(n["id"], n["op"], n["params"]) for n in changed["nodes"]])[1]
    assert save(editor_client, graph, changed).status_code == 201
    response = clients[who].get(f"/api/graphs/{graph.pk}/diff?a=1&b=2")
    assert response.status_code == status
    if status == 200:
        diff = response.json()
        assert (diff["a"], diff["b"]) == (1, 2)
        assert [n["id"] for n in diff["nodes_added"]] == ["drop"]
        assert diff["nodes_removed"] == []
        [conv] = diff["nodes_changed"]
        assert (conv["id"], conv["params"]["out_channels"]) == ("conv1", [4, 8])
        assert diff["edges_added"] and diff["edges_removed"]


@pytest.mark.parametrize("query", ["", "?a=1", "?a=1&b=x", "?a=-1&b=1"])
def test_it_rejects_bad_diff_queries(viewer_client, graph, query):
    response = viewer_client.get(f"/api/graphs/{graph.pk}/diff{query}")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] in {"a", "b"}


def test_versions_are_immutable(graph):
    version = graph.versions.get()
    version.message = "rewritten"
    with pytest.raises(ImmutableVersionError):
        version.save()
    version.refresh_from_db()
    assert version.message == "first"


@pytest.mark.django_db(transaction=True)
def test_simultaneous_saves_get_consecutive_numbers(project, owner, editor, client_for):
    """Two editors press save at once: the graph row lock numbers them 2 and 3, none is lost."""
    import threading

    from django.db import connection

    from designer.graphs.services import create_graph

    graph = create_graph(project, "race", owner, documents.tiny_cnn())
    barrier, statuses = threading.Barrier(2), []

    def save_in_thread(width):
        try:
            client = client_for(editor)
            barrier.wait(timeout=30)
            statuses.append(save(client, graph, documents.wide(width)).status_code)
        except Exception as exc:  # the test client re-raises a view's error: record it
            statuses.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=save_in_thread, args=(w,)) for w in (8, 16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert statuses == [201, 201]
    graph.refresh_from_db()
    assert sorted(graph.versions.values_list("number", flat=True)) == [1, 2, 3]
    assert graph.head.number == 3

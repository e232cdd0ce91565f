"""Projects: everyone with a role reads; only the owner changes or deletes; others get 404."""
import pytest

from designer.graphs.models import Project

pytestmark = pytest.mark.django_db


def test_it_lists_only_visible_projects(clients, project, other_project):
    for who in ("owner", "editor", "viewer"):
        response = clients[who].get("/api/projects")
        assert response.status_code == 200
        assert [p["id"] for p in response.json()["results"]] == [project.pk]
        assert response.json()["results"][0]["role"] == who
    outsider_ids = [p["id"] for p in clients["outsider"].get("/api/projects").json()["results"]]
    assert outsider_ids == [other_project.pk]
    assert clients["anonymous"].get("/api/projects").status_code == 403


def test_it_creates_a_project_owned_by_the_caller(editor_client, editor):
    response = editor_client.post("/api/projects", {"name": "audio", "description": "1-D"}, format="json")
    assert response.status_code == 201
    assert response.json()["role"] == "owner"
    stored = Project.objects.get(pk=response.json()["id"])
    assert (stored.name, stored.description, stored.owner) == ("audio", "1-D", editor)


def test_it_rejects_anonymous_project_creation(anon_client):
    assert anon_client.post("/api/projects", {"name": "x"}, format="json").status_code == 403
    assert not Project.objects.exists()


def test_it_rejects_a_too_long_name_project(owner_client):
    response = owner_client.post("/api/projects", {"name": "x" * 201}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "name"
    assert not Project.objects.exists()


@pytest.mark.parametrize("who, status", [("owner", 200), ("editor", 200), ("viewer", 200),
                                         ("outsider", 404), ("anonymous", 403)])
def test_it_shows_a_project_to_its_people_only(clients, project, who, status):
    response = clients[who].get(f"/api/projects/{project.pk}")
    assert response.status_code == status
    if status == 200:
        assert response.json()["owner"] == "owner"


@pytest.mark.parametrize("who, status", [("owner", 200), ("editor", 403), ("viewer", 403),
                                         ("outsider", 404), ("anonymous", 403)])
def test_it_lets_only_the_owner_rename_a_project(clients, project, who, status):
    response = clients[who].patch(f"/api/projects/{project.pk}", {"name": "renamed"}, format="json")
    assert response.status_code == status
    project.refresh_from_db()
    assert project.name == ("renamed" if status == 200 else "vision")


@pytest.mark.parametrize("who, status", [("owner", 204), ("editor", 403), ("viewer", 403),
                                         ("outsider", 404), ("anonymous", 403)])
def test_it_lets_only_the_owner_delete_a_project(clients, project, who, status):
    response = clients[who].delete(f"/api/projects/{project.pk}")
    assert response.status_code == status
    assert Project.objects.filter(pk=project.pk).exists() == (status != 204)


def test_it_deletes_a_project_with_runs_in_it(owner_client, project, graph):
    from designer.runs.models import Run

    Run.objects.create(project=project, graph_version=graph.head)
    assert owner_client.delete(f"/api/projects/{project.pk}").status_code == 204
    assert not Project.objects.filter(pk=project.pk).exists()
    assert not Run.objects.filter(project_id=project.pk).exists()

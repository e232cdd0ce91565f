"""Members: the owner adds, re-roles and removes them; a member may leave."""
import pytest

from designer.graphs.models import Membership

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who, status", [("owner", 200), ("editor", 200), ("viewer", 200),
                                         ("outsider", 404), ("anonymous", 403)])
def test_it_lists_members_to_people_of_the_project(clients, project, who, status):
    response = clients[who].get(f"/api/projects/{project.pk}/members")
    assert response.status_code == status
    if status == 200:
        rows = {m["username"]: m["role"] for m in response.json()["results"]}
        assert rows == {"editor": "editor", "viewer": "viewer"}


@pytest.mark.parametrize("who, status", [("owner", 201), ("editor", 403), ("viewer", 403),
                                         ("outsider", 404), ("anonymous", 403)])
def test_it_lets_only_the_owner_add_members(clients, project, make_user, who, status):
    newcomer = make_user("newcomer")
    response = clients[who].post(f"/api/projects/{project.pk}/members",
                                 {"username": "newcomer", "role": "viewer"}, format="json")
    assert response.status_code == status
    stored = Membership.objects.filter(project=project, user=newcomer).first()
    assert (stored.role if stored else None) == ("viewer" if status == 201 else None)


@pytest.mark.parametrize("body, field", [
    ({"username": "nobody", "role": "viewer"}, "username"),
    ({"username": "editor", "role": "viewer"}, "username"),  # already a member
    ({"username": "owner", "role": "editor"}, "username"),  # owns it
    ({"username": "outsider", "role": "admin"}, "role"),
])
def test_it_rejects_bad_member_additions(owner_client, project, body, field):
    response = owner_client.post(f"/api/projects/{project.pk}/members", body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field
    assert project.memberships.count() == 2


@pytest.mark.parametrize("who, status", [("owner", 200), ("editor", 403), ("viewer", 403),
                                         ("outsider", 404)])
def test_it_lets_only_the_owner_change_roles(clients, project, viewer, who, status):
    response = clients[who].patch(f"/api/projects/{project.pk}/members/{viewer.pk}",
                                  {"role": "editor"}, format="json")
    assert response.status_code == status
    member = Membership.objects.get(project=project, user=viewer)
    assert member.role == ("editor" if status == 200 else "viewer")


@pytest.mark.parametrize("who, status", [("owner", 204), ("editor", 403), ("viewer", 204),
                                         ("outsider", 404), ("anonymous", 403)])
def test_it_removes_members_by_the_owner_or_themselves(clients, project, viewer, who, status):
    response = clients[who].delete(f"/api/projects/{project.pk}/members/{viewer.pk}")
    assert response.status_code == status
    assert Membership.objects.filter(project=project, user=viewer).exists() == (status != 204)


def test_a_removed_member_gets_404(clients, project, viewer):
    clients["owner"].delete(f"/api/projects/{project.pk}/members/{viewer.pk}")
    assert clients["viewer"].get(f"/api/projects/{project.pk}").status_code == 404

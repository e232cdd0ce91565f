"""Who may see and change a project, shared by every app (graphs, runs, datasets, dashboards).

Roles rank viewer < editor < owner. Someone with no role in a project gets
404 (its existence is not revealed); someone with too small a role gets 403.
"""
from __future__ import annotations

from django.db.models import Case, CharField, Exists, OuterRef, Q, QuerySet, Subquery, Value, When
from rest_framework.exceptions import NotFound, PermissionDenied

from designer.graphs.models import ROLE_RANK, Membership, Project, Role

NOT_FOUND = "Not found, or you have no access to it."


def projects_visible_to(user) -> QuerySet[Project]:
    """Projects the user owns or is a member of, each annotated with `role`."""
    if not getattr(user, "is_authenticated", False):
        return Project.objects.none()
    member_role = Membership.objects.filter(project=OuterRef("pk"), user=user).values("role")[:1]
    return (
        Project.objects.filter(Q(owner=user) | Exists(member_role))
        .annotate(
            role=Case(
                When(owner=user, then=Value(Role.OWNER.value)),
                default=Subquery(member_role),
                output_field=CharField(),
            )
        )
    )


def role_of(project: Project, user) -> str | None:
    """The user's role in the project, or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    if project.owner_id == user.pk:
        return Role.OWNER.value
    return (
        Membership.objects.filter(project=project, user=user).values_list("role", flat=True).first()
    )


def has_role(role: str | None, needed: str) -> bool:
    return role is not None and ROLE_RANK[Role(role)] >= ROLE_RANK[Role(needed)]


def require_role(project: Project, user, role: str = Role.VIEWER) -> str:
    """Return the user's role, or raise 404 (no access) / 403 (role too small)."""
    actual = getattr(project, "role", None) or role_of(project, user)
    if actual is None:
        raise NotFound(NOT_FOUND)
    if not has_role(actual, role):
        raise PermissionDenied(f"This needs the {Role(role).value} role in the project; you are {actual}.")
    return actual


def get_project(user, pk: int, role: str = Role.VIEWER) -> Project:
    """A project the user may act on with `role`, annotated with the user's role."""
    project = projects_visible_to(user).filter(pk=pk).first()
    if project is None:
        raise NotFound(NOT_FOUND)
    require_role(project, user, role)
    return project


def get_graph(user, pk: int, role: str = Role.VIEWER):
    """A graph in a project where the user has at least `role` (404 / 403 otherwise)."""
    from designer.graphs.models import Graph

    graph = Graph.objects.select_related("project", "head", "created_by").filter(pk=pk).first()
    if graph is None:
        raise NotFound(NOT_FOUND)
    graph.project.role = require_role(graph.project, user, role)
    return graph


class RoleByMethod:
    """View mixin: `roles` maps an HTTP method to the project role it needs."""

    roles = {"GET": Role.VIEWER, "HEAD": Role.VIEWER, "OPTIONS": Role.VIEWER,
             "POST": Role.EDITOR, "PATCH": Role.EDITOR, "PUT": Role.EDITOR, "DELETE": Role.OWNER}

    def needed_role(self) -> str:
        return self.roles[self.request.method]

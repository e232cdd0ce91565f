"""Projects, their members, graphs and every saved version of a graph.

A GraphVersion is immutable: saving a graph always adds a version, restoring
an old one adds a copy of it. Runs pin the version they used, so what a run
trained can always be reopened exactly.
"""
from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.db import models


class Role(models.TextChoices):
    # Ordered by what they allow: each role can do everything the ones before it can.
    VIEWER = "viewer", "Viewer"
    EDITOR = "editor", "Editor"
    OWNER = "owner", "Owner"


ROLE_RANK = {Role.VIEWER: 1, Role.EDITOR: 2, Role.OWNER: 3}

NAME_MAX = 200
DESCRIPTION_MAX = 2000
MESSAGE_MAX = 1000


class Project(models.Model):
    name = models.CharField(max_length=NAME_MAX)
    description = models.TextField(blank=True, max_length=DESCRIPTION_MAX)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="owned_projects"
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated", "-id"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A teammate's role in a project (the owner is not a member: see Project.owner)."""

    MEMBER_ROLES = [(Role.EDITOR.value, "Editor"), (Role.VIEWER.value, "Viewer")]

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=MEMBER_ROLES)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="unique_project_member"),
        ]


class Graph(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="graphs")
    name = models.CharField(max_length=NAME_MAX)
    description = models.TextField(blank=True, max_length=DESCRIPTION_MAX)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The newest version, kept here so lists need no per-row subquery.
    head = models.ForeignKey(
        "GraphVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="unique_graph_name_in_project"),
        ]

    def __str__(self) -> str:
        return self.name


def content_hash(document: dict) -> str:
    """A stable hash of a document: the same graph saved twice hashes the same."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class ImmutableVersionError(RuntimeError):
    pass


class GraphVersion(models.Model):
    graph = models.ForeignKey(Graph, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.CharField(max_length=MESSAGE_MAX, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    document = models.JSONField()
    content_hash = models.CharField(max_length=64, db_index=True)
    # What validation said when it was saved: work in progress may have shape errors.
    valid = models.BooleanField(default=False)
    errors = models.JSONField(default=list, blank=True)
    node_count = models.PositiveIntegerField(default=0)
    restored_from = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["graph", "number"], name="unique_version_number"),
        ]

    def __str__(self) -> str:
        return f"{self.graph_id}@{self.number}"

    def save(self, *args, **kwargs):
        # History is the record runs point at: a version is written once, never changed.
        if self.pk is not None:
            raise ImmutableVersionError("graph versions are immutable; save a new version instead")
        self.content_hash = content_hash(self.document)
        super().save(*args, **kwargs)

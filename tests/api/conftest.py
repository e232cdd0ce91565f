"""Fixtures for API tests: a graph with one saved version in the shared `project`."""
from __future__ import annotations

import pytest

from tests.api import documents


@pytest.fixture
def graph(project, owner):
    from designer.graphs.services import create_graph

    return create_graph(project, "tiny", owner, documents.tiny_cnn(), "first")


@pytest.fixture
def other_project(outsider):
    """A project only the outsider can see (owner, editor and viewer have no role in it)."""
    from designer.graphs.models import Project

    return Project.objects.create(name="elsewhere", owner=outsider)

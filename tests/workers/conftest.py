"""Fixtures for the workers' tests: runs, the stand-in child, a real Celery worker."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.api import documents

STANDIN = Path(__file__).with_name("standin.py")


@pytest.fixture
def runs_root(settings, tmp_path):
    settings.RUNS_ROOT = tmp_path / "runs"
    return settings.RUNS_ROOT


@pytest.fixture
def version(project, owner):
    from designer.graphs.services import create_graph

    return create_graph(project, "tiny", owner, documents.tiny_cnn(), "first").head


@pytest.fixture
def make_run(version, owner, runs_root):
    from designer.runs.models import Run

    def make(**fields):
        fields.setdefault("dataset", {"kind": "digits", "options": {}})
        fields.setdefault("created_by", owner)
        return Run.objects.create(project=version.graph.project, graph_version=version, **fields)

    return make


def standin_command(run) -> list[str]:
    return [sys.executable, str(STANDIN), str(run.run_dir)]

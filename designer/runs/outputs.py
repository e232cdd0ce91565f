"""What a finished job leaves for the service beyond its figures: a graph it produced.

A ``compress`` job that pruned structurally writes ``outputs/graph.json``,
the narrower graph its ``checkpoints/best.pt`` belongs to. When the run
succeeds it becomes a new version of the source graph (the message names
the run), and the run points at that version from then on: its checkpoint
fits it, so evaluating or compressing the run again compiles the right
graph. The version it was launched with is kept in the ``graph_version``
artifact. Nothing half-written: a document that cannot be saved fails the
run, with the reason.
"""
from __future__ import annotations

import json
import logging

from django.db import transaction

from designer.core.errors import InputProblem
from designer.graphs.services import save_version
from designer.runs.models import Artifact, Run

log = logging.getLogger("netweave.runs.outputs")

GRAPH_FILE = "outputs/graph.json"


def version_message(run: Run) -> str:
    name = f" ({run.name})" if run.name else ""
    return f"{run.kind.capitalize()} run #{run.pk}{name}: the graph of its model"[:200]


def publish(run: Run) -> str:
    """Save the graph the run produced, if any; return an error message ("" when fine)."""
    path = run.run_dir / GRAPH_FILE
    if not path.is_file():
        return ""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return f"the job's {GRAPH_FILE} cannot be read: {exc}"
    source = run.graph_version
    try:
        version = save_version(source.graph, document, run.created_by, version_message(run))
    except InputProblem as exc:
        return f"the produced graph cannot be saved as a version: {exc.detail}"
    with transaction.atomic():
        Run.objects.filter(pk=run.pk).update(graph_version=version)
        Artifact.objects.update_or_create(run=run, name="graph_version/0", defaults={
            "kind": "graph_version", "step": 0,
            "data": {"graph": source.graph_id, "version": version.number, "version_id": version.pk,
                     "source_version": source.number, "source_version_id": source.pk}})
    log.info("run %s: saved graph %s version %s", run.pk, source.graph_id, version.number)
    return ""

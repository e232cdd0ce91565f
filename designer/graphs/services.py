"""What happens when graphs are saved, restored, compared and exported.

Views stay small: they check roles, read the request, and call these.
"""
from __future__ import annotations

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Max

from designer.core.errors import Conflict, InputProblem, error
from designer.graphs import engine
from designer.graphs.limits import check_document, count_nodes
from designer.graphs.models import Graph, GraphVersion, Project

SCHEMA = "netweave.graph/1"
log = logging.getLogger(__name__)


def empty_document(name: str) -> dict:
    return {"schema": SCHEMA, "name": name, "variables": {}, "nodes": [], "edges": [], "blocks": {}}


def validation_report(document: dict) -> dict:
    """The engine's report (shapes, errors per node, totals); nothing is saved."""
    check_document(document)
    return engine.call(
        "validate_graph",
        document,
        param_budget=settings.NETWEAVE_PARAM_BUDGET,
        max_nodes=settings.NETWEAVE_MAX_NODES,
    )


def checked_document(document) -> tuple[dict, dict]:
    """Refuse malformed documents (schema errors → 400); return it with its report.

    Shape errors do not refuse a save: work in progress may be saved, and the
    version records whether it was valid.
    """
    check_document(document)
    engine.call("parse_graph", document)
    return document, validation_report(document)


def save_version(graph: Graph, document, author, message: str = "", *,
                 base_version: int | None = None, restored_from: int | None = None) -> GraphVersion:
    # Validate before the transaction: the engine may take a while on big graphs.
    document, report = checked_document(document)
    with transaction.atomic():
        return _append_version(graph, document, report, author, message, base_version, restored_from)


def _append_version(graph, document, report, author, message, base_version, restored_from):
    # Lock the graph row so two saves at once get consecutive numbers.
    locked = Graph.objects.select_for_update().get(pk=graph.pk)
    head = locked.versions.aggregate(n=Max("number"))["n"] or 0
    if base_version is not None and base_version != head:
        raise Conflict(
            f"Version {head} was saved after version {base_version}, which you edited. "
            "Reload the graph (or restore your copy) and save again."
        )
    version = GraphVersion.objects.create(
        graph=locked,
        number=head + 1,
        author=author,
        message=message,
        document=document,
        valid=bool(report.get("ok")),
        errors=list(report.get("errors") or [])[:100],
        node_count=count_nodes(document),
        restored_from=restored_from,
    )
    locked.head = version
    locked.save(update_fields=["head", "updated"])
    graph.head, graph.updated = version, locked.updated
    return version


def create_graph(project: Project, name: str, author, document=None, message: str = "",
                 description: str = "") -> Graph:
    """A new graph with its first version (an empty document unless one is given)."""
    if document is None:
        document = empty_document(name)
    document, report = checked_document(document)
    # One transaction: never a graph without its first version.
    with transaction.atomic():
        try:
            with transaction.atomic():
                graph = Graph.objects.create(
                    project=project, name=name, description=description, created_by=author
                )
        except IntegrityError:
            raise InputProblem(
                [error(f"a graph named {name!r} already exists in this project", field="name")]
            ) from None
        _append_version(graph, document, report, author, message or "Created", None, None)
    return graph


def delete_project(project: Project) -> None:
    """Delete a project and everything in it, its runs included.

    Runs pin graph versions with a protecting foreign key (so deleting one
    graph that runs used is refused); deleting the whole project removes its
    runs first, in the same transaction, so nothing is left half-deleted.
    """
    with transaction.atomic():
        runs = getattr(project, "runs", None)
        if runs is not None:
            runs.all().delete()
        project.delete()


def torchvision_document(model: str, input_shape: list[int]) -> dict:
    """A graph document traced from a torchvision model named on the allow-list.

    Built on the meta device: no weights are allocated, so even a large model
    costs no memory; what the engine cannot map answers 400 naming the module.
    """
    import torch
    import torchvision

    known = torchvision.models.list_models(module=torchvision.models)
    if model not in known:
        raise InputProblem([error(
            f"torchvision has no classification model {model!r}; try one of "
            f"{', '.join(sorted(known)[:8])}, ...", field="torchvision")])
    try:
        with torch.device("meta"):
            module = torchvision.models.get_model(model, weights=None).eval()
            example = torch.zeros(1, *input_shape)
        return engine.call("import_module", module, (example,), name=model)
    except InputProblem:
        raise
    except Exception as exc:
        # Tracing runs the model's own code (control flow, ops that read values): report, don't crash.
        log.exception("import of torchvision model %s failed", model)
        raise InputProblem([error(f"could not import torchvision's {model}: {exc}", field="torchvision")]) from exc


def restore_version(version: GraphVersion, author, message: str = "") -> GraphVersion:
    return save_version(
        version.graph,
        version.document,
        author,
        message or f"Restored version {version.number}",
        restored_from=version.number,
    )


def diff_versions(a: GraphVersion, b: GraphVersion) -> dict:
    diff = engine.call("diff_graphs", a.document, b.document)
    return {"a": a.number, "b": b.number, **diff}


EXPORTS = {
    # format: (engine function, file suffix, content type)
    "py": ("export_python", "py", "text/x-python; charset=utf-8"),
    "torchscript": ("export_torchscript", "pt", "application/octet-stream"),
    "onnx": ("export_onnx", "onnx", "application/octet-stream"),
}


def export_version(version: GraphVersion, fmt: str) -> tuple[bytes, str, str]:
    """(content, filename, content type) of a version exported in `fmt`."""
    if fmt not in EXPORTS:
        raise InputProblem(
            [error(f"unknown export format {fmt!r}; use one of {', '.join(EXPORTS)}", field="format")]
        )
    name, suffix, content_type = EXPORTS[fmt]
    try:
        content = engine.call(name, version.document)
    except InputProblem:
        raise
    except Exception as exc:
        # A graph that validates can still use an op the target format lacks
        # (an ONNX opset, TorchScript scripting): tell the person, keep the trace in the log.
        log.exception("export of graph %s v%s to %s failed", version.graph_id, version.number, fmt)
        raise InputProblem([error(f"export to {fmt} failed: {exc}", field="format")]) from exc
    if isinstance(content, str):
        content = content.encode("utf-8")
    filename = f"{_slug(version.graph.name)}-v{version.number}.{suffix}"
    return content, filename, content_type


def _slug(name: str) -> str:
    cleaned = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in name).strip("-")
    return cleaned[:80] or "graph"


def project_blocks(project: Project) -> list[dict]:
    """Blocks defined in the newest version of each graph in the project (the palette's "project" group)."""
    # Only the `blocks` part of each document leaves the database, and only where there are some.
    heads = (
        GraphVersion.objects.filter(graph__project=project, graph__head=F("pk"))
        .exclude(document__blocks={})
        .order_by("graph__name")
        .values("graph_id", "graph__name", "number", "document__blocks")
    )
    blocks = []
    for head in heads:
        defined = head["document__blocks"]
        for name, definition in sorted(defined.items() if isinstance(defined, dict) else []):
            if isinstance(definition, dict):
                blocks.append({
                    "name": name,
                    "graph": head["graph_id"],
                    "graph_name": head["graph__name"],
                    "version": head["number"],
                    "params": definition.get("params") or {},
                    "definition": definition,
                })
    return blocks

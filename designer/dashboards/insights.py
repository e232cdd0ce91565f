"""What the run page shows beside its curves: confusion matrix, per-class scores,
system metrics, the model's parameters and FLOPs per node, checkpoints.

The run page reads this every time a run's state changes and on every open, and
many people may watch one run: the artifacts are two queries (which is the latest
of each kind, then their data), not one per kind, and the model's summary, the
engine's validation of an immutable version, is computed once per document.
"""
from __future__ import annotations

import threading
from collections import OrderedDict

from django.conf import settings

from designer.core.errors import InputProblem
from designer.graphs.services import validation_report
from designer.runs.models import Artifact, Run
from designer.runs.serializers import CheckpointSerializer, SummarySerializer

# The test-set artifacts (written once at the end) win over the latest validation's;
# an evaluation of another split writes "<split>_..." (docs/contracts.md section 3).
MATRIX_KINDS = ("test_confusion_matrix", "confusion_matrix", "val_confusion_matrix", "train_confusion_matrix")
PER_CLASS_KINDS = ("test_per_class", "per_class", "val_per_class", "train_per_class")
CALIBRATION_KINDS = ("test_calibration", "val_calibration", "train_calibration")
# Image grids of the recipes (PNG in base64): a GAN's samples, an autoencoder's reconstructions.
IMAGE_KINDS = ("samples", "reconstructions")


ALL_KINDS = (*MATRIX_KINDS, *PER_CLASS_KINDS, *CALIBRATION_KINDS, *IMAGE_KINDS, "ensemble", "compress_report",
             "graph_version")
SUMMARIES_KEPT = 64


def latest_artifacts(run: Run) -> dict[str, dict]:
    """{kind: {kind, step, data}}: the latest artifact (highest step, then newest) of each
    kind the page shows."""
    latest: dict[str, int] = {}
    for pk, kind in (Artifact.objects.filter(run=run, kind__in=ALL_KINDS).order_by("-step", "-id")
                     .values_list("pk", "kind")):
        latest.setdefault(kind, pk)
    rows = Artifact.objects.filter(pk__in=latest.values()).values("kind", "step", "data")
    return {row["kind"]: row for row in rows}


def first_with_data(latest: dict[str, dict], kinds: tuple[str, ...]) -> dict | None:
    """The first of `kinds` whose latest artifact holds data."""
    for kind in kinds:
        found = latest.get(kind)
        if found is not None and found["data"] is not None:
            return found
    return None


_summaries: OrderedDict[tuple, dict] = OrderedDict()  # the most recently read last
_summaries_lock = threading.Lock()  # requests run in threads


def model_summary(run: Run) -> dict:
    """The summary of the run's version, computed once per document (a version never
    changes; the limits are part of the key): the engine's validation of a large graph
    takes a while, and the page reads it on every open and every state change."""
    version = run.graph_version
    key = (version.content_hash, settings.NETWEAVE_PARAM_BUDGET, settings.NETWEAVE_MAX_NODES)
    with _summaries_lock:
        summary = _summaries.get(key)
        if summary is not None:
            _summaries.move_to_end(key)
            return summary
    summary = _summarise(version.document)
    with _summaries_lock:
        _summaries[key] = summary
        while len(_summaries) > SUMMARIES_KEPT:
            _summaries.popitem(last=False)
    return summary


def _summarise(document: dict) -> dict:
    """Params, FLOPs and output shape per node, from the engine's validation of the pinned version."""
    try:
        report = validation_report(document)
    except InputProblem as problem:
        # A version saved before a schema change may no longer parse: say so, keep the page.
        return {"ok": False, "totals": {}, "nodes": [], "errors": problem.errors}
    nodes = []
    for node in document.get("nodes", []):
        info = (report.get("nodes") or {}).get(node.get("id"), {})
        outputs = info.get("outputs") or {}
        nodes.append({"id": node.get("id"), "op": node.get("op"), "params": info.get("params"),
                      "flops": info.get("flops"), "memory": info.get("memory"),
                      "output": next(iter(outputs.values()), None)})
    return {"ok": bool(report.get("ok")), "totals": report.get("totals") or {}, "nodes": nodes,
            "errors": report.get("errors") or []}


def insights(run: Run) -> dict:
    latest = latest_artifacts(run)
    per_class = first_with_data(latest, PER_CLASS_KINDS)
    matrix = first_with_data(latest, MATRIX_KINDS)
    data = (per_class or {}).get("data")
    labels = data.get("labels") if isinstance(data, dict) else None
    return {
        "run": run.pk,
        "state": run.state,
        "confusion_matrix": matrix and {**matrix, "labels": labels},
        "per_class": per_class,
        "calibration": first_with_data(latest, CALIBRATION_KINDS),
        "ensemble": first_with_data(latest, ("ensemble",)),
        "images": [found for kind in IMAGE_KINDS if (found := first_with_data(latest, (kind,)))],
        "system": SummarySerializer(run.metric_summaries.filter(key__startswith="system/"), many=True).data,
        "model": model_summary(run),
        "checkpoints": CheckpointSerializer(run.artifacts.filter(kind="checkpoint"), many=True).data,
        "compress_report": first_with_data(latest, ("compress_report",)),
        "produced_version": first_with_data(latest, ("graph_version",)),
    }

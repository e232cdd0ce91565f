"""What the run page shows beside its curves: confusion matrix, per-class scores,
system metrics, the model's parameters and FLOPs per node, checkpoints."""
from __future__ import annotations

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


def latest_artifact(run: Run, kinds: tuple[str, ...]) -> dict | None:
    for kind in kinds:
        found = (Artifact.objects.filter(run=run, kind=kind).order_by("-step", "-id")
                 .values("kind", "step", "data").first())
        if found is not None and found["data"] is not None:
            return found
    return None


def model_summary(run: Run) -> dict:
    """Params, FLOPs and output shape per node, from the engine's validation of the pinned version."""
    try:
        report = validation_report(run.graph_version.document)
    except InputProblem as problem:
        # A version saved before a schema change may no longer parse: say so, keep the page.
        return {"ok": False, "totals": {}, "nodes": [], "errors": problem.errors}
    nodes = []
    for node in run.graph_version.document.get("nodes", []):
        info = (report.get("nodes") or {}).get(node.get("id"), {})
        outputs = info.get("outputs") or {}
        nodes.append({"id": node.get("id"), "op": node.get("op"), "params": info.get("params"),
                      "flops": info.get("flops"), "memory": info.get("memory"),
                      "output": next(iter(outputs.values()), None)})
    return {"ok": bool(report.get("ok")), "totals": report.get("totals") or {}, "nodes": nodes,
            "errors": report.get("errors") or []}


def insights(run: Run) -> dict:
    per_class = latest_artifact(run, PER_CLASS_KINDS)
    matrix = latest_artifact(run, MATRIX_KINDS)
    data = (per_class or {}).get("data")
    labels = data.get("labels") if isinstance(data, dict) else None
    return {
        "run": run.pk,
        "state": run.state,
        "confusion_matrix": matrix and {**matrix, "labels": labels},
        "per_class": per_class,
        "calibration": latest_artifact(run, CALIBRATION_KINDS),
        "ensemble": latest_artifact(run, ("ensemble",)),
        "images": [found for kind in IMAGE_KINDS if (found := latest_artifact(run, (kind,)))],
        "system": SummarySerializer(run.metric_summaries.filter(key__startswith="system/"), many=True).data,
        "model": model_summary(run),
        "checkpoints": CheckpointSerializer(run.artifacts.filter(kind="checkpoint"), many=True).data,
        "compress_report": latest_artifact(run, ("compress_report",)),
        "produced_version": latest_artifact(run, ("graph_version",)),
    }

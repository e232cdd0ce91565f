"""Comparing N runs in one request: their series, what hyperparameters differ, how their graphs differ.

The series come from the runs app's downsampling (M4 rollups, about
`points` points a line, spikes and ends kept; read by designer/runs/series.py); the
architecture diff from the engine's `diff_graphs`, once per distinct pair
of graph versions (a hundred runs of three versions cost two diffs).
"""
from __future__ import annotations

from designer.dashboards.hparams import differing, flatten
from designer.dashboards.table import dataset_label, metric_order, upload_names
from designer.graphs import engine
from designer.graphs.models import GraphVersion
from designer.runs.ingest import shown_goal
from designer.runs.models import Artifact, MetricSummary
from designer.runs.series import read_series
from designer.runs.views import readable_runs

# Distinct graph versions diffed against the first run's; the rest are listed without a diff.
MAX_DIFFS = 50
RUN_FIELDS = ("name", "state", "project_id", "graph_version_id", "graph_version__number", "graph_version__graph_id",
              "graph_version__graph__name", "dataset", "config", "summary")


def steps_per_epoch(run: dict, checkpoints: dict[int, tuple]) -> float | None:
    """From the finished run's summary, else from its latest checkpoint (step at the end of an epoch)."""
    summary = run["summary"] if isinstance(run["summary"], dict) else {}
    steps, epochs = summary.get("steps"), summary.get("epochs")
    if isinstance(steps, (int, float)) and isinstance(epochs, (int, float)) and epochs > 0 and steps > 0:
        return steps / epochs
    step, epoch = checkpoints.get(run["id"], (None, None))
    if step and epoch:
        return step / epoch
    return None


def _checkpoint_steps(ids: list[int]) -> dict[int, tuple]:
    latest: dict[int, tuple] = {}
    rows = (Artifact.objects.filter(run_id__in=ids, kind="checkpoint", step__isnull=False, epoch__gt=0)
            .order_by("run_id", "step").values_list("run_id", "step", "epoch"))
    for run_id, step, epoch in rows:
        latest[run_id] = (step, epoch)
    return latest


def architecture(runs: list[dict]) -> dict:
    """Each other run's graph version diffed against the first run's."""
    base = runs[0]
    wanted = list(dict.fromkeys(r["graph_version_id"] for r in runs))[:MAX_DIFFS + 1]
    documents = dict(GraphVersion.objects.filter(pk__in=wanted).values_list("pk", "document"))
    diffs: dict[int, dict] = {}
    for version in wanted[1:]:
        diffs[version] = engine.call("diff_graphs", documents[base["graph_version_id"]], documents[version])
    versions = []
    for version in wanted:
        run = next(r for r in runs if r["graph_version_id"] == version)
        versions.append({"graph_version": version, "graph": run["graph_version__graph_id"],
                         "graph_name": run["graph_version__graph__name"], "version": run["graph_version__number"],
                         "runs": [r["id"] for r in runs if r["graph_version_id"] == version],
                         "diff": diffs.get(version)})
    return {"base_run": base["id"], "base_version": base["graph_version_id"], "versions": versions}


def compare(user, ids: list[int], keys: list[str] | None, points: int, x: str) -> dict:
    runs = readable_runs(user, ids, *RUN_FIELDS)
    if keys is None:
        keys = sorted(set(MetricSummary.objects.filter(run_id__in=ids).exclude(key__startswith="system/")
                          .values_list("key", flat=True)), key=metric_order)
    series = read_series(ids, keys, points, x, times=False)
    summaries = {(s["run_id"], s["key"]): s for s in MetricSummary.objects.filter(
        run_id__in=ids, key__in=keys).values("run_id", "key", "goal", "best", "latest")}
    flats = [flatten(r["config"]) for r in runs]
    changed = differing(flats)
    checkpoints = _checkpoint_steps(ids)
    names = upload_names(r["dataset"] for r in runs)
    return {
        "x": x,
        "keys": keys,
        "runs": [{
            "id": r["id"], "name": r["name"], "state": r["state"], "project": r["project_id"],
            "graph": r["graph_version__graph_id"], "graph_name": r["graph_version__graph__name"],
            "graph_version": r["graph_version_id"], "version": r["graph_version__number"],
            "dataset": dataset_label(r["dataset"], names), "steps_per_epoch": steps_per_epoch(r, checkpoints),
            "series": series[r["id"]],
        } for r in runs],
        "metrics": [{
            "key": key,
            "goal": shown_goal(key, next((summaries[(r, key)]["goal"] for r in ids if (r, key) in summaries), "max")),
            "best": [summaries[(r, key)]["best"] if (r, key) in summaries else None for r in ids],
            "last": [summaries[(r, key)]["latest"] if (r, key) in summaries else None for r in ids],
        } for key in keys],
        "hparams": [{"name": name, "values": [flat.get(name) for flat in flats]} for name in changed],
        "architecture": architecture(runs),
    }

"""The runs table as CSV, filtered and sorted as on screen (streamed by
designer.core.responses.csv_response; the series' CSV is GET /api/series?format=csv)."""
from __future__ import annotations

import json

from designer.dashboards.hparams import flatten, key_columns
from designer.dashboards.table import (
    BEST, LATEST, TableQuery, dataset_label, duration, filtered_runs, ordered, page_rows, summaries_of,
    upload_names,
)


def _cell(value):
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return "" if value is None else value


def table_rows(project, query: TableQuery):
    """Header, then one line per run: the table's columns, every hyperparameter chosen, best and last."""
    from django.utils import timezone

    matching = filtered_runs(project, query)
    runs = page_rows(ordered(matching, query.sort)[:query.limit])
    flats = [flatten(r["config"]) for r in runs]
    hparams = key_columns(flats, limit=50)
    summaries = summaries_of([r["id"] for r in runs], matching if len(runs) < query.limit else None)
    keys = sorted({k for s in summaries.values() for k in s})
    yield (["id", "name", "state", "graph", "version", "dataset", "created", "started", "finished",
            "duration_s", "tags", "notes"] + hparams + [f"{part}:{k}" for k in keys for part in ("best", "last")])
    now = timezone.now()
    names = upload_names(r["dataset"] for r in runs)
    for run, flat in zip(runs, flats):
        metrics = summaries[run["id"]]
        yield ([run["id"], run["name"], run["state"], run["graph_version__graph__name"],
                run["graph_version__number"], dataset_label(run["dataset"], names),
                _cell(run["created"] and run["created"].isoformat()),
                _cell(run["started"] and run["started"].isoformat()),
                _cell(run["finished"] and run["finished"].isoformat()),
                _cell(duration(run["started"], run["finished"], now)), ";".join(run["tags"] or []), run["notes"]]
               + [_cell(flat.get(n)) for n in hparams]
               + [_cell(metrics[k][i] if k in metrics else None) for k in keys for i in (BEST, LATEST)])

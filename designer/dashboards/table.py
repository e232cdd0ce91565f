"""The runs table of a project: one query for the runs, one for their summaries.

Best and last values come from MetricSummary (one row per run and key, kept
by the ingest), never from the points. Sorting, filtering and search run in
the database, so a page of 100 out of 50,000 runs costs the same as the
first page; a virtualised table may also take up to 5,000 rows at once.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import orjson
from django.db.models import F, OuterRef, Q, QuerySet, Subquery, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from designer.core.errors import InputProblem, error
from designer.core.params import BIGINT_MAX, query_int
from designer.dashboards.hparams import flatten, key_columns
from designer.runs.storage import binary_rows
from designer.runs.ingest import shown_goal
from designer.runs.models import MetricSummary, Run, RunState

MAX_ROWS = 5000
DEFAULT_ROWS = 1000
COLUMNS = {"id": "id", "name": "name", "state": "state", "created": "created", "started": "started",
           "finished": "finished", "graph": "graph_version__graph__name", "version": "graph_version__number",
           "duration": "_duration"}
# best:<key> / last:<key> sort by a metric; hp:<name> by a hyperparameter.
METRIC_SORT = re.compile(r"^(best|last):([\w./-]{1,128})$")
HPARAM_SORT = re.compile(r"^hp:([A-Za-z0-9_]{1,64}(?:\.[A-Za-z0-9_]{1,64}){0,4})$")
FIELDS = ("id", "name", "state", "kind", "graph_version_id", "graph_version__number",
          "graph_version__graph_id", "graph_version__graph__name", "dataset", "config", "created",
          "started", "finished", "tags", "notes", "created_by__username", "queue", "devices")
JSON_FIELDS = ("dataset", "config", "tags")


@dataclass
class TableQuery:
    sort: str = "-created"
    states: tuple[str, ...] = ()
    graph: int | None = None
    tag: str = ""
    search: str = ""
    offset: int = 0
    limit: int = DEFAULT_ROWS

    @classmethod
    def from_params(cls, params, max_rows: int = MAX_ROWS, default_rows: int = DEFAULT_ROWS) -> "TableQuery":
        problems = []
        states = tuple(s for s in params.get("state", "").split(",") if s)
        for s in states:
            if s not in RunState.values:
                problems.append(error(f"state {s!r} is not one of {', '.join(RunState.values)}", field="state"))
        numbers = {}
        for name, default, low, top in (("graph", None, 1, BIGINT_MAX), ("offset", 0, 0, BIGINT_MAX),
                                        ("limit", default_rows, 1, max_rows)):
            try:
                numbers[name] = query_int(params, name, default, min_value=low, max_value=top)
            except InputProblem as problem:
                problems += problem.errors
        sort = params.get("sort", "-created") or "-created"
        if _order(sort) is None:
            problems.append(error(
                f"cannot sort by {sort!r}: use {', '.join(COLUMNS)}, best:<metric>, last:<metric> or "
                "hp:<name>, with a leading - for descending", field="sort"))
        if problems:
            raise InputProblem(problems)
        return cls(sort=sort, states=states, tag=params.get("tag", "")[:64],
                   search=params.get("q", "")[:200].strip(), **numbers)


def _order(sort: str):
    """(annotation or None, order expression) for a sort name, None if unknown."""
    descending = sort.startswith("-")
    name = sort.lstrip("-")
    annotation = None
    if name in COLUMNS:
        target = F(COLUMNS[name])
    elif m := METRIC_SORT.match(name):
        column = "best" if m[1] == "best" else "latest"
        annotation = Subquery(MetricSummary.objects.filter(run=OuterRef("pk"), key=m[2]).values(column)[:1])
        target = F("_sort")
    elif m := HPARAM_SORT.match(name):
        target = F("config__" + "__".join(m[1].split(".")))
    else:
        return None
    return annotation, (target.desc(nulls_last=True) if descending else target.asc(nulls_last=True))


def filtered_runs(project, query: TableQuery) -> QuerySet:
    runs = Run.objects.filter(project=project)
    if query.states:
        runs = runs.filter(state__in=query.states)
    if query.graph is not None:
        runs = runs.filter(graph_version__graph_id=query.graph)
    if query.tag:
        # A JSON string inside the list: quotes keep "cnn" from matching "cnn-small".
        runs = runs.filter(tags__icontains=f'"{query.tag}"')
    if query.search:
        text = query.search
        match = (Q(name__icontains=text) | Q(notes__icontains=text) | Q(tags__icontains=text)
                 | Q(graph_version__graph__name__icontains=text))
        number = text.lstrip("#")
        if number.isascii() and number.isdigit() and int(number) <= BIGINT_MAX:  # "#12": run 12
            match |= Q(pk=int(number))
        runs = runs.filter(match)
    return runs


def ordered(runs: QuerySet, sort: str) -> QuerySet:
    annotation, order = _order(sort)
    if annotation is not None:
        runs = runs.annotate(_sort=annotation)
    if sort.lstrip("-") == "duration":
        runs = runs.annotate(_duration=F("finished") - F("started"))
    return runs.order_by(order, "-id")


# Positions in a summary row: (run_id, key, goal, best, latest).
GOAL, BEST, LATEST = 2, 3, 4


def summaries_of(run_ids: list[int], runs: QuerySet | None = None) -> dict[int, dict[str, tuple]]:
    """{run: {key: (run_id, key, goal, best, latest)}} from the summary table.

    `runs`, when given, selects the same runs as a subquery: cheaper than
    sending 5,000 ids back to the database.
    """
    found: dict[int, dict[str, tuple]] = {r: {} for r in run_ids}
    summaries = MetricSummary.objects.filter(run__in=runs.values("pk")) if runs is not None else \
        MetricSummary.objects.filter(run_id__in=run_ids)
    for row in binary_rows(summaries.values_list("run_id", "key", "goal", "best", "latest")):
        found[row[0]][row[1]] = row
    return found


def page_rows(runs: QuerySet) -> list[dict]:
    """The runs' FIELDS as dicts; JSON columns come as text and are parsed by orjson
    (json.loads of 15,000 documents was a fifth of a 5,000-row table)."""
    texts = {f"_{name}": Cast(name, output_field=TextField()) for name in JSON_FIELDS}
    plain = [f for f in FIELDS if f not in JSON_FIELDS]
    rows = list(runs.annotate(**texts).values(*plain, *texts))
    for row in rows:
        for name in JSON_FIELDS:
            text = row.pop(f"_{name}")
            row[name] = orjson.loads(text) if text else None
    return rows


def duration(started, finished, now) -> float | None:
    if started is None:
        return None
    return round(((finished or now) - started).total_seconds(), 3)


def table(project, query: TableQuery) -> dict:
    """{count, metrics: [{key, goal}], hparams: [names], rows: [...]} for one page."""
    runs = filtered_runs(project, query)
    count = runs.count()
    page = page_rows(ordered(runs, query.sort)[query.offset:query.offset + query.limit])
    # A page holding every matching run reads their summaries by the same filter, not by id.
    whole = query.offset == 0 and count <= query.limit
    summaries = summaries_of([r["id"] for r in page], runs if whole else None)
    flats = [flatten(r["config"]) for r in page]
    hparams = key_columns(flats)
    goals: dict[str, str] = {}
    names = upload_names(r["dataset"] for r in page)
    now = timezone.now()
    rows = []
    for run, flat in zip(page, flats):
        metrics = summaries[run["id"]]
        for key, values in metrics.items():
            goals.setdefault(key, values[GOAL])
        rows.append({
            "id": run["id"], "name": run["name"], "state": run["state"], "kind": run["kind"],
            "graph": run["graph_version__graph_id"], "graph_name": run["graph_version__graph__name"],
            "graph_version": run["graph_version_id"], "version": run["graph_version__number"],
            "dataset": dataset_label(run["dataset"], names), "queue": run["queue"], "devices": run["devices"],
            "created": run["created"],
            "started": run["started"], "finished": run["finished"],
            "duration": duration(run["started"], run["finished"], now),
            "created_by": run["created_by__username"], "tags": run["tags"], "notes": run["notes"],
            "hp": {name: flat.get(name) for name in hparams},
            "best": {key: v[BEST] for key, v in metrics.items()},
            "last": {key: v[LATEST] for key, v in metrics.items()},
        })
    metrics = [{"key": key, "goal": shown_goal(key, goals[key])} for key in sorted(goals, key=metric_order)]
    return {"count": count, "offset": query.offset, "limit": query.limit, "sort": query.sort,
            "metrics": metrics, "hparams": hparams, "rows": rows}


def metric_order(key: str) -> tuple:
    """Validation first, then test, train, anything else, system last."""
    split = key.split("/", 1)[0]
    rank = {"val": 0, "test": 1, "train": 2, "system": 9}.get(split, 5)
    return rank, key


def upload_names(specs) -> dict[int, str]:
    """The names of the uploaded datasets that runs' dataset specs point at, in one query."""
    from designer.datasets.models import Dataset

    ids = {s.get("upload") for s in specs if isinstance(s, dict) and isinstance(s.get("upload"), int)}
    return dict(Dataset.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}


def dataset_label(spec, names: dict[int, str] | None = None) -> str:
    """What a person calls a run's dataset: an upload's name, a built-in's kind."""
    if not isinstance(spec, dict):
        return ""
    if names and spec.get("upload") in names:
        return names[spec["upload"]]
    for field in ("name", "kind"):
        if spec.get(field):
            return str(spec[field])
    return f"upload {spec['id']}" if spec.get("id") else ""

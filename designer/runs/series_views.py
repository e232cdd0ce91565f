"""Downsampled series: one run's lines, or many runs' at once (the compare view)."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.views import APIView

from designer.core.errors import InputProblem, error
from designer.core.params import query_ids, query_int
from designer.core.permissions import projects_visible_to
from designer.core.responses import json_response
from designer.dashboards import schemas
from designer.runs.models import Run
from designer.runs.series import MAX_POINTS, X_AXES, read_series
from designer.runs.views import get_run

MAX_RUNS = 500


def _options(request) -> tuple[list[str] | None, int, str]:
    keys = [k for k in request.query_params.get("keys", "").split(",") if k] or None
    points = query_int(request.query_params, "points", 1000, min_value=4, max_value=MAX_POINTS)
    x = request.query_params.get("x", "step")
    if x not in X_AXES:
        raise InputProblem([error("x must be step or time", field="x")])
    return keys, points, x


class RunSeries(APIView):
    @extend_schema(parameters=schemas.SERIES_PARAMS, responses=schemas.RunSeriesAnswer)
    def get(self, request, pk):
        run = get_run(request.user, pk)
        keys, points, x = _options(request)
        return json_response({"run": run.pk, "x": x, "series": read_series([run.pk], keys, points, x)[run.pk]})


class CompareSeries(APIView):
    @extend_schema(parameters=[schemas.RUNS_PARAM, *schemas.SERIES_PARAMS], responses=schemas.ManySeriesAnswer)
    def get(self, request):
        wanted = query_ids(request.query_params, "runs", MAX_RUNS)
        visible = set(Run.objects.filter(pk__in=wanted, project__in=projects_visible_to(request.user))
                      .values_list("pk", flat=True))
        missing = [r for r in wanted if r not in visible]
        if missing:
            raise InputProblem([error(f"no run {r}, or you have no access to it", field="runs") for r in missing])
        keys, points, x = _options(request)
        found = read_series(wanted, keys, points, x)
        return json_response({"x": x, "runs": [{"run": r, "series": found[r]} for r in wanted]})

"""Downsampled series: one run's lines, or many runs' at once (the compare view)."""
from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework.views import APIView

from designer.core.errors import InputProblem, error
from designer.core.permissions import projects_visible_to
from designer.dashboards import schemas
from designer.runs.models import Run
from designer.runs.series import MAX_POINTS, X_AXES, series_lines
from designer.runs.views import get_run

MAX_RUNS = 500


def _json(text: str) -> HttpResponse:
    # The lines arrive as JSON text (built by PostgreSQL): sent as they are.
    return HttpResponse(text, content_type="application/json")


def _options(request) -> tuple[list[str] | None, int, str]:
    keys = [k for k in request.query_params.get("keys", "").split(",") if k] or None
    raw = request.query_params.get("points", "1000")
    if not raw.isdigit() or not 4 <= int(raw) <= MAX_POINTS:
        raise InputProblem([error(f"points must be a whole number from 4 to {MAX_POINTS}", field="points")])
    x = request.query_params.get("x", "step")
    if x not in X_AXES:
        raise InputProblem([error("x must be step or time", field="x")])
    return keys, int(raw), x


class RunSeries(APIView):
    @extend_schema(parameters=schemas.SERIES_PARAMS, responses=schemas.RunSeriesAnswer)
    def get(self, request, pk):
        run = get_run(request.user, pk)
        keys, points, x = _options(request)
        lines = series_lines([run.pk], keys, points, x)[run.pk]
        return _json(f'{{"run": {run.pk}, "x": "{x}", "series": [{", ".join(lines)}]}}')


class CompareSeries(APIView):
    @extend_schema(parameters=[schemas.RUNS_PARAM, *schemas.SERIES_PARAMS], responses=schemas.ManySeriesAnswer)
    def get(self, request):
        raw = [r for r in request.query_params.get("runs", "").split(",") if r]
        if not raw or not all(r.isdigit() for r in raw) or len(raw) > MAX_RUNS:
            raise InputProblem([error(f"runs must be 1 to {MAX_RUNS} run ids, comma separated", field="runs")])
        wanted = list(dict.fromkeys(int(r) for r in raw))
        visible = set(Run.objects.filter(pk__in=wanted, project__in=projects_visible_to(request.user))
                      .values_list("pk", flat=True))
        missing = [r for r in wanted if r not in visible]
        if missing:
            raise InputProblem([error(f"no run {r}, or you have no access to it", field="runs") for r in missing])
        keys, points, x = _options(request)
        found = series_lines(wanted, keys, points, x)
        runs = ", ".join(f'{{"run": {r}, "series": [{", ".join(found[r])}]}}' for r in wanted)
        return _json(f'{{"x": "{x}", "runs": [{runs}]}}')

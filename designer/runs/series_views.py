"""GET /api/series: the one series endpoint. The lines of one run or many, downsampled, as
JSON (the run page's charts, the system charts), or every stored point as CSV (`format=csv`,
the exports); each run checked for the person asking."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from designer.core.errors import InputProblem, error
from designer.core.negotiation import FormatIsOurs
from designer.core.params import query_int
from designer.core.responses import csv_response, json_response
from designer.dashboards import schemas
from designer.runs.series import MAX_POINTS, X_AXES, read_series, stored_points
from designer.runs.views import readable_runs, run_ids

FORMATS = ("json", "csv")


def series_options(params) -> tuple[list[str] | None, int, str]:
    """keys (None: every key), points and x of a series request; a 400 naming the bad one."""
    keys = [k for k in params.get("keys", "").split(",") if k] or None
    points = query_int(params, "points", 1000, min_value=4, max_value=MAX_POINTS)
    x = params.get("x", "step")
    if x not in X_AXES:
        raise InputProblem([error("x must be step or time", field="x")])
    return keys, points, x


def csv_name(ids: list[int]) -> str:
    if len(ids) == 1:
        return f"run{ids[0]}-series.csv"
    return f"runs-{'-'.join(map(str, ids[:5]))}{'-more' if len(ids) > 5 else ''}-series.csv"


class Series(APIView):
    """GET /api/series?runs=1,2&keys=a,b&points=1000&x=step|time&format=json|csv"""

    content_negotiation_class = FormatIsOurs
    renderer_classes = [JSONRenderer]

    @extend_schema(parameters=[schemas.RUNS_PARAM, *schemas.SERIES_PARAMS, schemas.SERIES_FORMAT],
                   responses={(200, "application/json"): schemas.ManySeriesAnswer, **schemas.CSV})
    def get(self, request):
        params = request.query_params
        fmt = params.get("format", "json")
        if fmt not in FORMATS:
            raise InputProblem([error("format must be json or csv", field="format")])
        keys, points, x = series_options(params)
        ids = [r["id"] for r in readable_runs(request.user, run_ids(params))]
        if fmt == "csv":
            return csv_response(stored_points(ids, keys), csv_name(ids))
        found = read_series(ids, keys, points, x)
        return json_response({"x": x, "runs": [{"run": r, "series": found[r]} for r in ids]})

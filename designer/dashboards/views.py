"""Dashboards API: the runs table (JSON and CSV), compare, run insights."""
from __future__ import annotations

from rest_framework.response import Response
from rest_framework.views import APIView

from drf_spectacular.utils import extend_schema

from designer.core.permissions import get_project
from designer.core.responses import csv_response, json_response
from designer.dashboards import export, schemas
from designer.dashboards.compare import compare
from designer.dashboards.insights import insights
from designer.dashboards.table import TableQuery, table
from designer.runs.series_views import series_options
from designer.runs.views import get_run, run_ids

# The CSV has no page: every matching run, up to this many.
CSV_ROWS = 100_000


class RunsTable(APIView):
    """GET /api/projects/<id>/runs-table?sort=&state=&graph=&tag=&q=&offset=&limit="""

    @extend_schema(parameters=schemas.TABLE_PARAMS, responses=schemas.RunsTableAnswer)
    def get(self, request, pk):
        project = get_project(request.user, pk)
        return json_response(table(project, TableQuery.from_params(request.query_params)))


class RunsTableCsv(APIView):
    @extend_schema(parameters=schemas.TABLE_PARAMS, responses=schemas.CSV)
    def get(self, request, pk):
        project = get_project(request.user, pk)
        query = TableQuery.from_params(request.query_params, max_rows=CSV_ROWS, default_rows=CSV_ROWS)
        return csv_response(export.table_rows(project, query), f"project{project.pk}-runs.csv")


class Compare(APIView):
    """GET /api/compare?runs=1,2&keys=val/loss,val/accuracy&points=1000&x=step|time"""

    @extend_schema(parameters=[schemas.RUNS_PARAM, *schemas.SERIES_PARAMS], responses=schemas.CompareAnswer)
    def get(self, request):
        keys, points, x = series_options(request.query_params)
        return json_response(compare(request.user, run_ids(request.query_params), keys, points, x))


class RunInsights(APIView):
    """GET /api/runs/<id>/insights: confusion matrix, per-class scores, system metrics, model summary."""

    @extend_schema(responses=schemas.InsightsAnswer)
    def get(self, request, pk):
        return Response(insights(get_run(request.user, pk)))

"""Runs API (docs/contracts.md section 5): launch, list, read, tag, cancel, clone, resume."""
from __future__ import annotations

from pathlib import PurePosixPath

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from designer.core import store
from designer.core.errors import InputProblem, error
from designer.core.params import query_ids, query_int
from designer.core.permissions import NOT_FOUND, get_graph, projects_visible_to, require_role
from designer.graphs.models import Role
from designer.runs import services
from designer.runs.models import Run, RunState
from designer.runs.serializers import (
    CheckpointSerializer,
    RunCreateSerializer,
    RunDetailSerializer,
    RunPatchSerializer,
    RunSerializer,
    SummarySerializer,
)

RUN_RELATED = ("project", "graph_version__graph", "created_by")
RUN_PREFETCH = ("input_links",)
# Run answers name the version, never show its document (a large graph's is megabytes):
# it is read only where needed (insights on a first read, launches), by another query.
RUN_DEFERRED = ("graph_version__document",)


def get_run(user, pk: int, role: str = Role.VIEWER) -> Run:
    """A run in a project where the user has at least `role` (404 / 403 otherwise)."""
    run = (Run.objects.select_related(*RUN_RELATED).prefetch_related(*RUN_PREFETCH).defer(*RUN_DEFERRED)
           .filter(pk=pk).first())
    if run is None:
        raise NotFound(NOT_FOUND)
    require_role(run.project, user, role)
    return run


# Runs read together (series, compare): at most this many in one request.
MAX_RUNS = 500


def run_ids(params) -> list[int]:
    """?runs=1,2: 1 to MAX_RUNS ids, in the order asked (400 naming `runs` otherwise)."""
    return query_ids(params, "runs", MAX_RUNS)


def readable_runs(user, ids: list[int], *fields: str) -> list[dict]:
    """The runs' rows (id and `fields`) in the order asked; a 400 naming `runs` for every id
    the user may not read, worded so that a run of someone else's project looks like none."""
    rows = {r["id"]: r for r in Run.objects.filter(pk__in=ids, project__in=projects_visible_to(user))
            .values("id", *fields)}
    missing = [r for r in ids if r not in rows]
    if missing:
        raise InputProblem([error(f"no run {r}, or you have no access to it", field="runs") for r in missing])
    return [rows[r] for r in ids]


def launch_version(user, graph_id: int | None, number: int | None, inputs):
    """The graph version a launch runs: the graph's (head or `number`), else the first input run's."""
    if graph_id is None:
        first = inputs[0] if isinstance(inputs, list) and inputs else None
        run_id = first.get("run") if isinstance(first, dict) else first
        if not isinstance(run_id, int) or isinstance(run_id, bool):
            raise InputProblem([error("give the graph to run, or input runs to start from", field="graph")])
        return get_run(user, run_id, Role.EDITOR).graph_version
    graph = get_graph(user, graph_id, Role.EDITOR)
    version = graph.head if number is None else graph.versions.filter(number=number).first()
    if version is None:
        raise InputProblem([error(f"graph {graph.pk} has no version {number or ''}".strip(), field="version")])
    return version


@extend_schema_view(get=extend_schema(parameters=[
    OpenApiParameter("project", int, description="runs of this project"),
    OpenApiParameter("graph", int, description="runs of this graph (any version)"),
    OpenApiParameter("state", str, enum=RunState.values),
    OpenApiParameter("input", int, description="jobs that started from this run (evaluations, ...)"),
]))
class RunList(generics.ListAPIView):
    serializer_class = RunSerializer

    def get_queryset(self):
        runs = Run.objects.filter(project__in=projects_visible_to(self.request.user))
        for name in ("project", "graph"):
            value = query_int(self.request.query_params, name, min_value=1)
            if value is not None:
                runs = runs.filter(**{"project" if name == "project" else "graph_version__graph": value})
        state = self.request.query_params.get("state")
        if state:
            if state not in RunState.values:
                raise InputProblem([error(f"state must be one of {', '.join(RunState.values)}", field="state")])
            runs = runs.filter(state=state)
        source = query_int(self.request.query_params, "input", min_value=1)
        if source is not None:  # the jobs that started from this run (evaluations, ...)
            runs = runs.filter(input_links__source=source).distinct()
        return runs.select_related(*RUN_RELATED).prefetch_related(*RUN_PREFETCH).defer("log_tail", *RUN_DEFERRED)

    @extend_schema(request=RunCreateSerializer, responses={201: RunDetailSerializer})
    def post(self, request):
        body = RunCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        fields = dict(body.validated_data)
        version = launch_version(request.user, fields.pop("graph", None), fields.pop("version", None),
                                 fields.get("inputs"))
        run = services.launch(version, request.user, **fields)
        return Response(RunDetailSerializer(get_run(request.user, run.pk)).data, status=status.HTTP_201_CREATED)


class RunDetail(APIView):
    @extend_schema(responses=RunDetailSerializer)
    def get(self, request, pk):
        return Response(RunDetailSerializer(get_run(request.user, pk)).data)

    @extend_schema(request=RunPatchSerializer, responses=RunDetailSerializer)
    def patch(self, request, pk):
        run = get_run(request.user, pk, Role.EDITOR)
        body = RunPatchSerializer(run, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        body.save()
        return Response(RunDetailSerializer(get_run(request.user, pk)).data)


class RunAction(APIView):
    """POST /api/runs/<id>/<action>: cancel (200, the run), clone and resume (201, the new run)."""

    action = ""

    def post(self, request, pk):
        run = get_run(request.user, pk, Role.EDITOR)
        if self.action == "cancel":
            services.cancel(run)
            return Response(RunDetailSerializer(get_run(request.user, pk)).data)
        new = getattr(services, self.action)(run, request.user)
        return Response(RunDetailSerializer(get_run(request.user, new.pk)).data, status=status.HTTP_201_CREATED)


@extend_schema_view(post=extend_schema(request=None, responses={200: RunDetailSerializer}))
class RunCancel(RunAction):
    action = "cancel"


@extend_schema_view(post=extend_schema(request=None, responses={201: RunDetailSerializer}))
class RunClone(RunAction):
    action = "clone"


@extend_schema_view(post=extend_schema(request=None, responses={201: RunDetailSerializer},
                                       description="409 unless the run is resumable (a checkpoint to resume from)"))
class RunResume(RunAction):
    action = "resume"


class RunMetrics(APIView):
    @extend_schema(responses=SummarySerializer(many=True))
    def get(self, request, pk):
        run = get_run(request.user, pk)
        return Response(SummarySerializer(run.metric_summaries.all(), many=True).data)


class RunCheckpoints(APIView):
    @extend_schema(responses=CheckpointSerializer(many=True))
    def get(self, request, pk):
        run = get_run(request.user, pk)
        return Response(CheckpointSerializer(run.artifacts.filter(kind="checkpoint"), many=True).data)


class CheckpointDownload(APIView):
    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, pk, name):
        run = get_run(request.user, pk)
        artifact = run.artifacts.filter(kind="checkpoint", name=f"checkpoints/{name}").first()
        try:  # from this host's run folder, or streamed from the object store
            found = store.open_run_file(run.pk, artifact.name) if artifact else None
        except ValueError:  # the name came from the training child and leaves the run folder
            found = None
        if found is None:
            raise NotFound(f"run {pk} has no checkpoint named {name!r}")
        stream, size = found
        response = FileResponse(stream, as_attachment=True, filename=f"run{pk}-{PurePosixPath(artifact.name).name}")
        response.block_size = store.CHUNK
        response["Content-Length"] = str(size)
        return response

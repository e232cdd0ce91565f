"""Graphs of a project, their version history, diffs, exports and blocks."""
from __future__ import annotations

from django.db.models import F
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from designer.core.negotiation import FormatIsOurs
from designer.core.params import query_int
from designer.core.errors import InputProblem, error
from designer.core.permissions import RoleByMethod, get_graph, get_project
from designer.graphs import schemas, services
from designer.graphs.models import Graph, GraphVersion, Role
from designer.graphs.serializers import (
    GraphCreateSerializer,
    GraphDetailSerializer,
    GraphImportSerializer,
    GraphSerializer,
    RestoreSerializer,
    VersionCreateSerializer,
    VersionDetailSerializer,
    VersionSerializer,
)


class ProjectGraphList(RoleByMethod, generics.ListCreateAPIView):
    serializer_class = GraphSerializer
    body_serializer = GraphCreateSerializer
    default_message = "Created"
    # Lists never carry documents, and are read as plain rows: a project may hold
    # thousands of graphs, and model instances + serializers cost ~7x the query.
    ROW = {"latest_version": F("head__number"), "valid": F("head__valid"),
           "node_count": F("head__node_count"), "creator": F("created_by__username")}

    def get_queryset(self):
        project = get_project(self.request.user, self.kwargs["pk"], self.needed_role())
        return Graph.objects.filter(project=project)

    def list(self, request, *args, **kwargs):
        rows = self.get_queryset().values(
            "id", "project", "name", "description", "created", "updated", **self.ROW
        )
        page = self.paginate_queryset(rows)
        for row in page:
            row["created_by"] = row.pop("creator")
        return self.get_paginated_response(page)

    @extend_schema(request=GraphCreateSerializer, responses={201: GraphDetailSerializer})
    def post(self, request, pk):
        project = get_project(request.user, pk, Role.EDITOR)
        body = self.body_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        fields = self.graph_fields({**body.validated_data})
        graph = services.create_graph(project, author=request.user, **fields)
        return Response(GraphDetailSerializer(graph).data, status=status.HTTP_201_CREATED)

    def graph_fields(self, data: dict) -> dict:
        """The create_graph arguments from the validated body."""
        data["message"] = data["message"] or self.default_message
        return data


class GraphImport(ProjectGraphList):
    """A graph from a document made elsewhere (another server, a notebook, a traced torchvision model)."""

    body_serializer = GraphImportSerializer
    default_message = "Imported"
    http_method_names = ["post", "options"]

    @extend_schema(request=GraphImportSerializer, responses={201: GraphDetailSerializer})
    def post(self, request, pk):
        return super().post(request, pk)

    def graph_fields(self, data: dict) -> dict:
        model, shape = data.pop("torchvision", None), data.pop("input_shape")
        if model is not None:
            data["document"] = services.torchvision_document(model, shape)
            data["message"] = data["message"] or f"Imported from torchvision.models.{model}"
        return super().graph_fields(data)


class GraphDetail(RoleByMethod, generics.RetrieveUpdateDestroyAPIView):
    serializer_class = GraphDetailSerializer
    http_method_names = ["get", "patch", "delete", "options"]

    def get_object(self):
        return get_graph(self.request.user, self.kwargs["pk"], self.needed_role())

    def update(self, request, *args, **kwargs):
        if isinstance(request.data, dict) and "document" in request.data:
            raise InputProblem([error(
                "a graph's document changes by saving a version: POST /api/graphs/<id>/versions",
                field="document",
            )])
        return super().update(request, *args, **kwargs)


class VersionList(RoleByMethod, generics.ListCreateAPIView):
    serializer_class = VersionSerializer

    def get_queryset(self):
        graph = get_graph(self.request.user, self.kwargs["pk"], self.needed_role())
        return graph.versions.select_related("author").defer("document", "errors")

    @extend_schema(request=VersionCreateSerializer, responses={201: VersionDetailSerializer})
    def post(self, request, pk):
        graph = get_graph(request.user, pk, Role.EDITOR)
        body = VersionCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        version = services.save_version(graph, author=request.user, **body.validated_data)
        return Response(VersionDetailSerializer(version).data, status=status.HTTP_201_CREATED)


def version_of(request, pk: int, number: int, role: str = Role.VIEWER) -> GraphVersion:
    graph = get_graph(request.user, pk, role)
    return get_object_or_404(graph.versions.select_related("author", "graph"), number=number)


class VersionDetail(APIView):
    @extend_schema(responses=VersionDetailSerializer)
    def get(self, request, pk, number):
        return Response(VersionDetailSerializer(version_of(request, pk, number)).data)


class VersionRestore(APIView):
    @extend_schema(request=RestoreSerializer, responses={201: VersionDetailSerializer})
    def post(self, request, pk, number):
        old = version_of(request, pk, number, Role.EDITOR)
        body = RestoreSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        version = services.restore_version(old, request.user, body.validated_data["message"])
        return Response(VersionDetailSerializer(version).data, status=status.HTTP_201_CREATED)


def _version_number(request, name: str) -> int:
    number = query_int(request.query_params, name, min_value=1, max_value=2**31 - 1)
    if number is None:
        raise InputProblem([error(f"?{name}= must be a version number", field=name)])
    return number


class GraphDiff(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("a", int, required=True), OpenApiParameter("b", int, required=True)],
        responses=schemas.VersionDiff,
    )
    def get(self, request, pk):
        a, b = _version_number(request, "a"), _version_number(request, "b")
        first, second = version_of(request, pk, a), version_of(request, pk, b)
        return Response(services.diff_versions(first, second))


class VersionExport(APIView):
    content_negotiation_class = FormatIsOurs
    renderer_classes = [JSONRenderer]

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=list(services.EXPORTS), required=True)],
        # The Python source is text; TorchScript and ONNX are binary files.
        responses={(200, "text/x-python"): OpenApiTypes.STR, (200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    def get(self, request, pk, number):
        version = version_of(request, pk, number)
        content, filename, content_type = services.export_version(
            version, request.query_params.get("format", "")
        )
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class ProjectBlocks(APIView):
    @extend_schema(responses=schemas.ProjectBlockPage)
    def get(self, request, pk):
        project = get_project(request.user, pk, Role.VIEWER)
        blocks = services.project_blocks(project)
        return Response({"count": len(blocks), "next": None, "previous": None, "results": blocks})

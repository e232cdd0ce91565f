"""Datasets API: built-ins and a project's uploads (docs/contracts.md section 5)."""
from __future__ import annotations

import json

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from designer.core import store
from designer.core.errors import Conflict
from designer.core.pagination import Pagination
from designer.core.params import query_int
from designer.core.permissions import NOT_FOUND, get_project, projects_visible_to, require_role
from designer.datasets import services
from designer.datasets.models import UPLOAD_KINDS, Dataset
from designer.graphs.models import Role


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=UPLOAD_KINDS)
    options = serializers.CharField(required=False, allow_blank=True,
                                    help_text='JSON object, e.g. {"target": "label"} for a CSV')

    def validate_options(self, value: str) -> dict:
        if not value:
            return {}
        try:
            options = json.loads(value)
        except ValueError:
            raise serializers.ValidationError("options must be a JSON object") from None
        if not isinstance(options, dict):
            raise serializers.ValidationError("options must be a JSON object")
        return options


class DatasetRow(serializers.Serializer):
    """A dataset as the launch form and the project page show it (built-in or upload)."""

    id = serializers.JSONField(help_text="the kind of a built-in (\"digits\"), the id (a number) of an upload")
    name = serializers.CharField()
    kind = serializers.CharField()
    source = serializers.ChoiceField(["builtin", "local", "upload"])
    available = serializers.BooleanField()
    error = serializers.CharField(required=False, help_text="why a local dataset cannot be used")
    help = serializers.CharField(required=False)
    task = serializers.CharField(required=False)
    input_shape = serializers.ListField(child=serializers.IntegerField(), allow_null=True, required=False)
    num_classes = serializers.IntegerField(allow_null=True, required=False)
    classes = serializers.ListField(child=serializers.CharField(), allow_null=True, required=False)
    sizes = serializers.DictField(child=serializers.IntegerField(), allow_null=True, required=False)
    description = serializers.CharField(required=False)
    project = serializers.IntegerField(required=False, help_text="uploads: the project")
    size = serializers.IntegerField(required=False, help_text="uploads: the file's bytes")
    options = serializers.DictField(child=serializers.JSONField(), required=False)
    created = serializers.DateTimeField(required=False)


class DatasetPage(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = DatasetRow(many=True)


class DatasetList(APIView):
    @extend_schema(responses=DatasetPage,
                   parameters=[OpenApiParameter("project", int, required=False, description="a project's uploads")])
    def get(self, request):
        uploads = Dataset.objects.filter(project__in=projects_visible_to(request.user))
        project = query_int(request.query_params, "project", min_value=1)
        if project is not None:
            uploads = uploads.filter(project=get_project(request.user, project))
        rows = services.builtins() + [services.upload_row(d, brief=True) for d in uploads]
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(page)


class ProjectDatasets(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": UploadSerializer}, responses={201: DatasetRow})
    def post(self, request, pk):
        project = get_project(request.user, pk, Role.EDITOR)
        body = UploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        fields = body.validated_data
        upload = fields["file"]
        dataset = services.store_upload(project, request.user, fields.get("name") or upload.name[:200],
                                        fields["kind"], upload, fields.get("options") or {})
        return Response(services.upload_row(dataset), status=status.HTTP_201_CREATED)


def _dataset(request, pk: int, role: str) -> Dataset:
    dataset = Dataset.objects.select_related("project").filter(pk=pk).first()
    if dataset is None:
        raise NotFound(NOT_FOUND)
    require_role(dataset.project, request.user, role)
    return dataset


class DatasetDetail(APIView):
    @extend_schema(responses=DatasetRow, operation_id="dataset_retrieve")
    def get(self, request, pk):
        return Response(services.upload_row(_dataset(request, pk, Role.VIEWER)))

    @extend_schema(responses={204: None})
    def delete(self, request, pk):
        dataset = _dataset(request, pk, Role.EDITOR)
        from designer.runs.models import Run

        if Run.objects.filter(dataset__upload=dataset.pk).exists():
            raise Conflict("runs use this dataset (clone and resume need it); delete those runs first")
        store.drop_media(dataset.file)
        dataset.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


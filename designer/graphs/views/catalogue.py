"""What the editor asks the engine without saving anything: validation, the layer palette, templates."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from designer.core.openapi import GRAPH_DOCUMENT
from designer.graphs import engine, schemas, services
from designer.graphs.serializers import ValidateSerializer


class Validate(APIView):
    """Shapes per edge, errors per node, totals: the report of docs/contracts.md section 2."""

    @extend_schema(request=ValidateSerializer, responses=schemas.ValidationReport)
    def post(self, request):
        body = ValidateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return Response(services.validation_report(body.validated_data["document"]))


class Layers(APIView):
    @extend_schema(responses=schemas.LayerSpec(many=True), operation_id="layers_list")
    def get(self, request):
        return Response(engine.call("catalogue"))


class Templates(APIView):
    @extend_schema(responses=schemas.Template(many=True), operation_id="templates_list")
    def get(self, request):
        return Response(engine.call("list_templates"))


class TemplateDetail(APIView):
    @extend_schema(responses={200: GRAPH_DOCUMENT})
    def get(self, request, name):
        known = {t["name"] for t in engine.call("list_templates")}
        # Only names the engine lists reach load_template: the name comes from the URL.
        if name not in known:
            raise NotFound(f"No template named {name!r}; GET /api/templates lists them.")
        return Response(engine.call("load_template", name))

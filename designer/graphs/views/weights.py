"""Pretrained weights for a backbone node: uploaded, checked by the engine, kept for runs.

``POST /api/projects/<id>/weights`` (multipart ``file``, ``op``, ``params`` as
JSON text, ``node``): the file is read with ``weights_only=True`` and its keys
and shapes matched against the backbone as the node builds it; a file that
does not fit is deleted and answered with a 400 naming the node, the
``weights_file`` field and the first mismatch. The answer's ``path`` is what
the node's ``weights_file`` param takes.
"""
from __future__ import annotations

import json
import uuid

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from designer.core import store
from designer.core.errors import InputProblem, error
from designer.core.permissions import get_project
from designer.graphs.models import Role
from designer.graphs.schemas import WeightsAnswer


class WeightsUpload(serializers.Serializer):
    file = serializers.FileField()
    op = serializers.CharField(max_length=64, help_text="The backbone node's op, e.g. ResNet18")
    node = serializers.CharField(max_length=64, required=False, allow_blank=True)
    params = serializers.CharField(required=False, allow_blank=True,
                                   help_text='The node\'s params as JSON, e.g. {"head": "features"}')

    def validate_params(self, value: str) -> dict:
        try:
            params = json.loads(value) if value else {}
        except ValueError:
            raise serializers.ValidationError("params must be a JSON object") from None
        if not isinstance(params, dict):
            raise serializers.ValidationError("params must be a JSON object")
        return params


def store_weights(project, upload, op: str, params: dict, node: str | None) -> dict:
    from workers.engine.recipes.finetune import WeightsError, check_weights

    if upload.size > settings.NETWEAVE_MAX_UPLOAD_BYTES:
        raise InputProblem([error(f"the file is {upload.size:,} bytes; the limit is "
                                  f"{settings.NETWEAVE_MAX_UPLOAD_BYTES:,}", field="file")])
    name = f"weights/{project.pk}/{uuid.uuid4().hex}.pt"
    target = store.write_upload(name, upload)
    try:
        report = check_weights(target, op, params, node=node or None)
        store.put_media(name)  # workers on other hosts fetch it by this name (designer/runs/files.py)
    except WeightsError as exc:
        target.unlink(missing_ok=True)
        raise InputProblem(exc.errors) from None
    except Exception:
        target.unlink(missing_ok=True)
        raise
    return {"path": str(target), "op": op, "node": node or None, "size": upload.size, **report}


class ProjectWeights(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": WeightsUpload}, responses={201: WeightsAnswer})
    def post(self, request, pk):
        project = get_project(request.user, pk, Role.EDITOR)
        body = WeightsUpload(data=request.data)
        body.is_valid(raise_exception=True)
        fields = body.validated_data
        answer = store_weights(project, fields["file"], fields["op"], fields.get("params") or {}, fields.get("node"))
        return Response(answer, status=status.HTTP_201_CREATED)

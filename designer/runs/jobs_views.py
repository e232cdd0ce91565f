"""`GET /api/jobs`: the job kinds a run can be, each with its config's JSON Schema.

Served from the engine's registry, so the launch forms, the service's checks
and the workers agree on one list.
"""
from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

JOB_KIND = inline_serializer("JobKind", many=True, fields={
    "kind": serializers.CharField(),
    "title": serializers.CharField(),
    "description": serializers.CharField(),
    "inputs": inline_serializer("JobInputs", {"min": serializers.IntegerField(),
                                              "max": serializers.IntegerField()}),
    "distributed": serializers.BooleanField(help_text="may run as N processes (DDP)"),
    "resumable": serializers.BooleanField(help_text="a stopped run may resume from last.pt"),
    "checkpoints": serializers.BooleanField(help_text="a finished run leaves a checkpoint jobs can start from"),
    "binds_input": serializers.BooleanField(required=False, help_text="false where the graph's Input is not "
                                            "bound to the dataset (a GAN's generator takes noise)"),
    "config_schema": serializers.JSONField(help_text="JSON Schema of the kind's config"),
})


class JobKinds(APIView):
    @extend_schema(responses={200: OpenApiResponse(JOB_KIND)}, operation_id="jobs_list")
    def get(self, request):
        from workers.engine.jobs import list_jobs

        return Response([kind.describe() for kind in list_jobs()])

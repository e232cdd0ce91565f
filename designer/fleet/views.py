"""`GET /api/fleet`: the workers, their jobs and the queues (docs/contracts.md section 5)."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from designer.fleet.serializers import FleetSerializer
from designer.fleet.services import snapshot


class Fleet(APIView):
    @extend_schema(responses=FleetSerializer, operation_id="fleet_read")
    def get(self, request):
        return Response(snapshot(request.user))

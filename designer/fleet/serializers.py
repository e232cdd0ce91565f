"""The shape of GET /api/fleet (docs/contracts.md section 5), for the OpenAPI schema and the editor's types."""
from __future__ import annotations

from rest_framework import serializers

from designer.runs.serializers import GpuSerializer


class GpuNowSerializer(GpuSerializer):
    memory_mb = serializers.IntegerField()
    memory_used_mb = serializers.IntegerField()
    utilization_percent = serializers.IntegerField()


class DevicesSerializer(serializers.Serializer):
    cpus = serializers.IntegerField(required=False)
    memory_mb = serializers.IntegerField(required=False)
    gpus = GpuNowSerializer(many=True, required=False)


class ProjectRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class FleetJobSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text="null for a run of a project you cannot see")
    hidden = serializers.BooleanField()
    state = serializers.CharField()
    queue = serializers.CharField()
    name = serializers.CharField(required=False)
    kind = serializers.CharField(required=False)
    project = ProjectRefSerializer(required=False)
    user = serializers.CharField(required=False, allow_null=True)
    devices = serializers.IntegerField(required=False)
    priority = serializers.IntegerField(required=False)
    gpus = serializers.ListField(child=serializers.IntegerField(), required=False, help_text="GPU indices")
    created = serializers.DateTimeField(required=False)
    started = serializers.DateTimeField(required=False, allow_null=True)
    heartbeat = serializers.DateTimeField(required=False, allow_null=True)


class FleetWorkerSerializer(serializers.Serializer):
    name = serializers.CharField()
    host = serializers.CharField()
    pid = serializers.IntegerField()
    queues = serializers.ListField(child=serializers.CharField())
    devices = DevicesSerializer()
    state = serializers.CharField(help_text="idle, busy, lost (silent past the heartbeat timeout) or stopped")
    started = serializers.DateTimeField()
    heartbeat = serializers.DateTimeField()
    jobs = FleetJobSerializer(many=True)


class FleetQueueSerializer(serializers.Serializer):
    name = serializers.CharField()
    messages = serializers.IntegerField(allow_null=True, help_text="waiting in the broker; null: it cannot be asked")
    queued = FleetJobSerializer(many=True, help_text="in the order workers take them")
    workers = serializers.IntegerField()


class FleetSerializer(serializers.Serializer):
    workers = FleetWorkerSerializer(many=True)
    queues = FleetQueueSerializer(many=True)

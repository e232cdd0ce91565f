from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from designer.core import store
from designer.runs.models import Artifact, MetricSummary, Run, RunState

MAX_TAGS, MAX_TAG = 50, 64


class InputSerializer(serializers.Serializer):
    run = serializers.IntegerField(allow_null=True, help_text="the source run (null once deleted)")
    checkpoint = serializers.ChoiceField(choices=["best", "last"])


class GpuSerializer(serializers.Serializer):
    """A GPU a job ran on (designer/runs/placement.py)."""

    index = serializers.IntegerField(help_text="NVML index on its worker's machine")
    uuid = serializers.CharField()
    name = serializers.CharField()


class RunSerializer(serializers.ModelSerializer):
    inputs = InputSerializer(many=True, read_only=True)
    gpus = GpuSerializer(many=True, read_only=True, help_text="the GPUs the job ran on; empty on the CPU")
    graph = serializers.IntegerField(source="graph_version.graph_id", read_only=True)
    version = serializers.IntegerField(source="graph_version.number", read_only=True)
    graph_name = serializers.CharField(source="graph_version.graph.name", read_only=True)
    project_name = serializers.CharField(source="project.name", read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True, default=None, allow_null=True)
    dataset = serializers.DictField(read_only=True, help_text="the engine's dataset spec ({kind, options, ...})")
    config = serializers.DictField(read_only=True, help_text="the full training config (engine's TrainConfig)")
    summary = serializers.DictField(read_only=True, help_text="the child's final summary (test_<metric>, ...)")
    tags = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Run
        fields = ["id", "project", "graph", "graph_version", "version", "graph_name", "project_name", "kind", "name",
                  "dataset", "config", "devices", "nodes", "queue", "state", "created_by", "created", "started",
                  "finished", "heartbeat", "worker_hostname", "worker_pid", "attempts",
                  "cancel_requested", "error", "summary", "tags", "notes", "parent", "resume_from", "inputs",
                  "priority", "gpus"]
        read_only_fields = fields


class RunDetailSerializer(RunSerializer):
    resumable = serializers.SerializerMethodField(
        help_text="the run stopped (failed or cancelled) and saved checkpoints/last.pt: Resume can work")

    class Meta(RunSerializer.Meta):
        fields = RunSerializer.Meta.fields + ["log_tail", "resumable"]
        read_only_fields = fields

    def get_resumable(self, run) -> bool:
        return run.state in (RunState.FAILED, RunState.CANCELLED) and store.has_run_file(run.pk, "checkpoints/last.pt")


# A launch's dataset, config and inputs are read as JSON and checked by the launch itself
# (designer/runs/validation.py: errors name dataset.kind, config.optimizer.lr, inputs[0].run);
# the classes below only give them their shape in the OpenAPI schema, and so the editor's types.

class BuiltinDatasetRef(serializers.Serializer):
    kind = serializers.CharField(help_text="a built-in dataset's kind (GET /api/datasets): digits, mnist, ...")
    options = serializers.DictField(required=False, help_text="the kind's options (val_fraction, split_seed, ...)")


class UploadDatasetRef(serializers.Serializer):
    id = serializers.IntegerField(help_text="an upload of the run's project")


@extend_schema_field(PolymorphicProxySerializer(
    component_name="DatasetRef", serializers=[BuiltinDatasetRef, UploadDatasetRef], resource_type_field_name=None))
class DatasetRefField(serializers.JSONField):
    pass


@extend_schema_field(OpenApiTypes.OBJECT)
class ConfigField(serializers.JSONField):
    pass


INPUT_REF = {"type": "object", "required": ["run"], "properties": {
    "run": {"type": "integer", "description": "a finished run the job starts from"},
    "checkpoint": {"type": "string", "enum": ["best", "last"], "description": "best when left out"}}}


@extend_schema_field({"type": "array", "items": {"oneOf": [
    INPUT_REF, {"type": "integer", "description": "a run id: its best checkpoint"}]}})
class InputsField(serializers.JSONField):
    pass


class RunCreateSerializer(serializers.Serializer):
    graph = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1,
                                     help_text="graph id; left out, the first input run's graph version")
    version = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1,
                                       help_text="version number; the latest if left out")
    kind = serializers.CharField(default="train", max_length=16, help_text="a kind from GET /api/jobs")
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    dataset = DatasetRefField(required=False, default=None,
                                    help_text='{"kind": "digits", "options": {}} or an upload {"id": 5}; '
                                              "left out, the first input run's dataset")
    config = ConfigField(required=False, default=dict,
                                   help_text="the kind's config (its JSON Schema: GET /api/jobs)")
    inputs = InputsField(required=False, default=list,
                                   help_text='finished runs the job starts from: [{"run": 5, "checkpoint": "best"}]')
    devices = serializers.IntegerField(default=1, help_text="processes (devices) per node")
    nodes = serializers.IntegerField(default=1, help_text="workers the run spans (multi-node DDP), "
                                                          "all reserved before any starts")
    queue = serializers.CharField(default="cpu")
    priority = serializers.IntegerField(default=0, min_value=-100, max_value=100,
                                        help_text="higher starts first among the queue's waiting runs")
    tags = serializers.ListField(child=serializers.CharField(max_length=MAX_TAG), max_length=MAX_TAGS,
                                 required=False, default=list)
    notes = serializers.CharField(max_length=10_000, required=False, allow_blank=True, default="")


class RunPatchSerializer(serializers.ModelSerializer):
    tags = serializers.ListField(child=serializers.CharField(max_length=MAX_TAG), max_length=MAX_TAGS)

    class Meta:
        model = Run
        fields = ["tags", "notes", "name"]


class SummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = MetricSummary
        fields = ["key", "goal", "latest", "latest_step", "best", "best_step", "minimum", "maximum",
                  "count", "first_step", "last_step", "first_time", "last_time"]


class CheckpointSerializer(serializers.ModelSerializer):
    size = serializers.SerializerMethodField()

    class Meta:
        model = Artifact
        fields = ["name", "epoch", "step", "best", "created", "updated", "size"]

    def get_size(self, artifact) -> int | None:
        try:
            return store.run_file_size(artifact.run_id, artifact.name)
        except ValueError:  # a name that leaves the run folder: nothing to measure
            return None

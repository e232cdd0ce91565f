from __future__ import annotations

from rest_framework import serializers

from designer.core import openapi
from designer.graphs.models import DESCRIPTION_MAX, MESSAGE_MAX, NAME_MAX, Graph, GraphVersion, Project


class DocumentField(serializers.JSONField):
    """A graph document. The body was parsed from JSON already, so JSONField's
    re-encoding check is skipped (it costs milliseconds on 1,000-node graphs);
    its shape is checked by designer/graphs/limits.py and the engine."""

    def to_internal_value(self, data):
        return data


class ProjectSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", read_only=True)
    role = serializers.CharField(read_only=True, help_text="the caller's role: owner, editor or viewer")

    class Meta:
        model = Project
        fields = ["id", "name", "description", "owner", "role", "created", "updated"]
        read_only_fields = ["created", "updated"]


class MemberSerializer(serializers.Serializer):
    user_id = serializers.IntegerField(source="user.pk", read_only=True)
    username = serializers.CharField(source="user.username", max_length=150)
    role = serializers.ChoiceField(choices=["editor", "viewer"])


class MemberRoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=["editor", "viewer"])


class GraphSerializer(serializers.ModelSerializer):
    latest_version = serializers.IntegerField(source="head.number", read_only=True, default=None)
    valid = serializers.BooleanField(source="head.valid", read_only=True, default=None)
    node_count = serializers.IntegerField(source="head.node_count", read_only=True, default=None)
    created_by = serializers.CharField(source="created_by.username", read_only=True, default=None)

    class Meta:
        model = Graph
        fields = ["id", "project", "name", "description", "created_by", "created", "updated",
                  "latest_version", "valid", "node_count"]
        read_only_fields = ["project", "created", "updated"]

    def validate_name(self, value: str) -> str:
        if self.instance is None:
            return value
        others = Graph.objects.filter(project=self.instance.project_id, name=value)
        if others.exclude(pk=self.instance.pk).exists():
            raise serializers.ValidationError(f"another graph in this project is named {value!r}")
        return value


class GraphDetailSerializer(GraphSerializer):
    document = openapi.DocumentField(source="head.document", read_only=True, default=None, allow_null=True)
    errors = openapi.ReportErrorsField(source="head.errors", read_only=True, default=None, allow_null=True)

    class Meta(GraphSerializer.Meta):
        fields = GraphSerializer.Meta.fields + ["document", "errors"]


class GraphCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=NAME_MAX)
    description = serializers.CharField(max_length=DESCRIPTION_MAX, required=False, allow_blank=True, default="")
    document = DocumentField(required=False, help_text="a netweave.graph/1 document; empty if left out")
    message = serializers.CharField(max_length=MESSAGE_MAX, required=False, allow_blank=True, default="")


class GraphImportSerializer(GraphCreateSerializer):
    """Either a document, or a torchvision model to trace into one."""

    document = DocumentField(required=False, help_text="a netweave.graph/1 document")
    torchvision = serializers.CharField(
        required=False, max_length=100, help_text="a torchvision classification model, e.g. resnet18"
    )
    input_shape = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=4096), min_length=1, max_length=4,
        default=[3, 224, 224], help_text="the model's input without the batch dimension",
    )

    def validate(self, attrs):
        if ("document" in attrs) == ("torchvision" in attrs):
            raise serializers.ValidationError(
                {"document": "send either a document or the name of a torchvision model"})
        return attrs


class VersionSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", read_only=True, default=None)

    class Meta:
        model = GraphVersion
        fields = ["number", "author", "message", "created", "content_hash", "valid", "node_count",
                  "restored_from"]


class VersionDetailSerializer(VersionSerializer):
    document = openapi.DocumentField(read_only=True)
    errors = openapi.ReportErrorsField(read_only=True)

    class Meta(VersionSerializer.Meta):
        fields = VersionSerializer.Meta.fields + ["graph", "errors", "document"]


class VersionCreateSerializer(serializers.Serializer):
    document = DocumentField()
    message = serializers.CharField(max_length=MESSAGE_MAX, required=False, allow_blank=True, default="")
    base_version = serializers.IntegerField(
        required=False, min_value=0,
        help_text="the version the edit started from; if a newer one exists the save is refused (409)",
    )


class RestoreSerializer(serializers.Serializer):
    message = serializers.CharField(max_length=MESSAGE_MAX, required=False, allow_blank=True, default="")


class ValidateSerializer(serializers.Serializer):
    document = DocumentField()

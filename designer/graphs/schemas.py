"""Shapes of the graph endpoints' answers built as dicts, for the OpenAPI schema
(/api/schema/, from which the editor's types are generated)."""
from __future__ import annotations

from rest_framework import serializers as s

from designer.core.openapi import ErrorItem
from designer.dashboards.schemas import GraphDiff

PARAM_TYPES = ("int", "float", "bool", "str", "choice", "ints", "shape", "path", "values")


class Template(s.Serializer):
    name = s.CharField()
    title = s.CharField()
    description = s.CharField()
    tags = s.ListField(child=s.CharField())


class ProjectBlock(s.Serializer):
    name = s.CharField()
    graph = s.IntegerField()
    graph_name = s.CharField()
    version = s.IntegerField()
    params = s.DictField(child=s.JSONField(), help_text="the block's exposed params")
    definition = s.DictField(child=s.JSONField(), help_text="the block as in a graph document's blocks")


class ProjectBlockPage(s.Serializer):
    count = s.IntegerField()
    next = s.CharField(allow_null=True)
    previous = s.CharField(allow_null=True)
    results = ProjectBlock(many=True)


class VersionDiff(GraphDiff):
    a = s.IntegerField()
    b = s.IntegerField()


def count() -> s.FloatField:
    return s.FloatField(help_text="a whole number (a float above 2**53)")


def shape() -> s.ListField:
    return s.ListField(child=s.IntegerField(allow_null=True), allow_null=True,
                       help_text="null for the batch dimension; null as a whole when not inferred")


class NodeReport(s.Serializer):
    outputs = s.DictField(child=shape(), help_text="output port → shape")
    params = count()
    flops = count()
    memory = count()
    inferred = s.DictField(child=s.JSONField(), help_text="params the engine worked out (in_channels, ...)")


class EdgeReport(s.Serializer):
    source = s.CharField()
    source_port = s.CharField()
    target = s.CharField()
    target_port = s.CharField()
    shape = shape()
    dtype = s.CharField(allow_null=True)


class Totals(s.Serializer):
    params = count()
    flops = count()
    memory = count()


class BlockReport(s.Serializer):
    instance = s.CharField(allow_null=True, help_text="key prefix of the instance shown; null when unused")
    uses = s.IntegerField()
    nodes = s.DictField(child=NodeReport())
    edges = EdgeReport(many=True)


class ValidationReport(s.Serializer):
    """The engine's validation report (docs/contracts.md section 2)."""

    ok = s.BooleanField()
    errors = ErrorItem(many=True)
    nodes = s.DictField(child=NodeReport(), help_text="top-level node id → its report")
    edges = EdgeReport(many=True)
    totals = Totals()
    blocks = s.DictField(child=BlockReport(), help_text="block name → its first instance")


class LayerPort(s.Serializer):
    name = s.CharField()
    variadic = s.BooleanField(help_text="numbered ports: in0, in1, ... / out0, out1, ...")


class LayerParam(s.Serializer):
    name = s.CharField()
    type = s.ChoiceField(PARAM_TYPES)
    default = s.JSONField(allow_null=True)
    required = s.BooleanField()
    min = s.FloatField(allow_null=True)
    max = s.FloatField(allow_null=True)
    choices = s.ListField(child=s.JSONField(), allow_null=True)
    help = s.CharField(allow_null=True)
    inferred = s.BooleanField(help_text="worked out from the input's shape when left empty")


class LayerSpec(s.Serializer):
    """One op of the layer registry (docs/contracts.md section 2)."""

    op = s.CharField()
    category = s.CharField()
    help = s.CharField()
    inputs = LayerPort(many=True)
    outputs = LayerPort(many=True)
    params = LayerParam(many=True)


class WeightsAnswer(s.Serializer):
    path = s.CharField(help_text="what the node's weights_file param takes")
    op = s.CharField()
    node = s.CharField(allow_null=True)
    size = s.IntegerField(help_text="bytes")
    keys = s.IntegerField()
    parameters = s.IntegerField()
    fits = s.ChoiceField(["torchvision", "this node"])

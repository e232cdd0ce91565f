"""Shapes of the graph endpoints' answers built as dicts, for the OpenAPI schema
(/api/schema/, from which the editor's types are generated)."""
from __future__ import annotations

from rest_framework import serializers as s

from designer.dashboards.schemas import GraphDiff


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

"""The shapes of the sweeps' answers, for the OpenAPI schema (and so the editor's types).

The views answer plain dicts (designer/tuning/analysis.py); these serializers only
describe them.
"""
from __future__ import annotations

from rest_framework import serializers as s


class SweepObjective(s.Serializer):
    metric = s.CharField(help_text="val/<metric>, test/<metric>, params, flops or latency_ms")
    direction = s.ChoiceField(["minimize", "maximize"], help_text="as the study optimises it (auto resolved)")


class SweepDimension(s.Serializer):
    """One thing a trial may change (the engine's tune.space.Dimension)."""

    name = s.CharField(help_text="a training field (optimizer.lr), a graph variable (=width) or a node's param")
    type = s.ChoiceField(["float", "int", "categorical"])
    low = s.FloatField(allow_null=True)
    high = s.FloatField(allow_null=True)
    log = s.BooleanField()
    step = s.FloatField(allow_null=True)
    choices = s.ListField(child=s.JSONField(), allow_null=True)


class SweepAnalysisAnswer(s.Serializer):
    objectives = SweepObjective(many=True)
    space = SweepDimension(many=True)
    importance = s.DictField(child=s.FloatField(), help_text="parameter name → share of the objective's variance")
    best_trials = s.ListField(child=s.IntegerField(), help_text="the best trial, or the Pareto front's")
    intermediate = s.DictField(child=s.ListField(child=s.ListField(child=s.FloatField())),
                               help_text="trial number → [[epoch, value], ...]")


class SweepTrials(s.Serializer):
    columns = s.ListField(child=s.CharField())
    rows = s.ListField(child=s.ListField(child=s.JSONField(allow_null=True)), help_text="one list per trial, in column order")


class PromotedTrial(s.Serializer):
    graph = s.IntegerField()
    version = s.IntegerField()
    run = s.IntegerField()
    checkpoint = s.CharField()
    params = s.DictField(child=s.JSONField(allow_null=True), help_text="the trial's sampled values")
    config = s.DictField(child=s.JSONField(allow_null=True), help_text="the trial's training config, to launch with")

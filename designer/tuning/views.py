"""Sweeps API (docs/contracts.md section 8): a sweep's trials, analysis, extend, promote.

A sweep is launched like any run (``POST /api/runs`` with kind ``tune``); these
endpoints are what only a sweep has.
"""
from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from designer.graphs.models import Role
from designer.runs.serializers import RunDetailSerializer
from designer.runs.views import get_run
from designer.tuning import analysis, schemas, services

def get_sweep(user, pk: int, role: str = Role.VIEWER):
    run = get_run(user, pk, role)
    if run.kind != "tune":
        raise NotFound(f"run {pk} is a {run.kind} run, not a sweep")
    return run


class SweepTrials(APIView):
    @extend_schema(responses=schemas.SweepTrials)
    def get(self, request, pk):
        sweep = get_sweep(request.user, pk)
        return Response({"columns": analysis.COLUMNS, "rows": analysis.trial_rows(sweep)})


class SweepAnalysis(APIView):
    @extend_schema(responses=schemas.SweepAnalysisAnswer)
    def get(self, request, pk):
        return Response(analysis.analyse(get_sweep(request.user, pk)))


class SweepExtend(APIView):
    @extend_schema(request=inline_serializer("SweepExtend", {"n_trials": serializers.IntegerField()}),
                   responses=RunDetailSerializer)
    def post(self, request, pk):
        sweep = get_sweep(request.user, pk, Role.EDITOR)
        services.extend(sweep, request.data.get("n_trials"))
        return Response(RunDetailSerializer(get_run(request.user, pk)).data)


class TrialPromote(APIView):
    @extend_schema(request=inline_serializer("TrialPromote", {"message": serializers.CharField(required=False)}),
                   responses={201: schemas.PromotedTrial})
    def post(self, request, pk, number):
        sweep = get_sweep(request.user, pk, Role.EDITOR)
        message = request.data.get("message") if isinstance(request.data.get("message"), str) else ""
        trial, version = services.promote(sweep, number, request.user, message)
        return Response({"graph": version.graph_id, "version": version.number, "run": trial.run_id,
                         "checkpoint": f"/api/runs/{trial.run_id}/checkpoints/best.pt", "params": trial.params,
                         "config": trial.run.config}, status=status.HTTP_201_CREATED)

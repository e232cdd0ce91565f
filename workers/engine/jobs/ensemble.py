"""The ``ensemble`` kind: 2..16 finished classifier runs combined, none retrained.

Every member is measured on the test split beside the ensemble, for each of
the three methods (soft, weighted, hard; ``recipes.ensemble``); the chosen
method's figures are the run's ``test/*`` metrics and its confusion matrix.
The chosen ensemble is written as one module: ``checkpoints/ensemble.py`` +
``ensemble.pt`` (its state dict), ``ensemble.torchscript.pt`` and
``ensemble.onnx``, each announced as a checkpoint so the run page lists them.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Literal

import torch
from pydantic import BaseModel, ConfigDict, Field

from ..data import load_dataset
from ..train import NullSink, load_checkpoint
from ..recipes import ensemble_export
from ..train.metrics import EvalAccumulator
from ..recipes.ensemble import (Ensemble, combine, first_tensor, fit_weights, member_probabilities,
                                uniform)
from .binding import check_input_shape, wanted_device
from .distributed import setup_placement
from .kinds import JobContext, JobError, register_job

EXPORTS = {"py": "ensemble.py", "torchscript": "ensemble.torchscript.pt", "onnx": "ensemble.onnx"}


class EnsembleConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Literal["soft", "weighted", "hard"] = Field(
        "soft", description="How members combine: soft = mean of probabilities, weighted = "
        "weighted mean with weights fitted on the validation split, hard = majority vote")
    batch_size: int = Field(256, ge=1, le=65536, description="Batch size for the members' passes")
    exports: list[Literal["py", "torchscript", "onnx"]] = Field(
        ["py", "torchscript", "onnx"], max_length=3,
        description="Formats the ensemble is written in (one module holding every member)")
    device: Literal["auto", "cpu", "cuda"] = Field("auto", description="Where the members run")


class Member:
    """One input run: its graph compiled with the checkpoint's weights."""

    def __init__(self, index: int, source: dict[str, Any], data, device: torch.device):
        from .. import compile_graph

        field = f"inputs[{index}]"
        run, graph = source.get("run"), source.get("graph")
        if not isinstance(run, int) or not isinstance(graph, dict):
            raise JobError(field, f"run {run} comes without its graph")
        self.run: int = run
        self.graph: dict[str, Any] = graph
        try:
            ckpt = load_checkpoint(Path(str(source.get("path") or "")))
        except (OSError, ValueError) as exc:
            raise JobError(f"{field}.checkpoint", f"run {self.run}'s checkpoint: {exc}") from None
        task = (ckpt.get("config") or {}).get("task") or data.task
        if task != "classification":
            raise JobError(field, f"run {self.run} is a {task} model; ensembles combine classifiers")
        try:
            check_input_shape(self.graph, data.input_shape, data.name)
            self.model = compile_graph(self.graph, seed=0)
            self.model.load_state_dict(ckpt["model"])
        except (JobError, RuntimeError) as exc:
            first = str(exc).strip().splitlines()[0]
            raise JobError(field, f"run {self.run}: {first}") from None
        self.model.eval().to(device)
        self.name = str(self.graph.get("name") or f"run {self.run}")


class EnsembleJob:
    def __init__(self, ctx: JobContext):
        self.ctx, self.cfg = ctx, ctx.config
        self.sink = ctx.sink or NullSink()
        self.step = 0

    def setup(self, resume_from: str | None) -> None:
        ctx = self.ctx
        self.place = setup_placement(wanted_device(self.cfg.device, ctx.resources))
        self.data = load_dataset(ctx.dataset)
        if self.data.task != "classification":
            raise JobError("dataset", f"dataset {self.data.name!r} is for {self.data.task}; "
                                      "ensembles combine classifiers")
        self.members = [Member(i, s, self.data, self.place.device) for i, s in enumerate(ctx.inputs)]
        self._check_classes()

    def _check_classes(self) -> None:
        """Every member must give one score per class of the dataset."""
        x, n = self.data.train[0:2][0].to(self.place.device), self.data.num_classes
        with torch.no_grad():
            for i, member in enumerate(self.members):
                out = first_tensor(member.model(x))
                if out.ndim != 2 or out.shape[1] != n:
                    raise JobError(f"inputs[{i}]", f"run {member.run} gives {list(out.shape[1:])} per "
                                                   f"sample but {self.data.name!r} has {n} classes")

    def _measure(self, log_probs: torch.Tensor, y: torch.Tensor):
        acc = EvalAccumulator("classification", self.data.num_classes, torch.device("cpu"))
        acc.update(log_probs, y, y)
        return acc.result()

    def run(self) -> dict[str, Any]:
        cfg, data = self.cfg, self.data
        models = [m.model for m in self.members]
        if len(data.test) == 0:
            raise JobError("dataset", f"dataset {data.name!r} has no test samples to measure on")
        test = member_probabilities(models, data.test, cfg.batch_size, self.place.device)
        weights = {"soft": uniform(len(models)), "hard": uniform(len(models))}
        if len(data.val):
            val = member_probabilities(models, data.val, cfg.batch_size, self.place.device)
            weights["weighted"] = fit_weights(val, data.val.y)
        elif cfg.method == "weighted":
            raise JobError("config.method", f"dataset {data.name!r} has no validation split to "
                                            "fit the weights on: use soft or hard")
        summary = self._report(test, data.test.y, weights)
        self._export(weights[cfg.method], data.test[0:2][0])
        return summary

    def _report(self, test: torch.Tensor, y: torch.Tensor, weights: dict[str, torch.Tensor]) -> dict[str, Any]:
        cfg = self.cfg
        members = []
        for member, probs, weight in zip(self.members, test, weights.get("weighted", weights["soft"])):
            values, _ = self._measure(torch.log(probs.clamp_min(1e-12)), y)
            members.append({"run": member.run, "name": member.name, "test_accuracy": values["accuracy"],
                            "test_loss": values["loss"], "test_f1": values["f1"], "weight": float(weight)})
        methods = {m: self._measure(combine(test, weights[m], m), y) for m in weights}
        values, details = methods[cfg.method]
        self._metric("test", values)
        self._metric("members", {f"run{m['run']}_accuracy": m["test_accuracy"] for m in members})
        self._metric("methods", {f"{m}_accuracy": v[0]["accuracy"] for m, v in methods.items()})
        self._artifact("test_confusion_matrix", details.pop("confusion_matrix"))
        self._artifact("test_per_class", {"labels": self.data.classes, **details})
        best = max(m["test_accuracy"] for m in members)
        self._artifact("ensemble", {"method": cfg.method, "members": members,
                                    "methods": {m: v[0] for m, v in methods.items()},
                                    "best_member_test_accuracy": best})
        summary = {f"test_{k}": v for k, v in values.items()}
        summary.update({f"test_accuracy_{m}": v[0]["accuracy"] for m, v in methods.items()})
        summary.update({f"member_run{m['run']}_test_accuracy": m["test_accuracy"] for m in members})
        summary.update(members=len(members), best_member_test_accuracy=best,
                       gain_over_best_member=values["accuracy"] - best)
        return summary

    def _export(self, weights: torch.Tensor, example: torch.Tensor) -> None:
        cfg = self.cfg
        folder = self.ctx.run_dir / "checkpoints"
        folder.mkdir(parents=True, exist_ok=True)
        model = Ensemble([m.model.cpu() for m in self.members], cfg.method, weights).eval()
        written = [("ensemble.pt", None)]
        torch.save(model.state_dict(), folder / "ensemble.pt")
        for fmt in cfg.exports:
            if fmt == "py":
                data = ensemble_export.export_python([m.graph for m in self.members],
                                                     [m.run for m in self.members], cfg.method).encode()
            else:
                data = getattr(ensemble_export, f"export_{fmt}")(model, example)
            (folder / EXPORTS[fmt]).write_bytes(data)
            written.append((EXPORTS[fmt], fmt))
        for name, _ in written:
            self.sink.emit({"type": "checkpoint", "path": f"checkpoints/{name}", "epoch": 0,
                            "step": self.step, "best": False})

    def _metric(self, split: str, values: dict[str, float]) -> None:
        self.sink.emit({"type": "metric", "step": self.step, "epoch": 0, "split": split,
                        "values": values, "time": time.time()})

    def _artifact(self, kind: str, data: Any) -> None:
        self.sink.emit({"type": "artifact", "kind": kind, "step": self.step, "data": data})

    def save_checkpoint(self, name: str) -> Path | None:
        return None  # nothing trained; the exports are written at the end of run()

    def cleanup(self) -> None:
        self.members = []


register_job(
    "ensemble", EnsembleConfig, EnsembleJob, title="Ensemble",
    description="Combine 2 to 16 finished classifier runs on the same dataset (graphs may differ) by "
                "soft vote, weighted average (weights fitted on the validation split) or hard vote; "
                "measured on the test split beside each member and exported as one module.",
    inputs=(2, 16))

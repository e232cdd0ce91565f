"""The ``evaluate`` kind: a finished run's checkpoint measured on a dataset split.

Gives what a person needs before trusting or shipping a model: the task's
metrics (loss, accuracy, macro precision/recall/F1, confusion matrix,
per-class figures), expected calibration error, CPU latency at batch 1 and
64 (median of repeated timings, threads fixed), parameters and the
checkpoint's size. Nothing is trained; the checkpoint is read with
``weights_only=True``.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Literal

import torch
from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..data import load_dataset
from ..measure import cpu_latency, file_size, parameter_count
from ..train import Cancelled, NullSink, load_checkpoint
from ..train.loaders import eval_loader, to_device
from ..train.metrics import EvalAccumulator
from ..train.recipe import first_output
from .binding import check_input_shape, wanted_device
from .calibration import Calibration
from .distributed import setup_placement
from .kinds import JobContext, JobError, register_job


class EvaluateConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    split: Literal["test", "val", "train"] = Field(
        "test", description="Which split of the dataset to measure on")
    batch_size: int = Field(256, ge=1, le=65536, description="Batch size for the metrics pass")
    latency_batch_sizes: list[int] = Field(
        [1, 64], min_length=1, max_length=8,
        description="Batch sizes whose CPU latency is timed (each between 1 and 4096)")
    latency_repeats: int = Field(
        30, ge=3, le=1000, description="Timings per batch size; the median is reported")
    threads: int = Field(1, ge=1, le=256, description="CPU threads for the latency timings "
                                                      "(fixed, so figures compare across runs)")
    calibration_bins: int = Field(15, ge=2, le=100, description="Confidence bins for the "
                                                                "expected calibration error")
    device: Literal["auto", "cpu", "cuda"] = Field(
        "auto", description="Where the metrics pass runs (latency is always timed on the CPU)")

    @field_validator("latency_batch_sizes")
    @classmethod
    def _sizes(cls, sizes: list[int]) -> list[int]:
        if any(not 1 <= b <= 4096 for b in sizes):
            raise ValueError("each batch size must be between 1 and 4096")
        return sorted(set(sizes))


class EvaluateJob:
    def __init__(self, ctx: JobContext):
        self.ctx, self.cfg = ctx, ctx.config
        self.sink = ctx.sink or NullSink()
        self.step = 0

    def setup(self, resume_from: str | None) -> None:
        from .. import compile_graph

        ctx, cfg = self.ctx, self.cfg
        if len(ctx.inputs) != 1:
            raise JobError("inputs", f"evaluate takes exactly one input run; got {len(ctx.inputs)}")
        source = ctx.inputs[0]
        self.checkpoint = Path(str(source.get("path") or ""))
        try:
            ckpt = load_checkpoint(self.checkpoint)
        except (OSError, ValueError) as exc:
            raise JobError("inputs", f"run {source.get('run')}'s checkpoint: {exc}") from None
        self.place = setup_placement(wanted_device(cfg.device, ctx.resources))
        self.sink.emit({"type": "phase", "phase": "loading data"})
        self.data = load_dataset(ctx.dataset)
        check_input_shape(ctx.graph, self.data.input_shape, self.data.name)
        self.sink.emit({"type": "phase", "phase": "building the model"})
        self.model = compile_graph(ctx.graph, seed=0)
        try:
            self.model.load_state_dict(ckpt["model"])
        except RuntimeError as exc:
            first = str(exc).strip().splitlines()[0]
            raise JobError("inputs", f"run {source.get('run')}'s checkpoint does not fit its graph: "
                                     f"{first}") from None
        self.model.eval().to(self.place.device)
        self.task = (ckpt.get("config") or {}).get("task") or self.data.task
        self.step = int((ckpt.get("state") or {}).get("step") or 0)

    @torch.no_grad()
    def _measure_split(self) -> tuple[dict[str, float], dict[str, Any] | None, Calibration | None]:
        cfg, device = self.cfg, self.place.device
        split = getattr(self.data, cfg.split)
        if len(split) == 0:
            raise JobError("config.split", f"dataset {self.data.name!r} has no {cfg.split} samples")
        acc = EvalAccumulator(self.task, self.data.num_classes, device)
        calibration = Calibration(cfg.calibration_bins) if self.task == "classification" else None
        for batch in eval_loader(split, cfg.batch_size, rank=0, world_size=1, num_workers=0,
                                 cuda=device.type == "cuda"):
            x, y = to_device(batch, device)
            out = first_output(self.model(x))
            acc.update(out, x, y)
            if calibration is not None:
                calibration.update(out, y)
            if self.ctx.should_stop():
                raise Cancelled()
        values, details = acc.result()
        return values, details, calibration

    def run(self) -> dict[str, Any]:
        cfg = self.cfg
        values, details, calibration = self._measure_split()
        if calibration is not None:
            values["ece"] = calibration.ece()
            self._artifact(f"{cfg.split}_calibration", calibration.bins())
        if details is not None:
            self._artifact(f"{cfg.split}_confusion_matrix", details.pop("confusion_matrix"))
            self._artifact(f"{cfg.split}_per_class", {"labels": self.data.classes, **details})
        self._metric(cfg.split, values)
        sample = getattr(self.data, cfg.split)[[0]][0]
        model = self.model.to("cpu")
        latency = cpu_latency(model, sample, cfg.latency_batch_sizes, cfg.latency_repeats, cfg.threads)
        latency = {f"latency_b{b}_ms": v for b, v in zip(cfg.latency_batch_sizes, latency.values())}
        size = {"params": parameter_count(model), "checkpoint_bytes": file_size(self.checkpoint) or 0}
        self._metric("model", {**latency, **size})
        return {**{f"{cfg.split}_{k}": v for k, v in values.items()}, **latency, **size}

    def _metric(self, split: str, values: dict[str, float]) -> None:
        self.sink.emit({"type": "metric", "step": self.step, "epoch": 0, "split": split,
                        "values": values, "time": time.time()})

    def _artifact(self, kind: str, data: Any) -> None:
        self.sink.emit({"type": "artifact", "kind": kind, "step": self.step, "data": data})

    def save_checkpoint(self, name: str) -> Path | None:
        return None  # nothing trained, nothing to keep

    def cleanup(self) -> None:
        self.model = None


register_job(
    "evaluate", EvaluateConfig, EvaluateJob, title="Evaluate",
    description="Measure a finished run's checkpoint on a dataset split: the task's metrics, "
                "confusion matrix, per-class precision/recall/F1, calibration error, CPU latency "
                "at batch 1 and 64, parameters and checkpoint size.",
    inputs=(1, 1))

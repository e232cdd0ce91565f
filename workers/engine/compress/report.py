"""The before/after report of a compression run: every model measured the same way.

Each model (the source, the pruned one, the int8 one, ...) is measured in
the same job on the same test split: the task's metrics, parameters, FLOPs
(the engine's count for the graph), the size of its weights file, and CPU
latency at batch 1 and 64 (``engine.measure``: median of repeated timings,
threads fixed). A model is anything callable on a batch: an ``nn.Module``,
a TorchScript module or an onnxruntime session wrapped as a module.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import nn

from ..measure import cpu_latency
from ..train.loaders import eval_loader
from ..train.metrics import EvalAccumulator
from ..train.recipe import first_output


@dataclass
class Figures:
    """One row of the report."""

    model: str
    metrics: dict[str, float]
    params: int
    flops: int | None
    file_bytes: int
    latency_b1_ms: float
    latency_b64_ms: float
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Bench:
    """How every model is measured: the split, batch size, timings and threads."""

    split: Any  # a TensorSplit
    task: str
    num_classes: int | None
    batch_size: int = 256
    repeats: int = 20
    threads: int = 1

    @torch.no_grad()
    def metrics(self, model: nn.Module) -> dict[str, float]:
        acc = EvalAccumulator(self.task, self.num_classes, torch.device("cpu"))
        for x, y in eval_loader(self.split, self.batch_size, rank=0, world_size=1, num_workers=0,
                                cuda=False):
            acc.update(first_output(model(x)).float(), x, y)
        return acc.result()[0]

    def latency(self, model: nn.Module) -> tuple[float, float]:
        sample = self.split[[0]][0]
        timings = cpu_latency(model, sample, [1, 64], self.repeats, self.threads)
        return timings["batch_1_ms"], timings["batch_64_ms"]

    def figures(self, name: str, model: nn.Module, *, params: int, flops: int | None,
                file_bytes: int, notes: list[str] | None = None, **extra: Any) -> Figures:
        if isinstance(model, nn.Module):
            model.eval()
        b1, b64 = self.latency(model)
        return Figures(name, self.metrics(model), params, flops, file_bytes, b1, b64,
                       list(notes or []), extra)


def headline(task: str) -> str:
    """The metric a report leads with: accuracy for classification, else the loss."""
    return "accuracy" if task == "classification" else "loss"


def compare(rows: list[Figures], task: str) -> dict[str, Any]:
    """The report artifact: the rows, and each row's ratios to the source (the first)."""
    source, key = rows[0], headline(task)
    out = []
    for r in rows:
        ratios = {"params": r.params / source.params if source.params else None,
                  "file": r.file_bytes / source.file_bytes,
                  "latency_b1": r.latency_b1_ms / source.latency_b1_ms,
                  "latency_b64": r.latency_b64_ms / source.latency_b64_ms,
                  "flops": (r.flops / source.flops) if r.flops and source.flops else None}
        delta = r.metrics.get(key, float("nan")) - source.metrics.get(key, float("nan"))
        out.append({**r.row(), "ratios": ratios, f"{key}_change": delta})
    return {"metric": key, "rows": out}


def summary_of(report: dict[str, Any]) -> dict[str, float]:
    """Flat figures for the run's summary: the final model's, and the source's with ``source_``."""
    rows, key = report["rows"], report["metric"]
    final, source = rows[-1], rows[0]
    flat: dict[str, float] = {}
    for prefix, row in (("", final), ("source_", source)):
        for name, value in row["metrics"].items():
            flat[f"{prefix}test_{name}"] = value
        for name in ("params", "flops", "file_bytes", "latency_b1_ms", "latency_b64_ms"):
            if row[name] is not None:
                flat[f"{prefix}{name}"] = row[name]
    for name, value in final["ratios"].items():
        if value is not None:
            flat[f"{name}_ratio"] = value
    flat[f"{key}_change"] = final[f"{key}_change"]
    return flat

"""Losses by task and evaluation metrics computed from summable statistics.

Evaluation keeps only sums (a confusion matrix, squared errors), so under
DDP each process evaluates its shard and one ``all_reduce`` gives exactly
the figures a single process would compute on the whole split.
"""
from __future__ import annotations

from typing import Any

import torch
import torch.distributed as dist
import torch.nn.functional as F


def compute_loss(task: str, output: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Cross-entropy for classification, MSE for regression, MSE vs the input for reconstruction."""
    if task == "classification":
        return F.cross_entropy(output.float(), y)
    target = x if task == "reconstruction" else y
    return F.mse_loss(output.float(), target.reshape(output.shape).float())


class EvalAccumulator:
    """Sums over one split's batches; ``result()`` turns them into metrics."""

    def __init__(self, task: str, num_classes: int | None, device: torch.device):
        self.task = task
        self.num_classes = num_classes or 0
        # [loss_sum, count, abs_err_sum, sq_err_sum, target_sum, target_sq_sum]
        self.sums = torch.zeros(6, dtype=torch.float64, device=device)
        self.confusion = torch.zeros(self.num_classes, self.num_classes, dtype=torch.int64,
                                     device=device) if task == "classification" else None

    @torch.no_grad()
    def update(self, output: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> None:
        n = output.shape[0]
        self.sums[0] += compute_loss(self.task, output, x, y).double() * n
        self.sums[1] += n
        if self.confusion is not None:
            pred = output.argmax(dim=1)
            index = y * self.num_classes + pred
            self.confusion += torch.bincount(index, minlength=self.num_classes ** 2).view_as(self.confusion)
            return
        target = (x if self.task == "reconstruction" else y).reshape(output.shape).double()
        err, target = (output.double() - target).reshape(n, -1), target.reshape(n, -1)
        self.sums[2] += err.abs().mean(dim=1).sum()
        self.sums[3] += (err ** 2).mean(dim=1).sum()
        self.sums[4] += target.mean(dim=1).sum()
        self.sums[5] += (target ** 2).mean(dim=1).sum()

    def all_reduce(self) -> None:
        if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
            dist.all_reduce(self.sums)
            if self.confusion is not None:
                dist.all_reduce(self.confusion)

    def result(self) -> tuple[dict[str, float], dict[str, Any] | None]:
        """``(values, details)``: scalar metrics and, for classification, per-class figures."""
        sums = self.sums.tolist()
        count = max(sums[1], 1.0)
        values = {"loss": sums[0] / count}
        if self.confusion is None:
            mse = sums[3] / count
            variance = sums[5] / count - (sums[4] / count) ** 2
            values.update(mae=sums[2] / count, rmse=mse ** 0.5,
                          r2=1 - mse / variance if variance > 0 else 0.0)
            return values, None
        return classification_metrics(self.confusion.cpu(), values)


def classification_metrics(confusion: torch.Tensor, values: dict[str, float]
                           ) -> tuple[dict[str, float], dict[str, Any]]:
    """Accuracy and macro precision/recall/F1 from a confusion matrix (rows = truth)."""
    cm = confusion.double()
    tp = cm.diag()
    predicted, actual = cm.sum(dim=0), cm.sum(dim=1)
    precision = torch.where(predicted > 0, tp / predicted.clamp_min(1), torch.zeros_like(tp))
    recall = torch.where(actual > 0, tp / actual.clamp_min(1), torch.zeros_like(tp))
    denom = precision + recall
    f1 = torch.where(denom > 0, 2 * precision * recall / denom.clamp_min(1e-12), torch.zeros_like(tp))
    present = actual > 0  # classes absent from this split do not drag the macro average

    def macro(t: torch.Tensor) -> float:
        return float(t[present].mean()) if present.any() else 0.0

    values.update(accuracy=float(tp.sum() / cm.sum().clamp_min(1)), precision=macro(precision),
                  recall=macro(recall), f1=macro(f1))
    details = {"precision": precision.tolist(), "recall": recall.tolist(), "f1": f1.tolist(),
               "support": actual.long().tolist(), "confusion_matrix": confusion.tolist()}
    return values, details

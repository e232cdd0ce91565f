"""Expected calibration error: how far a classifier's confidence is from its accuracy."""
from __future__ import annotations

import torch


class Calibration:
    """Sums per equal-width confidence bin (Guo et al. 2017); ``ece()`` is their weighted gap."""

    def __init__(self, bins: int):
        self.edges = torch.linspace(0, 1, bins + 1, dtype=torch.float64)
        self.count = torch.zeros(bins, dtype=torch.float64)
        self.correct = torch.zeros(bins, dtype=torch.float64)
        self.confidence = torch.zeros(bins, dtype=torch.float64)

    @torch.no_grad()
    def update(self, logits: torch.Tensor, target: torch.Tensor) -> None:
        probs = torch.softmax(logits.double(), dim=1)
        conf, pred = probs.max(dim=1)
        conf, hit = conf.cpu(), (pred == target).double().cpu()
        index = torch.bucketize(conf, self.edges[1:-1], right=True)
        n = len(self.count)
        self.count += torch.bincount(index, minlength=n).double()
        self.correct += torch.bincount(index, weights=hit, minlength=n)
        self.confidence += torch.bincount(index, weights=conf, minlength=n)

    def ece(self) -> float:
        total = self.count.sum()
        if total == 0:
            return 0.0
        gap = (self.correct - self.confidence).abs()  # = count * |accuracy - confidence|
        return float(gap.sum() / total)

    def bins(self) -> dict[str, list]:
        """The reliability diagram: per bin, its edges, size, accuracy and mean confidence."""
        seen = self.count.clamp_min(1)
        return {"lower": self.edges[:-1].tolist(), "upper": self.edges[1:].tolist(),
                "count": self.count.long().tolist(), "accuracy": (self.correct / seen).tolist(),
                "confidence": (self.confidence / seen).tolist(), "ece": self.ece()}

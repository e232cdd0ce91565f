"""Ensembles of trained classifiers: soft vote, weighted average, hard vote.

Members are trained networks; nothing here trains them. Each member gives
class probabilities (softmax of its first output); the ensemble combines
them into one log-probability per class, so the usual cross-entropy of its
output is the ensemble's own log loss and ``argmax`` its prediction:

- ``soft``: the mean of the members' probabilities;
- ``weighted``: a weighted mean, weights on the simplex fitted to minimise the
  log loss on the *validation* split (the test split never informs them);
- ``hard``: majority vote of the members' top classes; a tie goes to the
  class with the higher mean probability (worth less than one vote).

``Ensemble``, ``combine`` and ``first_tensor`` are copied verbatim into the
exported ``.py`` (see ``ensemble_export``), so they use torch alone.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

METHODS = ("soft", "weighted", "hard")


def first_tensor(out):
    """A graph with several Output nodes returns a dict: its first output is the scores."""
    if isinstance(out, dict):
        return next(iter(out.values()))
    return out


def combine(probs: torch.Tensor, weights: torch.Tensor, method: str) -> torch.Tensor:
    """Members' probabilities ``(M, N, C)`` → the ensemble's log-probabilities ``(N, C)``."""
    if method == "hard":
        votes = (probs == probs.amax(dim=2, keepdim=True)).to(probs.dtype).sum(dim=0)
        scores = votes + 0.5 * probs.mean(dim=0)  # the tie-break is worth half a vote at most
        return torch.log(scores / scores.sum(dim=1, keepdim=True))
    mixed = (weights.to(probs.dtype).view(-1, 1, 1) * probs).sum(dim=0)
    return torch.log(mixed.clamp_min(1e-12))


class Ensemble(nn.Module):
    """Trained members whose class probabilities are combined; returns log-probabilities."""

    def __init__(self, members: list, method: str, weights: torch.Tensor):
        super().__init__()
        self.members = nn.ModuleList(members)
        self.method = method
        self.register_buffer("weights", weights.detach().clone().float())

    def forward(self, x):
        probs = torch.stack([torch.softmax(first_tensor(m(x)), dim=1) for m in self.members])
        return combine(probs, self.weights, self.method)


def uniform(members: int) -> torch.Tensor:
    return torch.full((members,), 1.0 / members)


def fit_weights(probs: torch.Tensor, y: torch.Tensor, steps: int = 100, shrink: float = 0.05) -> torch.Tensor:
    """Simplex weights minimising the weighted mean's log loss on ``(probs, y)``.

    A softmax over free logits keeps the weights positive and summing to one;
    L-BFGS converges in a few dozen steps on this smooth, M-parameter problem,
    deterministically (no sampling). ``shrink`` pulls the logits towards 0
    (equal weights): a validation split of a few hundred samples otherwise
    hands all the weight to the member with the lowest log loss there.
    """
    logits = torch.zeros(probs.shape[0], dtype=torch.float64, requires_grad=True)
    probs = probs.double()
    optimizer = torch.optim.LBFGS([logits], lr=1.0, max_iter=steps, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = F.nll_loss(combine(probs, torch.softmax(logits, dim=0), "weighted"), y) \
            + shrink * logits.pow(2).mean()
        loss.backward()
        return loss

    with torch.enable_grad():
        optimizer.step(closure)
    return torch.softmax(logits.detach(), dim=0).float()


@torch.no_grad()
def member_probabilities(members: list[nn.Module], split, batch_size: int,
                         device: torch.device) -> torch.Tensor:
    """``(M, N, C)`` class probabilities of every member on a split, computed once."""
    batches = [split[i:i + batch_size][0].to(device) for i in range(0, len(split), batch_size)]
    return torch.stack([torch.cat([torch.softmax(first_tensor(member(x)).float(), dim=1).cpu()
                                   for x in batches]) for member in members])

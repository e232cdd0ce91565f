"""Unstructured magnitude pruning (``torch.nn.utils.prune``), made permanent, reported honestly.

Zeroed weights still take their place in a dense file and in a dense
matmul: the parameter count, FLOPs, file size and latency do not change.
What changes is the sparsity, reported per layer and overall, and the size
the weights would take in a sparse format (CSR with 32-bit indices), which
is measured by saving them so, separately from the dense file.
"""
from __future__ import annotations

import io
import warnings
from typing import Literal

import torch
from torch import nn
from torch.nn.utils import prune

PRUNABLE = (nn.modules.conv._ConvNd, nn.Linear)


def weights_of(model: nn.Module) -> list[tuple[str, nn.Module]]:
    return [(name, m) for name, m in model.named_modules() if isinstance(m, PRUNABLE)]


def sparsify(model: nn.Module, amount: float, scope: Literal["global", "layer"]) -> dict[str, float]:
    """Zero the ``amount`` smallest-magnitude weights (over all layers, or in each layer),
    make it permanent (no masks left), and return each layer's sparsity."""
    layers = weights_of(model)
    if scope == "global":
        prune.global_unstructured([(m, "weight") for _, m in layers],
                                  pruning_method=prune.L1Unstructured, amount=amount)
    else:
        for _, m in layers:
            prune.l1_unstructured(m, "weight", amount=amount)
    for _, m in layers:
        prune.remove(m, "weight")
    return {name: float((m.weight == 0).sum()) / m.weight.numel() for name, m in layers}


def sparsity(model: nn.Module) -> tuple[float, float]:
    """(zeros among the pruned layers' weights, zeros among all parameters)."""
    layers = weights_of(model)
    zeros = sum(int((m.weight == 0).sum()) for _, m in layers)
    total = sum(m.weight.numel() for _, m in layers)
    all_zeros = sum(int((p == 0).sum()) for p in model.parameters())
    all_total = sum(p.numel() for p in model.parameters())
    return zeros / max(total, 1), all_zeros / max(all_total, 1)


def sparse_bytes(state: dict[str, torch.Tensor], names: set[str]) -> int:
    """Bytes of ``state`` saved with the weights in ``names`` as CSR (int32 indices)."""
    out = {}
    for key, value in state.items():
        if key in names and value.ndim >= 2:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # "sparse CSR support is in beta"
                csr = value.reshape(value.shape[0], -1).to_sparse_csr()
            out[key] = (csr.crow_indices().to(torch.int32), csr.col_indices().to(torch.int32),
                        csr.values(), torch.tensor(value.shape))
        else:
            out[key] = value
    buffer = io.BytesIO()
    torch.save(out, buffer)
    return buffer.getbuffer().nbytes

"""Transfer learning: pretrained weights for a backbone node, checked; freeze, unfreeze, LR multiplier.

``check_weights`` reads an uploaded file with ``weights_only=True`` (a pickle
of arbitrary objects is refused by torch itself) and matches its keys and
shapes against the backbone as this node builds it, naming the first key that
is missing, unexpected or of another shape.

Fine-tuning (``split_parameters``, ``Freezer``): a backbone node's pretrained
weights form their own optimizer group whose learning rate is the base rate
times a multiplier (discriminative fine-tuning); its new head (when the node
replaces torchvision's) trains at the base rate with the rest of the graph.
Frozen, the backbone gets no gradient and its BatchNorm statistics stay as
they were (it runs in eval mode), so not one of its tensors changes until the
unfreeze epoch.
"""
from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..registry.ops.backbones import BACKBONES, _set_head, constructor


class WeightsError(ValueError):
    """A weights file that does not fit, named by its node and the ``weights_file`` param
    (bad input like ``JobError``: the runner and the service read its ``errors``)."""

    def __init__(self, message: str, node: str | None = None):
        self.errors = [{"node": node, "port": None, "field": "weights_file", "message": message}]
        super().__init__(message)


def _reference(op: str, params: dict[str, Any]) -> tuple[dict[str, torch.Size], dict[str, torch.Size]]:
    """Key → shape of torchvision's model and of this node's own (head replaced), on the meta device."""
    _, _, feat, head_path = BACKBONES[op]
    with torch.device("meta"):
        model = constructor(op)(weights=None)
        full = {k: v.shape for k, v in model.state_dict().items()}
        head = params.get("head", "classifier")
        if head == "features":
            _set_head(model, head_path, nn.Identity())
        elif params.get("num_classes", 1000) != 1000:
            _set_head(model, head_path, nn.Linear(feat, params["num_classes"]))
        own = {k: v.shape for k, v in model.state_dict().items()}
    return full, own


def _first_mismatch(state: dict, want: dict[str, torch.Size]) -> str | None:
    for key, shape in want.items():
        if key not in state:
            return f"key {key!r} is missing"
        if tuple(state[key].shape) != tuple(shape):
            return f"{key!r} has shape {list(state[key].shape)} but the backbone's is {list(shape)}"
    extra = next((k for k in state if k not in want), None)
    return f"key {extra!r} is not in the backbone" if extra else None


def check_weights(path: str | Path, op: str, params: dict[str, Any] | None = None,
                  node: str | None = None) -> dict[str, Any]:
    """``{keys, tensors, parameters, fits}`` of a state dict that fits backbone ``op``; else ``WeightsError``."""
    if op not in BACKBONES:
        raise WeightsError(f"{op!r} is not a backbone; backbones: {', '.join(BACKBONES)}", node)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, OSError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        raise WeightsError(f"the file is not a plain state dict of tensors (read with weights_only=True): "
                           f"{first}", node) from None
    if not isinstance(state, dict) or not all(isinstance(k, str) and isinstance(v, torch.Tensor)
                                              for k, v in state.items()):
        raise WeightsError("the file must hold a state dict: parameter names mapped to tensors", node)
    full, own = _reference(op, params or {})
    problems = [_first_mismatch(state, want) for want in (full, own)]
    if all(problems):
        raise WeightsError(f"the weights do not fit {op}: {problems[0]}", node)
    return {"keys": len(state), "parameters": int(sum(v.numel() for v in state.values())),
            "fits": "torchvision" if problems[0] is None else "this node"}


def backbone_nodes(doc: dict) -> list[dict]:
    return [n for n in doc.get("nodes", []) if isinstance(n, dict) and n.get("op") in BACKBONES]


def split_parameters(model: nn.Module, doc: dict) -> tuple[list[nn.Parameter], list[nn.Parameter], list[nn.Module]]:
    """``(backbone, rest, backbone modules)``: pretrained weights of every backbone node, and the others."""
    backbone, modules = [], []
    for node in backbone_nodes(doc):
        module = model.get_submodule(node["id"])
        head_path = BACKBONES[node["op"]][3]
        head = getattr(module, head_path[0]) if len(head_path) == 1 else getattr(module, head_path[0])[head_path[1]]
        params = node.get("params") or {}
        replaced = params.get("head") == "features" or params.get("num_classes", 1000) != 1000
        skip = {id(p) for p in head.parameters()} if replaced else set()
        backbone += [p for p in module.parameters() if id(p) not in skip]
        modules.append(module)
    chosen = {id(p) for p in backbone}
    return backbone, [p for p in model.parameters() if id(p) not in chosen], modules


class Freezer:
    """Keeps the backbone frozen (no gradient, BatchNorm in eval mode) until ``unfreeze()``."""

    def __init__(self, params: list[nn.Parameter], modules: list[nn.Module]):
        self.params, self.modules, self.frozen = params, modules, False
        self.hooks = [m.register_forward_pre_hook(self._hold) for m in modules]

    def _hold(self, module: nn.Module, args) -> None:
        if self.frozen and module.training:
            module.eval()

    def freeze(self) -> None:
        self.frozen = True
        for p in self.params:
            p.requires_grad_(False)

    def unfreeze(self) -> None:
        self.frozen = False
        for p in self.params:
            p.requires_grad_(True)
        for module in self.modules:
            module.train()

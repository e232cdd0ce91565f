"""torchvision backbones as single nodes, for transfer learning offline.

``weights_file`` is a local state_dict (loaded with ``weights_only=True``);
nothing is ever downloaded. Parameter counts are constants taken from
torchvision so that the budget check never builds a model. torchvision.models
(and the torch._dynamo it pulls in, about 4 s on a slow machine) is imported
when a backbone is built, not when the registry loads.
"""
from __future__ import annotations

import importlib
import os
import warnings

import torch
from torch import nn

from ..core import OpSpec, register
from ..params import Bool, Choice, Int, Path
from ..shapes import ShapeError

# op name: (torchvision.models factory, parameters without the final Linear, its in_features, head path)
BACKBONES: dict[str, tuple[str, int, int, tuple[str] | tuple[str, int]]] = {
    "ResNet18": ("resnet18", 11_176_512, 512, ("fc",)),
    "ResNet34": ("resnet34", 21_284_672, 512, ("fc",)),
    "ResNet50": ("resnet50", 23_508_032, 2048, ("fc",)),
    "MobileNetV3Small": ("mobilenet_v3_small", 1_517_856, 1024, ("classifier", 3)),
    "EfficientNetB0": ("efficientnet_b0", 4_007_548, 1280, ("classifier", 1)),
}
PARAMS = (Int("num_classes", 1000, "Outputs of the new classification head", min=1,
              max=1 << 20),
          Choice("head", "classifier", ["classifier", "features"],
                 "'features' drops the last Linear and returns pooled features"),
          Path("weights_file", "Local state_dict file to start from (optional)"),
          Bool("freeze", False, "Freeze the pretrained weights (only the head trains)"))


def _shape(name: str):
    def rule(p, shapes):
        if shapes[0][1] != 3:
            raise ShapeError(f"needs 3 input channels (RGB), got {shapes[0][1]}")
        if p["weights_file"]:
            _check_weights(name, p)
        feat = BACKBONES[name][2]
        return (shapes[0][0], feat if p["head"] == "features" else p["num_classes"])
    return rule


def _count(name: str):
    def count(p, shapes):
        _, body, feat, _ = BACKBONES[name]
        return body + (0 if p["head"] == "features" else feat * p["num_classes"] +
                       p["num_classes"])
    return count


def _set_head(model: nn.Module, path: tuple, layer: nn.Module) -> None:
    if len(path) == 1:
        setattr(model, path[0], layer)
    else:
        getattr(model, path[0])[path[1]] = layer


def _read(path: str):
    """The state_dict in ``path`` (memory-mapped where the format allows); ValueError
    when the file is missing or is not a PyTorch checkpoint."""
    if not os.path.isfile(path):
        raise ValueError(f"cannot find weights_file {path!r} on this machine")
    for mmap in (True, False):  # the old (non-zip) format cannot be memory-mapped
        try:
            return torch.load(path, map_location="cpu", weights_only=True, mmap=mmap)
        except Exception as exc:  # a corrupt file raises almost anything
            why = f"{type(exc).__name__}: {(str(exc).strip().splitlines() or [''])[0][:120]}"
    raise ValueError(f"weights_file {path!r} is not a PyTorch checkpoint ({why})")


def _check_weights(name: str, p: dict) -> None:
    """What building with weights_file would do, on the meta device (no memory, no copy)."""
    try:
        state = _read(p["weights_file"])
        with torch.device("meta"), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "copying into a meta parameter is a no-op"
            _model(name, p, state)
    except ValueError as exc:
        raise ShapeError(str(exc)) from None


def _build(name: str):
    def build(p, shapes):
        return _model(name, p, _read(p["weights_file"]) if p["weights_file"] else None)
    return build


def constructor(name: str):
    """torchvision's constructor of backbone ``name``, imported on first use (a constant of
    this table, never user input)."""
    return getattr(importlib.import_module("torchvision.models"), BACKBONES[name][0])


def _model(name: str, p: dict, state) -> nn.Module:
    _, _, feat, head_path = BACKBONES[name]
    model = constructor(name)(weights=None)
    if state is not None:
        # ImageNet weights fit the 1000-class model; a file saved from this node's
        # own configuration fits after the head is replaced, so try both.
        if _try_load(model, state):
            state = None
    if p["freeze"]:
        for weight in model.parameters():
            weight.requires_grad_(False)
    if p["head"] == "features":
        _set_head(model, head_path, nn.Identity())
    elif p["num_classes"] != 1000:
        _set_head(model, head_path, nn.Linear(feat, p["num_classes"]))
    if state is not None and not _try_load(model, state):
        raise ValueError(f"weights_file {p['weights_file']!r} does not match {name}")
    return model


def _try_load(model: nn.Module, state) -> bool:
    try:
        model.load_state_dict(state)
    except Exception:  # a checkpoint of something else: not a dict, wrong keys or shapes
        return False
    return True


for _name in BACKBONES:
    register(OpSpec(name=_name, category="Backbone",
                    help=f"torchvision {BACKBONES[_name][0]} as one node",
                    params=PARAMS, build=_build(_name), shape=_shape(_name),
                    count=_count(_name), rank=(4,), layout="(N, 3, H, W)",
                    flops=lambda p, s, o: 0))

"""Can this configuration train this model on this data here? Asked before the first step.

Each refusal is a ConfigError naming the field, so the person fixes the launch
instead of reading a traceback from the middle of a run.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..data import DatasetBundle
from .config import ConfigError, TrainConfig
from .loaders import to_device

MONITORED = {"classification": {"loss", "accuracy", "precision", "recall", "f1"},
             "other": {"loss", "mae", "rmse", "r2"}}


def first_output(out: Any) -> torch.Tensor:
    # A graph with several Output nodes returns a dict in node order; train on the first.
    if isinstance(out, dict):
        return next(iter(out.values()))
    return out[0] if isinstance(out, tuple | list) else out


def _refuse(*problems: tuple[str, str]) -> ConfigError:
    """The error naming each (field, message)."""
    return ConfigError([{"node": None, "port": None, "field": f, "message": m} for f, m in problems])


def check_compatible(cfg: TrainConfig, device: torch.device, world_size: int, data: DatasetBundle,
                     task: str) -> None:
    """The settings against the device, the processes and the dataset, every problem at once."""
    errors = []
    if cfg.precision == "fp16" and device.type != "cuda":
        errors.append(("precision", "fp16 needs a GPU and this job runs on the CPU: use bf16 or fp32"))
    if cfg.batch_size % world_size:
        errors.append(("batch_size", f"{cfg.batch_size} does not split evenly over {world_size} processes"))
    if task in ("classification", "regression") and data.task != task:
        errors.append(("task", f"dataset {data.name!r} is for {data.task}, not {task}: "
                               "pick another task or dataset"))
    allowed = MONITORED["classification" if task == "classification" else "other"]
    if cfg.monitor.split("/", 1)[1] not in allowed:
        errors.append(("monitor", f"{cfg.monitor} is not measured for {task}; use one of "
                                  + ", ".join(f"val/{m}" for m in sorted(allowed))))
    if errors:
        raise _refuse(*errors)


@torch.no_grad()
def check_output(module: nn.Module, data: DatasetBundle, task: str, device: torch.device) -> None:
    """One forward pass in eval mode (no RNG, no BatchNorm update) to check shapes."""
    x, y = to_device(data.train[[0, min(1, len(data.train) - 1)]], device)
    was_training = module.training
    module.eval()
    out = first_output(module(x))
    module.train(was_training)
    n = data.num_classes
    if task == "classification":
        if out.ndim != 2 or out.shape[1] != n:
            raise _refuse(("graph", f"the model gives {list(out.shape[1:])} per sample but "
                                    f"{data.name!r} has {n} classes: end with {n} outputs"))
        return
    want = x if task == "reconstruction" else y
    if out.numel() != want.numel():
        raise _refuse(("graph", f"the model gives {list(out.shape[1:])} per sample but the "
                                f"{task} target is {list(want.shape[1:])}"))

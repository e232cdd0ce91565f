"""What every dataset is: three in-memory splits plus a description of itself.

Datasets here are small enough to hold as tensors (built-ins, uploads under a
size limit, MNIST/CIFAR as uint8). Holding tensors lets a whole batch be
fetched with one indexing operation instead of stacking samples one by one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset


class DatasetError(ValueError):
    """A dataset a person must fix; ``field`` names the spec field or upload column."""

    def __init__(self, message: str, field: str | None = None):
        self.field = field
        super().__init__(message)

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [{"node": None, "port": None, "field": self.field, "message": str(self)}]


class TensorSplit(Dataset):
    """Samples ``x[i], y[i]``; indexing with a list of indices returns a whole batch.

    ``scale`` turns stored uint8 images into floats in [0, 1] at fetch time
    (four times less memory than storing floats).
    """

    def __init__(self, x: torch.Tensor, y: torch.Tensor, scale: float | None = None):
        if len(x) != len(y):
            raise DatasetError(f"x has {len(x)} samples but y has {len(y)}")
        self.x, self.y, self.scale = x, y, scale

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, index):
        x = self.x[index]
        if self.scale is not None:
            x = x.to(torch.float32).mul_(self.scale)
        return x, self.y[index]


@dataclass
class DatasetBundle:
    """The splits of one dataset and its self-description."""

    name: str
    kind: str
    task: str  # "classification" or "regression"
    train: TensorSplit
    val: TensorSplit
    test: TensorSplit
    num_classes: int | None = None
    classes: list[str] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def input_shape(self) -> list[int]:
        return list(self.train.x.shape[1:])

    @property
    def target_shape(self) -> list[int]:
        return list(self.train.y.shape[1:])

    def describe(self) -> dict[str, Any]:
        info = {
            "name": self.name, "kind": self.kind, "task": self.task,
            "input_shape": self.input_shape, "target_shape": self.target_shape,
            "num_classes": self.num_classes, "classes": self.classes,
            "sizes": {"train": len(self.train), "val": len(self.val), "test": len(self.test)},
        }
        info.update(self.extra)
        return info


def int_option(options: dict[str, Any], name: str, default: int, lo: int, hi: int) -> int:
    """An integer option in [lo, hi], or a DatasetError naming it."""
    value = options.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise DatasetError(f"{name} must be an integer in [{lo}, {hi}], got {value!r}",
                           field=f"options.{name}")
    return value


def float_option(options: dict[str, Any], name: str, default: float, lo: float, hi: float) -> float:
    """A number option in [lo, hi], or a DatasetError naming it."""
    value = options.get(name, default)
    if not isinstance(value, int | float) or isinstance(value, bool) or not lo <= value <= hi:
        raise DatasetError(f"{name} must be a number in [{lo}, {hi}], got {value!r}",
                           field=f"options.{name}")
    return float(value)


def split_indices(n: int, val_fraction: float, test_fraction: float, seed: int,
                  labels: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seeded train/val/test indices; stratified by class when ``labels`` are given."""
    for name, frac in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
        if not 0 <= frac < 1:
            raise DatasetError(f"{name} must be in [0, 1), got {frac}", field=f"options.{name}")
    if val_fraction + test_fraction >= 1:
        raise DatasetError("val_fraction + test_fraction must leave samples to train on",
                           field="options.val_fraction")
    rng = np.random.default_rng(seed)
    groups = [np.flatnonzero(labels == c) for c in np.unique(labels)] if labels is not None \
        else [np.arange(n)]
    parts: list[list[np.ndarray]] = [[], [], []]
    for idx in groups:
        idx = rng.permutation(idx)
        n_val, n_test = round(len(idx) * val_fraction), round(len(idx) * test_fraction)
        parts[1].append(idx[:n_val])
        parts[2].append(idx[n_val:n_val + n_test])
        parts[0].append(idx[n_val + n_test:])
    train, val, test = (np.sort(np.concatenate(p)) for p in parts)
    if len(train) == 0:
        raise DatasetError(f"only {n} samples: nothing left to train on", field="options")
    return train, val, test


def bundle_from_arrays(name: str, kind: str, task: str, x: np.ndarray, y: np.ndarray,
                       options: dict[str, Any], num_classes: int | None = None,
                       classes: list[str] | None = None, scale: float | None = None,
                       **extra: Any) -> DatasetBundle:
    """Split arrays with the spec's seed/fractions and wrap them as tensors."""
    if len(x) == 0:
        raise DatasetError("the dataset has no samples", field="path")
    val_f = float_option(options, "val_fraction", 0.1, 0, 1)
    test_f = float_option(options, "test_fraction", 0.2, 0, 1)
    seed = int_option(options, "split_seed", 0, 0, 2**32 - 1)
    stratify = y if task == "classification" else None
    parts = split_indices(len(x), val_f, test_f, seed, stratify)
    tx = torch.from_numpy(np.ascontiguousarray(x))
    ty = torch.from_numpy(np.ascontiguousarray(y))
    train, val, test = (TensorSplit(tx[torch.from_numpy(p)], ty[torch.from_numpy(p)], scale) for p in parts)
    return DatasetBundle(name, kind, task, train, val, test, num_classes=num_classes,
                         classes=classes, extra=extra)

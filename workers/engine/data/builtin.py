"""Built-in datasets: real digits shipped with scikit-learn and synthetic sets.

Synthetic sets are drawn from ``options.seed`` so a run is reproducible; sizes
are options so tests and demos can stay tiny. They are drawn with NumPy, and
the digits are read from scikit-learn's data file without importing
scikit-learn: every training child starts a few seconds sooner.
"""
from __future__ import annotations

import gzip
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np

from .base import DatasetBundle, DatasetError, bundle_from_arrays, float_option, int_option
from .registry import register_dataset


@register_dataset("digits", task="classification", source="builtin",
                  help="scikit-learn's handwritten digits: 1,797 images of 8x8, 10 classes")
def load_digits(path: str | None, options: dict[str, Any]) -> DatasetBundle:
    spec = find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise DatasetError("the digits ship with scikit-learn, which is not installed")
    csv = Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "digits.csv.gz"
    with gzip.open(csv, "rt") as fh:
        table = np.loadtxt(fh, delimiter=",", dtype=np.float32)
    # Pixel values are 0..16 in this set; scale to [0, 1] like MNIST's ToTensor.
    x = (table[:, :64] / 16.0).reshape(-1, 1, 8, 8)
    y = table[:, 64].astype(np.int64)
    return bundle_from_arrays("digits", "digits", "classification", x, y, options,
                              num_classes=10, classes=[str(c) for c in range(10)])


def _synthetic(kind: str, x: np.ndarray, y: np.ndarray, options: dict[str, Any],
               num_classes: int) -> DatasetBundle:
    return bundle_from_arrays(kind, kind, "classification", x.astype(np.float32),
                              y.astype(np.int64), options, num_classes=num_classes,
                              classes=[str(c) for c in range(num_classes)])


@register_dataset("blobs", task="classification", source="builtin",
                  help="Gaussian blobs: options n_samples, n_features, classes, std, seed")
def load_blobs(path: str | None, options: dict[str, Any]) -> DatasetBundle:
    classes = int_option(options, "classes", 3, 2, 100)
    n = int_option(options, "n_samples", 1000, 10, 10**6)
    d = int_option(options, "n_features", 2, 1, 1000)
    std = float_option(options, "std", 1.0, 0.01, 100)
    rng = np.random.default_rng(int_option(options, "seed", 0, 0, 2**31 - 1))
    centers = rng.uniform(-10, 10, (classes, d))  # scikit-learn's make_blobs box
    y = np.arange(n) % classes
    x = centers[y] + rng.normal(0, std, (n, d))
    return _synthetic("blobs", x, y, options, classes)


@register_dataset("moons", task="classification", source="builtin",
                  help="Two interleaving half circles: options n_samples, noise, seed")
def load_moons(path: str | None, options: dict[str, Any]) -> DatasetBundle:
    n = int_option(options, "n_samples", 1000, 10, 10**6)
    rng = np.random.default_rng(int_option(options, "seed", 0, 0, 2**31 - 1))
    y = np.arange(n) % 2
    angle = rng.uniform(0, np.pi, n)
    # Upper moon centred at 0, lower moon shifted right and down (make_moons' shape).
    x = np.stack([np.cos(angle) + y, np.sin(angle) * (1 - 2 * y) - 0.5 * y], axis=1)
    x += rng.normal(0, float_option(options, "noise", 0.1, 0, 10), x.shape)
    return _synthetic("moons", x, y, options, 2)


@register_dataset("spirals", task="classification", source="builtin",
                  help="Interleaved spirals (one arm per class): options n_samples, classes, noise, seed")
def load_spirals(path: str | None, options: dict[str, Any]) -> DatasetBundle:
    n = int_option(options, "n_samples", 1000, 10, 10**6)
    classes = int_option(options, "classes", 2, 2, 20)
    noise = float_option(options, "noise", 0.2, 0, 10)
    rng = np.random.default_rng(int_option(options, "seed", 0, 0, 2**31 - 1))
    y = np.arange(n) % classes
    radius = rng.uniform(0.05, 1.0, n)
    angle = radius * 3 * np.pi + y * (2 * np.pi / classes) + rng.normal(0, noise, n)
    x = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    return _synthetic("spirals", x, y, options, classes)


@register_dataset("regression", task="regression", source="builtin",
                  help="Noisy non-linear regression: options n_samples, n_features, noise, seed")
def load_regression(path: str | None, options: dict[str, Any]) -> DatasetBundle:
    n = int_option(options, "n_samples", 1000, 10, 10**6)
    d = int_option(options, "n_features", 4, 1, 1000)
    noise = float_option(options, "noise", 0.05, 0, 10)
    rng = np.random.default_rng(int_option(options, "seed", 0, 0, 2**31 - 1))
    x = rng.uniform(-1, 1, (n, d))
    w = rng.normal(0, 1, d)
    target = np.sin(2 * x @ w / np.sqrt(d)) + 0.5 * x[:, 0] ** 2 + rng.normal(0, noise, n)
    return bundle_from_arrays("regression", "regression", "regression", x.astype(np.float32),
                              target.astype(np.float32)[:, None], options)

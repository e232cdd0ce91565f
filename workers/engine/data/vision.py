"""MNIST, FashionMNIST and CIFAR-10 read from a local folder, never downloaded.

Files are looked up under ``$NETWEAVE_DATA_DIR`` (default ``var/data``) in
torchvision's layout. CIFAR-10 is read from its *binary* release: the Python
release is pickled, and nothing here unpickles files.
"""
from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .base import DatasetBundle, DatasetError, TensorSplit, split_indices
from .registry import register_dataset

IDX_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
CIFAR_FILES = tuple(f"data_batch_{i}.bin" for i in range(1, 6)) + ("test_batch.bin",)
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
CIFAR_CLASSES = ["airplane", "automobile", "bird", "cat", "deer",
                 "dog", "frog", "horse", "ship", "truck"]


def data_dir() -> Path:
    return Path(os.environ.get("NETWEAVE_DATA_DIR", "var/data")).resolve()


def _missing(name: str, folder: Path, files: tuple[str, ...], gz: bool = True) -> DatasetError:
    return DatasetError(
        f"{name} files not found: put {', '.join(files)}{' (optionally .gz)' if gz else ''} in {folder} "
        f"(the folder comes from NETWEAVE_DATA_DIR; this machine does not download data)",
        field="dataset.kind")


def _find(folder: Path, name: str) -> Path | None:
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def read_idx(path: Path, ndim: int) -> np.ndarray:
    """Parse an IDX file of unsigned bytes (MNIST's format) with ``ndim`` dimensions."""
    raw = gzip.open(path, "rb").read() if path.suffix == ".gz" else path.read_bytes()
    header = 4 + 4 * ndim
    if len(raw) < header or raw[:3] != b"\x00\x00\x08" or raw[3] != ndim:
        raise DatasetError(f"{path} is not an IDX file of unsigned bytes with {ndim} dimensions")
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    if len(raw) - header != int(np.prod(dims)):
        raise DatasetError(f"{path} is truncated: its header promises {dims}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def _splits(kind: str, train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray,
            test_y: np.ndarray, options: dict[str, Any], classes: list[str]) -> DatasetBundle:
    """Validation comes out of the official training set; the test set stays as shipped."""
    tr, va, _ = split_indices(len(train_x), float(options.get("val_fraction", 0.1)), 0.0,
                              int(options.get("split_seed", 0)), train_y)
    tx, ty = torch.from_numpy(train_x.copy()), torch.from_numpy(train_y.astype(np.int64))
    train, val = (TensorSplit(tx[torch.from_numpy(i)], ty[torch.from_numpy(i)], 1 / 255) for i in (tr, va))
    test = TensorSplit(torch.from_numpy(test_x.copy()), torch.from_numpy(test_y.astype(np.int64)), 1 / 255)
    return DatasetBundle(kind, kind, "classification", train, val, test, num_classes=10, classes=classes)


def _idx_paths(root: Path) -> list[Path] | None:
    """The four IDX files, in root/raw or root (gzipped or not); None while one is missing."""
    for folder in (root / "raw", root):
        found = [path for name in IDX_FILES if (path := _find(folder, name)) is not None]
        if len(found) == len(IDX_FILES):
            return found
    return None


def _load_idx_set(kind: str, folder_name: str, options: dict[str, Any],
                  classes: list[str]) -> DatasetBundle:
    root = data_dir() / folder_name
    paths = _idx_paths(root)
    if paths is None:
        raise _missing(kind, root / "raw", IDX_FILES)
    arrays = [read_idx(path, 3 if "images" in name else 1) for path, name in zip(paths, IDX_FILES)]
    train_x, train_y, test_x, test_y = arrays
    return _splits(kind, train_x[:, None], train_y, test_x[:, None], test_y, options, classes)


@register_dataset("mnist", task="classification", source="local",
                  help="MNIST 28x28 digits from $NETWEAVE_DATA_DIR/MNIST/raw")
def load_mnist(path: str | None, options: dict[str, Any]) -> DatasetBundle:
    return _load_idx_set("mnist", "MNIST", options, [str(c) for c in range(10)])


@register_dataset("fashion_mnist", task="classification", source="local",
                  help="FashionMNIST 28x28 clothes from $NETWEAVE_DATA_DIR/FashionMNIST/raw")
def load_fashion_mnist(path: str | None, options: dict[str, Any]) -> DatasetBundle:
    return _load_idx_set("fashion_mnist", "FashionMNIST", options, FASHION_CLASSES)


def _read_cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    raw = np.frombuffer(path.read_bytes(), dtype=np.uint8)
    if raw.size % 3073:
        raise DatasetError(f"{path} is not a CIFAR-10 binary batch (records of 3,073 bytes)")
    records = raw.reshape(-1, 3073)
    return records[:, 1:].reshape(-1, 3, 32, 32), records[:, 0]


@register_dataset("cifar10", task="classification", source="local",
                  help="CIFAR-10 32x32 colour images from $NETWEAVE_DATA_DIR/cifar-10-batches-bin")
def load_cifar10(path: str | None, options: dict[str, Any]) -> DatasetBundle:
    folder = data_dir() / "cifar-10-batches-bin"
    if not all((folder / name).is_file() for name in CIFAR_FILES):
        raise _missing("cifar10 (binary version)", folder, CIFAR_FILES, gz=False)
    parts = [_read_cifar_batch(folder / name) for name in CIFAR_FILES]
    train_x = np.concatenate([p[0] for p in parts[:-1]])
    train_y = np.concatenate([p[1] for p in parts[:-1]])
    return _splits("cifar10", train_x, train_y, *parts[-1], options, CIFAR_CLASSES)

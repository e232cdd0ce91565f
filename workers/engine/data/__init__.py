"""Datasets: a registry of built-in, local and uploaded kinds, split with a seed.

``load_dataset(spec)`` returns a ``DatasetBundle`` (train/val/test tensors and
a description); ``describe_dataset(spec)`` and ``inspect_upload(path, kind,
options)`` are what the service calls to show and check datasets.
"""
from . import builtin, sequences, uploads, vision  # noqa: F401  (register the kinds)
from .base import DatasetBundle, DatasetError, TensorSplit, split_indices
from .registry import (describe_dataset, inspect_upload, list_datasets, load_dataset,
                       register_dataset)

__all__ = ["DatasetBundle", "DatasetError", "TensorSplit", "describe_dataset", "inspect_upload",
           "list_datasets", "load_dataset", "register_dataset", "split_indices"]

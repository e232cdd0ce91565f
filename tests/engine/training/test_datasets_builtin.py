"""Built-in and local datasets: shapes, seeded splits, clear errors."""
from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest
import torch

from workers.engine.data import DatasetError, describe_dataset, list_datasets, load_dataset


@pytest.mark.parametrize("kind, shape, classes", [
    ("digits", [1, 8, 8], 10), ("blobs", [2], 3), ("moons", [2], 2), ("spirals", [2], 2),
])
def test_classification_builtins_have_their_shapes(kind, shape, classes):
    info = describe_dataset({"kind": kind, "options": {"n_samples": 200} if kind != "digits" else {}})
    assert info["input_shape"] == shape
    assert info["num_classes"] == classes
    assert info["task"] == "classification"
    assert sum(info["sizes"].values()) == (1797 if kind == "digits" else 200)


def test_digits_are_scaled_to_unit_range_and_split_disjointly():
    data = load_dataset({"kind": "digits"})
    assert data.train.x.dtype == torch.float32
    assert 0 <= float(data.train.x.min()) and float(data.train.x.max()) <= 1
    rows = [set(map(bytes, (s.x.numpy() * 16).round().reshape(len(s), -1).astype(np.uint8)))
            for s in (data.train, data.test)]
    assert len(data.train) + len(data.val) + len(data.test) == 1797
    # Some digits are exact duplicates in the data set; almost none are shared.
    assert len(rows[0] & rows[1]) < 10


def test_regression_set_has_two_dimensional_targets():
    data = load_dataset({"kind": "regression", "options": {"n_samples": 100, "n_features": 3}})
    assert data.task == "regression"
    assert data.input_shape == [3] and data.target_shape == [1]
    assert data.num_classes is None


def test_splits_follow_the_split_seed():
    a = load_dataset({"kind": "moons", "options": {"n_samples": 100, "split_seed": 1}})
    b = load_dataset({"kind": "moons", "options": {"n_samples": 100, "split_seed": 1}})
    c = load_dataset({"kind": "moons", "options": {"n_samples": 100, "split_seed": 2}})
    assert torch.equal(a.val.x, b.val.x)
    assert not torch.equal(a.val.x, c.val.x)


def test_split_is_stratified_by_class():
    data = load_dataset({"kind": "digits", "options": {"val_fraction": 0.2, "test_fraction": 0.2}})
    counts = torch.bincount(data.val.y, minlength=10)
    assert int(counts.min()) >= 34 and int(counts.max()) <= 38


@pytest.mark.parametrize("spec, field", [
    ({"kind": "nope"}, "dataset.kind"),
    ({"kind": "blobs", "options": {"n_samples": "many"}}, "options.n_samples"),
    ({"kind": "digits", "options": {"val_fraction": 0.6, "test_fraction": 0.5}}, "options.val_fraction"),
    ({"kind": "csv"}, "dataset.path"),
])
def test_bad_specs_name_the_field(spec, field):
    with pytest.raises(DatasetError) as err:
        load_dataset(spec)
    assert err.value.field == field


def test_registry_lists_every_kind_with_its_source():
    kinds = {d["kind"]: d["source"] for d in list_datasets()}
    assert kinds["digits"] == "builtin" and kinds["mnist"] == "local" and kinds["npz"] == "upload"
    assert {"cifar10", "fashion_mnist", "csv", "image_zip", "regression"} <= kinds.keys()


def _idx(path, array, gz=False):
    header = bytes([0, 0, 8, array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape)
    data = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(data) if gz else data)


def test_mnist_reads_local_idx_files(tmp_path, monkeypatch):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    _idx(raw / "train-images-idx3-ubyte.gz", rng.integers(0, 256, (50, 28, 28)), gz=True)
    _idx(raw / "train-labels-idx1-ubyte", np.arange(50) % 10)
    _idx(raw / "t10k-images-idx3-ubyte", rng.integers(0, 256, (20, 28, 28)))
    _idx(raw / "t10k-labels-idx1-ubyte", np.arange(20) % 10)
    monkeypatch.setenv("NETWEAVE_DATA_DIR", str(tmp_path))
    data = load_dataset({"kind": "mnist", "options": {"val_fraction": 0.2}})
    assert data.input_shape == [1, 28, 28]
    assert (len(data.train), len(data.val), len(data.test)) == (40, 10, 20)
    x, y = data.train[[0, 1]]
    assert x.dtype == torch.float32 and float(x.max()) <= 1 and y.tolist() == y.tolist()


def test_missing_local_files_say_where_to_put_them(tmp_path, monkeypatch):
    monkeypatch.setenv("NETWEAVE_DATA_DIR", str(tmp_path))
    with pytest.raises(DatasetError, match=str(tmp_path / "FashionMNIST" / "raw")):
        load_dataset({"kind": "fashion_mnist"})
    with pytest.raises(DatasetError, match="cifar-10-batches-bin"):
        load_dataset({"kind": "cifar10"})


def test_cifar10_reads_the_binary_release(tmp_path, monkeypatch):
    folder = tmp_path / "cifar-10-batches-bin"
    folder.mkdir()
    for name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
        records = np.zeros((4, 3073), np.uint8)
        records[:, 0] = [0, 1, 2, 3]
        records[:, 1:] = 200
        (folder / name).write_bytes(records.tobytes())
    monkeypatch.setenv("NETWEAVE_DATA_DIR", str(tmp_path))
    data = load_dataset({"kind": "cifar10", "options": {"val_fraction": 0.0}})
    assert data.input_shape == [3, 32, 32] and len(data.train) == 20 and len(data.test) == 4
    assert data.classes[0] == "airplane"

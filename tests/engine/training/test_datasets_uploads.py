"""Uploaded datasets: CSV, zips of image folders and NPZ, including hostile files."""
from __future__ import annotations

import io
import stat
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

from workers.engine.data import DatasetError, inspect_upload, load_dataset
from workers.engine.data import uploads


def _png(color, size=(6, 5), mode="RGB"):
    buf = io.BytesIO()
    Image.new(mode, size, color).save(buf, format="PNG")
    return buf.getvalue()


def _zip(path, entries):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            if isinstance(data, zipfile.ZipInfo):
                zf.writestr(data, b"target")
            else:
                zf.writestr(name, data)
    return str(path)


def test_csv_loads_with_target_column_and_normalised_features(tmp_path):
    rows = ["a,b,label"] + [f"{i},{i * 10 + 5},{'cat' if i % 2 else 'dog'}" for i in range(40)]
    path = tmp_path / "t.csv"
    path.write_text("\n".join(rows) + "\n")
    info = inspect_upload(str(path), "csv", {"target": "label"})
    assert info["input_shape"] == [2] and info["num_classes"] == 2
    assert info["classes"] == ["cat", "dog"] and info["features"] == ["a", "b"]
    data = load_dataset({"kind": "csv", "path": str(path), "options": {"target": "label"}})
    assert abs(float(data.train.x.mean())) < 1e-5
    assert torch.allclose(data.train.x.std(dim=0), torch.ones(2), atol=1e-4)


def test_csv_regression_when_the_target_has_fractions(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("x,y\n" + "\n".join(f"{i},{i * 0.5}" for i in range(20)))
    info = inspect_upload(str(path), "csv")
    assert info["task"] == "regression" and info["target_shape"] == [1]


def test_csv_refuses_a_non_numeric_feature_with_column_and_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("height,colour,label\n1.5,2,0\n1.7,blue,1\n")
    with pytest.raises(DatasetError, match=r"column 'colour' is not numeric: 'blue' on line 3") as err:
        inspect_upload(str(path), "csv")
    assert err.value.field == "colour"


def test_csv_refuses_an_unknown_target(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(DatasetError, match="target column 'c'") as err:
        inspect_upload(str(path), "csv", {"target": "c"})
    assert err.value.field == "options.target"


def test_image_zip_loads_classes_from_sub_folders(tmp_path):
    entries = {f"pets/{c}/{i}.png": _png(color) for c, color in (("cat", "red"), ("dog", "blue"))
               for i in range(5)}
    entries["pets/.DS_Store"] = b"junk"
    data = load_dataset({"kind": "image_zip", "path": _zip(tmp_path / "a.zip", entries),
                         "options": {"size": [8, 8], "val_fraction": 0.2, "test_fraction": 0.2}})
    assert data.input_shape == [3, 8, 8] and data.classes == ["cat", "dog"]
    x, y = data.train[list(range(len(data.train)))]
    red = x[y == 0]
    assert torch.allclose(red[:, 0], torch.ones_like(red[:, 0])) and float(red[:, 2].max()) == 0


def test_image_zip_of_grey_images_has_one_channel(tmp_path):
    entries = {f"{c}/{i}.png": _png(i * 20, mode="L") for c in "ab" for i in range(3)}
    info = inspect_upload(_zip(tmp_path / "g.zip", entries), "image_zip", {"size": [4, 4]})
    assert info["input_shape"] == [1, 4, 4]


@pytest.mark.parametrize("name, message", [
    ("../evil/1.png", "escape the folder"),
    ("cls/../../1.png", "escape the folder"),
    ("/etc/cls/1.png", "absolute"),
    ("cls\\..\\1.png", "absolute or Windows"),
])
def test_image_zip_refuses_entries_escaping_the_folder(tmp_path, name, message):
    entries = {"a/1.png": _png("red"), "b/1.png": _png("blue"), name: _png("red")}
    with pytest.raises(DatasetError, match=message):
        inspect_upload(_zip(tmp_path / "x.zip", entries), "image_zip")


def test_image_zip_refuses_symbolic_links(tmp_path):
    link = zipfile.ZipInfo("a/link.png")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    entries = {"a/1.png": _png("red"), "b/1.png": _png("blue"), "a/link.png": link}
    with pytest.raises(DatasetError, match="symbolic link"):
        inspect_upload(_zip(tmp_path / "l.zip", entries), "image_zip")


def test_image_zip_refuses_files_that_are_not_images(tmp_path):
    entries = {"a/1.png": _png("red"), "b/1.png": b"#!/bin/sh\nrm -rf /\n"}
    with pytest.raises(DatasetError, match="'b/1.png' is not a PNG"):
        inspect_upload(_zip(tmp_path / "f.zip", entries), "image_zip")


def test_image_zip_refuses_a_broken_image_with_a_real_signature(tmp_path):
    entries = {"a/1.png": _png("red"), "b/1.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 30}
    with pytest.raises(DatasetError, match="cannot be read"):
        inspect_upload(_zip(tmp_path / "b.zip", entries), "image_zip")


def test_image_zip_refuses_a_deeper_layout_and_non_zips(tmp_path):
    entries = {"a/1.png": _png("red"), "b/deep/1.png": _png("blue"), "c/1.png": _png("red")}
    with pytest.raises(DatasetError, match=r"is not <class>/<image>"):
        inspect_upload(_zip(tmp_path / "d.zip", entries), "image_zip")
    (tmp_path / "n.zip").write_bytes(b"not a zip")
    with pytest.raises(DatasetError, match="not a zip"):
        inspect_upload(str(tmp_path / "n.zip"), "image_zip")


def test_uploads_over_the_size_limit_are_refused(tmp_path, monkeypatch):
    path = tmp_path / "big.csv"
    path.write_text("a,b\n" + "1,2\n" * 100)
    monkeypatch.setattr(uploads, "MAX_UPLOAD_BYTES", 100)
    with pytest.raises(DatasetError, match="the limit is 100"):
        inspect_upload(str(path), "csv")


def test_zip_bombs_stop_at_the_unpacked_limit(tmp_path, monkeypatch):
    entries = {"a/1.png": _png("red"), "b/1.png": b"\x00" * 10_000}
    path = _zip(tmp_path / "bomb.zip", entries)
    monkeypatch.setattr(uploads, "MAX_UNPACKED_BYTES", 5_000)
    with pytest.raises(DatasetError, match="unpacks to more than"):
        inspect_upload(path, "image_zip")


def test_npz_classification_and_regression(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, x=np.random.default_rng(0).normal(size=(30, 3, 4)), y=np.arange(30) % 3)
    info = inspect_upload(str(path), "npz")
    assert info["input_shape"] == [3, 4] and info["num_classes"] == 3
    np.savez(path, x=np.zeros((30, 2)), y=np.linspace(0, 1, 30))
    assert inspect_upload(str(path), "npz")["task"] == "regression"


def test_npz_refuses_pickled_objects_and_missing_arrays(tmp_path):
    path = tmp_path / "p.npz"
    np.savez(path, x=np.array([{"a": 1}, {"b": 2}], dtype=object), y=np.array([0, 1]))
    with pytest.raises(DatasetError, match="without pickled objects"):
        inspect_upload(str(path), "npz")
    np.savez(path, features=np.zeros((3, 2)))
    with pytest.raises(DatasetError, match="lacks array"):
        inspect_upload(str(path), "npz")
    path.write_text("x,y\n1,2\n")  # a CSV renamed: said so, not taken for pickled data
    with pytest.raises(DatasetError, match="not an .npz file"):
        inspect_upload(str(path), "npz")


def test_inspect_upload_refuses_builtin_kinds(tmp_path):
    with pytest.raises(DatasetError, match="not an upload kind") as err:
        inspect_upload(str(tmp_path), "digits")
    assert err.value.field == "kind"

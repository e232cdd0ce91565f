"""Sequence data: built-in memory tasks, NPZ/CSV time series, and the sequence templates
trained out of the box on their built-in task through the job runner."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from workers.engine import load_template
from workers.engine.data import DatasetError, inspect_upload, list_datasets, load_dataset
from workers.engine.jobs.runner import StopFlag, execute

# Each sequence template, its built-in task, the settings it trains with and the
# test accuracy it must reach (stated in docs/contracts.md).
TEMPLATE_TASKS = [
    ("lstm_classifier", "parity", {"epochs": 30, "optimizer": {"lr": 0.01}}, 0.95),
    ("gru_classifier", "frequency", {"epochs": 8, "optimizer": {"lr": 0.01}}, 0.95),
    ("transformer_classifier", "frequency", {"epochs": 2, "optimizer": {"lr": 0.002}}, 0.95),
]


def test_the_sequence_kinds_are_registered_as_builtins():
    kinds = {d["kind"]: d for d in list_datasets()}
    assert {"parity", "adding", "frequency"} <= kinds.keys()
    assert kinds["adding"]["task"] == "regression" and kinds["parity"]["source"] == "builtin"


def test_parity_labels_are_the_parity_of_the_bits():
    data = load_dataset({"kind": "parity", "options": {"n_samples": 200, "length": 12}})
    assert data.input_shape == [12, 1] and data.num_classes == 2 and data.describe()["sequence"]
    bits = (data.train.x[:, :, 0] > 0).sum(1) % 2
    assert torch.equal(bits, data.train.y)
    again = load_dataset({"kind": "parity", "options": {"n_samples": 200, "length": 12}})
    assert torch.equal(again.test.x, data.test.x)  # drawn from the seed


def test_adding_target_is_the_sum_of_the_two_marked_values():
    data = load_dataset({"kind": "adding", "options": {"n_samples": 100, "length": 20}})
    x, y = data.train.x, data.train.y
    assert data.input_shape == [20, 2] and data.task == "regression" and y.shape[1:] == (1,)
    assert torch.equal(x[:, :, 1].sum(1), torch.full((len(x),), 2.0))
    assert torch.allclose((x[:, :, 0] * x[:, :, 1]).sum(1, keepdim=True), y)


def test_frequency_options_are_checked():
    data = load_dataset({"kind": "frequency", "options": {"n_samples": 90, "classes": 3, "length": 16}})
    assert data.input_shape == [16, 1] and data.num_classes == 3
    with pytest.raises(DatasetError) as err:
        load_dataset({"kind": "frequency", "options": {"length": 2}})
    assert err.value.field == "options.length"


@pytest.mark.parametrize("name,task,config,accuracy", TEMPLATE_TASKS, ids=[t[0] for t in TEMPLATE_TASKS])
def test_sequence_template_learns_its_builtin_task(name, task, config, accuracy, tmp_path, sink):
    job = {"kind": "train", "run_id": 1, "graph": load_template(name), "dataset": {"kind": task},
           "config": {"batch_size": 64, "seed": 0, **config}}
    (tmp_path / "job.json").write_text(json.dumps(job))
    assert execute(tmp_path, sink, StopFlag()) == 0, sink.of("done")
    summary = sink.of("done")[0]["summary"]
    assert summary["test_accuracy"] >= accuracy


def test_npz_of_sequences_keeps_its_time_axis(tmp_path):
    path = tmp_path / "seq.npz"
    rng = np.random.default_rng(0)
    np.savez(path, x=rng.normal(size=(40, 15, 3)).astype(np.float32), y=np.arange(40) % 2)
    info = inspect_upload(str(path), "npz")
    assert info["input_shape"] == [15, 3] and info["num_classes"] == 2


def _csv(tmp_path, text: str):
    path = tmp_path / "series.csv"
    path.write_text(text)
    return str(path)


def test_csv_time_series_are_grouped_ordered_and_left_padded(tmp_path):
    rows = ["id,time,a,b,label"]
    for sid, length in enumerate([3, 5, 4, 2, 5, 3, 4, 5, 2, 3]):
        for t in reversed(range(length)):  # out of order: the time column orders them
            rows.append(f"s{sid},{t},{sid + t / 10},{t},{'up' if sid % 2 else 'down'}")
    path = _csv(tmp_path, "\n".join(rows) + "\n")
    data = load_dataset({"kind": "csv", "path": path,
                         "options": {"layout": "sequences", "time": "time", "mask": True,
                                     "val_fraction": 0, "test_fraction": 0}})
    assert data.input_shape == [5, 3] and data.classes == ["up", "down"]
    assert data.describe()["min_length"] == 2 and data.describe()["max_length"] == 5
    first = data.train.x[0]  # s0: 3 steps, left-padded by 2
    assert first[:2].abs().sum() == 0 and torch.equal(first[:, 2], torch.tensor([0, 0, 1, 1, 1.0]))
    assert torch.allclose(first[2:, 1], torch.tensor([0, 1, 2.0]))  # steps in time order
    cut = load_dataset({"kind": "csv", "path": path, "options": {"layout": "sequences", "length": 2,
                                                                "time": "time"}})
    assert cut.input_shape == [2, 2]


@pytest.mark.parametrize("text,field,words", [
    ("id,a,label\ns1,1,x\ns1,2,y\ns2,1,x\n", "label", "two labels"),
    ("id,a,label\ns1,1,x\ns1,oops,x\ns2,1,y\n", "a", "not numeric"),
    ("key,a,label\ns1,1,x\ns2,1,y\n", "options.id", "not in the header"),
    ("id,a,label\ns1,1,x\ns1,2,x\n", "path", "at least two"),
])
def test_csv_time_series_errors_name_the_column(tmp_path, text, field, words):
    with pytest.raises(DatasetError) as err:
        inspect_upload(_csv(tmp_path, text), "csv", {"layout": "sequences"})
    assert err.value.field == field and words in str(err.value)

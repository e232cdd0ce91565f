"""Autoencoders: the conv autoencoder and U-Net templates learn to reconstruct digits, and each
validation sends a grid of inputs above their reconstructions."""
from __future__ import annotations

import base64
import io
import json

import pytest
from PIL import Image

from workers.engine import load_template
from workers.engine.jobs.runner import EXIT_OK, StopFlag, execute


def _on_digits(name: str) -> dict:
    doc = load_template(name)
    doc["nodes"][0]["params"]["shape"] = [1, 8, 8]  # the built-in image set; MNIST keeps [1, 28, 28]
    if "classes" in doc["variables"]:
        doc["variables"]["classes"] = 1  # U-Net: one output channel per input channel
    return doc


@pytest.mark.parametrize("name", ["conv_autoencoder", "unet_small"])
def test_template_learns_to_reconstruct_digits(name, tmp_path, sink):
    job = {"kind": "train", "run_id": 1, "graph": _on_digits(name), "dataset": {"kind": "digits"},
           "config": {"epochs": 3, "batch_size": 64, "task": "reconstruction", "optimizer": {"lr": 0.01},
                      "system_every_s": 3600}}
    (tmp_path / "job.json").write_text(json.dumps(job))
    assert execute(tmp_path, sink, StopFlag()) == EXIT_OK, sink.of("done")
    losses = [e["values"]["loss"] for e in sink.of("metric", split="val")]
    assert len(losses) == 3 and losses[-1] < 0.6 * losses[0]
    grids = sink.of("artifact", kind="reconstructions")
    assert len(grids) == 3 and grids[-1]["data"]["rows"] == 2 and grids[-1]["data"]["columns"] == 8
    image = Image.open(io.BytesIO(base64.b64decode(grids[-1]["data"]["png"])))
    assert image.size == (grids[-1]["data"]["width"], grids[-1]["data"]["height"])
    assert "test_loss" in sink.of("done")[0]["summary"]

"""Fine-tuning: weights saved from torchvision's own constructor, checked, frozen until an epoch."""
from __future__ import annotations

import collections
import json

import numpy as np
import pytest
import torch
from torchvision.models import mobilenet_v3_small, resnet18

from workers.engine import load_template
from workers.engine.jobs.finetune import FinetuneConfig
from workers.engine.jobs.runner import EXIT_BAD_INPUT, EXIT_OK, StopFlag, execute
from workers.engine.recipes.finetune import WeightsError, check_weights
from workers.engine.train import load_checkpoint


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    """A ResNet-18 state dict as torchvision's constructor makes it (random init, no download)."""
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("weights") / "resnet18.pt"
    torch.save(resnet18(weights=None).state_dict(), path)
    return path


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    """96 small RGB images in 3 classes told apart by their mean colour."""
    rng = np.random.default_rng(0)
    y = np.arange(96) % 3
    x = rng.normal(0, 0.3, (96, 3, 32, 32)) + np.eye(3)[y][:, :, None, None]
    path = tmp_path_factory.mktemp("data") / "rgb.npz"
    np.savez(path, x=x.astype(np.float32), y=y)
    return {"kind": "npz", "path": str(path), "options": {"val_fraction": 0.25, "test_fraction": 0.25}}


def _graph(weights_file) -> dict:
    doc = load_template("pretrained_backbone")
    doc["variables"]["classes"] = 3
    doc["nodes"][1]["params"]["weights_file"] = str(weights_file)
    return doc


class Snapshots:
    """A sink that reads last.pt's model as each epoch's checkpoint is announced."""

    def __init__(self, run_dir):
        self.run_dir, self.events, self.models = run_dir, [], []

    def emit(self, event):
        self.events.append(event)
        if event["type"] == "checkpoint" and event["path"] == "checkpoints/last.pt":
            self.models.append(load_checkpoint(self.run_dir / event["path"])["model"])


def test_a_frozen_backbone_keeps_every_tensor_until_the_unfreeze_epoch(tmp_path, weights, images):
    job = {"kind": "finetune", "run_id": 1, "graph": _graph(weights), "dataset": images,
           "config": {"epochs": 3, "batch_size": 24, "unfreeze_epoch": 3, "backbone_lr_multiplier": 0.5,
                      "optimizer": {"lr": 0.01}, "system_every_s": 3600,
                      "checkpoint_seconds": 0}}  # last.pt after each epoch, for Snapshots to read
    (tmp_path / "job.json").write_text(json.dumps(job))
    sink = Snapshots(tmp_path)
    assert execute(tmp_path, sink, StopFlag()) == EXIT_OK, [e for e in sink.events if e["type"] == "done"]
    original = torch.load(weights, weights_only=True)
    backbone = [k for k in original if not k.startswith("fc.")]
    changed = [[not torch.equal(model[f"backbone.{k}"], original[k]) for k in backbone] for model in sink.models]
    assert [any(epoch) for epoch in changed] == [False, False, True]  # epochs 1 and 2 frozen, 3 trains
    assert sum(changed[2]) > len(backbone) // 2  # weights and BatchNorm statistics alike
    head = [m["head.weight"] for m in sink.models]
    assert not torch.equal(head[0], head[1])  # the new head trains from the first epoch
    assert any("backbone unfrozen" in e.get("message", "") for e in sink.events if e["type"] == "log")


def test_the_backbone_group_trains_at_the_multiplied_rate(tmp_path, weights, images):
    from workers.engine.data import load_dataset
    from workers.engine.jobs.finetune import FinetuneRecipe
    from workers.engine import compile_graph

    cfg = FinetuneConfig(epochs=1, backbone_lr_multiplier=0.1, optimizer={"lr": 0.01})
    graph = _graph(weights)
    recipe = FinetuneRecipe(compile_graph(graph, seed=0), load_dataset(images), cfg, graph=graph, run_dir=tmp_path)
    recipe.setup()
    assert [g["lr"] for g in recipe.optimizer.param_groups] == pytest.approx([0.01, 0.001])
    assert len(recipe.optimizer.param_groups[1]["params"]) == 60  # ResNet-18 without its fc
    assert recipe.freezer.frozen  # the template's node says freeze, and no unfreeze epoch is set
    recipe.cleanup()


class Payload:
    def __reduce__(self):
        return (print, ("this would run on load",))


def test_weights_that_do_not_fit_are_refused_naming_the_first_mismatch(tmp_path, weights):
    assert check_weights(weights, "ResNet18", {"head": "features"})["fits"] == "torchvision"
    cases = {"pickle": {"w": Payload()}, "other": mobilenet_v3_small(weights=None).state_dict()}
    shaped = collections.OrderedDict(torch.load(weights, weights_only=True))
    shaped["layer1.0.conv1.weight"] = torch.zeros(64, 64, 1, 1)
    cases["shape"] = shaped
    words = {"pickle": "weights_only", "other": "key 'conv1.weight' is missing",
             "shape": "'layer1.0.conv1.weight' has shape [64, 64, 1, 1] but the backbone's is [64, 64, 3, 3]"}
    for name, state in cases.items():
        path = tmp_path / f"{name}.pt"
        torch.save(state, path)
        with pytest.raises(WeightsError) as err:
            check_weights(path, "ResNet18", {"head": "features"}, node="backbone")
        assert words[name] in str(err.value), name
        assert err.value.errors[0]["node"] == "backbone" and err.value.errors[0]["field"] == "weights_file"


def test_a_bad_weights_file_stops_the_job_before_training(tmp_path, images):
    bad = tmp_path / "bad.pt"
    torch.save({"w": Payload()}, bad)
    (tmp_path / "job.json").write_text(json.dumps({"kind": "finetune", "run_id": 1, "graph": _graph(bad),
                                                   "dataset": images, "config": {"epochs": 1}}))
    sink = Snapshots(tmp_path)
    assert execute(tmp_path, sink, StopFlag()) == EXIT_BAD_INPUT
    assert "backbone" in sink.events[-1]["error"] and not sink.models

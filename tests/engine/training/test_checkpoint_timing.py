"""last.pt is written by time (``checkpoint_seconds``), best.pt with it, and neither is lost at the end."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from tests.engine.training.conftest import StopAfter
from workers.engine.data import load_dataset
from workers.engine.train import Cancelled, TrainRecipe, load_checkpoint, parse_config


@pytest.fixture(scope="module")
def digits():
    return load_dataset({"kind": "digits"})


def _recipe(data, tmp_path, sink, should_stop=lambda: False, epoch_hook=None, **config):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 10))
    # Only the first evaluation counts as progress: the best weights are epoch 1's, then go stale.
    cfg = parse_config({"epochs": 4, "batch_size": 64, "optimizer": {"lr": 0.01},
                        "early_stopping": {"min_delta": 1e9}, **config})
    recipe = TrainRecipe(model, data, cfg, run_dir=tmp_path, sink=sink, should_stop=should_stop,
                         epoch_hook=epoch_hook)
    recipe.setup()
    return recipe


def _written(sink, name):
    return [(e["epoch"], e["step"]) for e in sink.of("checkpoint", path=f"checkpoints/{name}.pt")]


def _assert_best_is_epoch_one(tmp_path, recipe, sink):
    steps = len(recipe.batches)
    assert _written(sink, "best") == [(1, steps)]
    best = load_checkpoint(tmp_path / "checkpoints" / "best.pt")
    assert best["state"]["epoch"] == 1 and best["state"]["step"] == steps
    for name, tensor in recipe.best_weights.items():
        assert torch.equal(best["model"][name], tensor), name
    last = load_checkpoint(tmp_path / "checkpoints" / "last.pt")
    assert all(torch.equal(last["best_weights"][k], v) for k, v in recipe.best_weights.items())


def test_short_epochs_write_last_and_best_once_after_the_last_epoch(digits, tmp_path, sink):
    recipe = _recipe(digits, tmp_path, sink, checkpoint_seconds=3600)
    recipe.train()
    assert _written(sink, "last") == [(4, recipe.state.step)]
    _assert_best_is_epoch_one(tmp_path, recipe, sink)
    last = load_checkpoint(tmp_path / "checkpoints" / "last.pt")
    assert not torch.equal(last["model"]["1.weight"], recipe.best_weights["1.weight"])  # epoch 4's own


def test_zero_seconds_writes_last_after_every_epoch(digits, tmp_path, sink):
    recipe = _recipe(digits, tmp_path, sink, checkpoint_seconds=0)
    recipe.train()
    steps = len(recipe.batches)
    assert _written(sink, "last") == [(e, e * steps) for e in range(1, 5)]
    _assert_best_is_epoch_one(tmp_path, recipe, sink)


def test_last_is_written_once_the_seconds_have_passed(digits, tmp_path, sink):
    recipe = None

    def age_after_epoch_two(epoch, _values):
        if epoch == 2:
            recipe.saved_at -= 3600  # as if an hour had passed since the last write

    recipe = _recipe(digits, tmp_path, sink, epoch_hook=age_after_epoch_two, checkpoint_seconds=3600)
    recipe.train()
    steps = len(recipe.batches)
    assert _written(sink, "last") == [(3, 3 * steps), (4, 4 * steps)]
    assert _written(sink, "best") == [(1, steps)]  # once: it did not change after epoch 3's write


def test_a_stop_writes_last_and_the_best_weights_not_yet_written(digits, tmp_path, sink):
    stop_at = 50  # in epoch 3 (20 steps an epoch), nothing written yet
    recipe = _recipe(digits, tmp_path, sink, should_stop=StopAfter(stop_at), checkpoint_seconds=3600)
    with pytest.raises(Cancelled):
        recipe.fit()
    assert not (tmp_path / "checkpoints").exists()
    recipe.save_checkpoint("last")
    assert _written(sink, "last") == [(2, stop_at)]
    _assert_best_is_epoch_one(tmp_path, recipe, sink)

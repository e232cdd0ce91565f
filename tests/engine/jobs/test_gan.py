"""The GAN kind: a DCGAN generator and discriminator trained adversarially on digits."""
from __future__ import annotations

import base64
import io
import json

import pytest
from PIL import Image

from tests.engine.training.conftest import RecordingSink
from workers.engine import load_template
from workers.engine.jobs import JobError
from workers.engine.jobs.gan import GanConfig
from workers.engine.jobs.runner import EXIT_BAD_INPUT, EXIT_OK, StopFlag, execute
from workers.engine.train import load_checkpoint


def _small(name: str, **variables) -> dict:
    doc = load_template(name)
    doc["variables"].update(variables)
    return doc


def _run(run_dir, generator, config, dataset=None):
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "job.json").write_text(json.dumps({"kind": "gan", "run_id": 1, "graph": generator,
                                                  "dataset": dataset or {"kind": "digits"},
                                                  "config": {"system_every_s": 3600, **config}}))
    sink = RecordingSink()
    return execute(run_dir, sink, StopFlag()), sink


def test_two_epochs_on_digits_record_both_losses_a_sample_grid_and_both_networks(tmp_path):
    discriminator = _small("dcgan_discriminator", ndf=16)
    code, sink = _run(tmp_path, _small("dcgan_generator", ngf=16),
                      {"epochs": 2, "discriminator": discriminator, "samples": 16})
    assert code == EXIT_OK, sink.of("done")
    steps = [e for e in sink.of("metric", split="train") if "loss_d" in e["values"]]
    per_epoch = -(-1257 // 64)  # digits' training split, batches of 64
    assert [e["step"] for e in steps] == list(range(1, 2 * per_epoch + 1))
    for key in ("loss_d", "loss_g", "d_real", "d_fake"):
        assert all(isinstance(e["values"][key], float) for e in steps), key
    assert len({round(e["values"]["loss_g"], 6) for e in steps}) > 10  # it moves: the networks learn
    grids = sink.of("artifact", kind="samples")
    assert [g["data"]["epoch"] for g in grids] == [1, 2]
    image = Image.open(io.BytesIO(base64.b64decode(grids[-1]["data"]["png"])))
    assert image.size == (grids[-1]["data"]["width"], grids[-1]["data"]["height"]) and image.width >= 4 * 32
    ckpt = load_checkpoint(tmp_path / "checkpoints" / "last.pt")
    assert ckpt["state"] == {"epoch": 2, "step": 2 * per_epoch}
    assert "up1.weight" in ckpt["model"] and "conv1.weight" in ckpt["discriminator"]
    assert ckpt["optimizer"]["param_groups"][0]["betas"] == (0.5, 0.999)


def test_a_discriminator_that_does_not_take_the_generators_output_is_refused_before_training(tmp_path):
    discriminator = _small("dcgan_discriminator", ndf=8)
    discriminator["nodes"][0]["params"]["shape"] = [1, 64, 64]
    code, sink = _run(tmp_path, _small("dcgan_generator", ngf=8), {"discriminator": discriminator})
    assert code == EXIT_BAD_INPUT
    message = sink.of("done")[0]["error"]
    assert "config.discriminator" in message and "[1, 32, 32]" in message and "[1, 64, 64]" in message
    assert not sink.of("metric") and not (tmp_path / "checkpoints").exists()


@pytest.mark.parametrize("description,field,words", [
    ({"name": "moons", "input_shape": [2]}, "dataset", "needs images"),
    ({"name": "cifar10", "input_shape": [3, 32, 32]}, "graph", "3 channel"),
])
def test_data_the_generator_cannot_make_is_refused(description, field, words):
    with pytest.raises(JobError) as err:
        GanConfig(discriminator="dcgan_discriminator").check_job(load_template("dcgan_generator"), description)
    assert err.value.errors[0]["field"] == field and words in str(err.value)


def test_an_unknown_discriminator_template_is_named():
    with pytest.raises(JobError, match="no template named 'nope'"):
        GanConfig(discriminator="nope").check_job(load_template("dcgan_generator"),
                                                  {"name": "digits", "input_shape": [1, 8, 8]})


def test_the_discriminator_template_takes_whatever_the_generator_makes():
    generator = load_template("dcgan_generator")
    generator["variables"]["channels"] = 3  # colour images (CIFAR-10, an RGB image zip)
    checked = GanConfig().check_job(generator, {"name": "cifar10", "input_shape": [3, 32, 32]})
    assert checked["image"] == [3, 32, 32] and checked["latent"] == [100, 1, 1]
    assert checked["discriminator"]["nodes"][0]["params"]["shape"] == [3, 32, 32]

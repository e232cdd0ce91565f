"""The ``gan`` kind: the run's graph is the generator, trained against a discriminator.

The discriminator is a template's name (``dcgan_discriminator`` by default)
or a whole graph document in the config. Both shapes are checked before
anything runs (``GanConfig.check_job``, called by the service at launch and
by the job at setup): the generator's output must be the discriminator's
input and have the dataset's channels. Each epoch sends both losses (per
step), D(x) and D(G(z)), a grid of samples from fixed noise (artifact
``samples``) and writes ``checkpoints/last.pt`` with both networks
(``model`` = generator, ``discriminator``, both optimizers).
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Literal

import torch
from pydantic import BaseModel, ConfigDict, Field

from ..data import load_dataset
from ..recipes.gan import AdversarialStep, ends_in_sigmoid
from ..recipes.images import grid_png
from ..train import Cancelled, NullSink
from ..train.checkpoint import CheckpointWriter, cpu_copy, rng_state
from ..train.loaders import train_loader
from .binding import wanted_device
from .distributed import setup_placement
from .kinds import JobContext, JobError, register_job


class GanConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    epochs: int = Field(5, ge=1, le=100000, description="Passes over the real images")
    batch_size: int = Field(64, ge=2, le=65536, description="Real images per step (and as many generated)")
    lr: float = Field(2e-4, gt=0, le=1, description="Adam learning rate of both networks")
    betas: tuple[float, float] = Field((0.5, 0.999), description="Adam betas (DCGAN: beta1 = 0.5)")
    discriminator: str | dict = Field(
        "dcgan_discriminator", description="The discriminator: a template's name or a graph document "
        "whose Input takes the generator's output")
    samples: int = Field(36, ge=1, le=256, description="Generated samples in each epoch's grid")
    seed: int = Field(0, ge=0, le=2**31 - 1, description="Seed for weights, noise and shuffling")
    device: Literal["auto", "cpu", "cuda"] = Field("auto", description="Where to train")
    system_every_s: float = Field(5.0, ge=0.5, le=3600, description="Seconds between system figures")

    def discriminator_graph(self, takes: list[int]) -> dict:
        """The discriminator's document; a template's Input is set to ``takes`` (the generator's
        output), so the DCGAN templates fit 1- and 3-channel images alike."""
        from .. import load_template

        if isinstance(self.discriminator, dict):
            return self.discriminator
        try:
            doc = load_template(self.discriminator)
        except KeyError:
            raise JobError("config.discriminator", f"no template named {self.discriminator!r}") from None
        for node in doc["nodes"]:
            if node["op"] == "Input":
                node["params"]["shape"] = list(takes)
        return doc

    def check_job(self, generator: dict, description: dict) -> dict[str, Any]:
        """Shapes agree, or a ``JobError`` naming the mismatch; returns the shapes and the discriminator."""
        data = list(description.get("input_shape") or [])
        if len(data) != 3:
            raise JobError("dataset", f"dataset {description.get('name')!r} gives {data}: a GAN needs "
                                      "images (channels, height, width)")
        latent, made = _io_shapes("generator", generator, "graph")
        if len(made) != 3 or made[0] != data[0]:
            raise JobError("graph", f"the generator gives {made} but dataset {description.get('name')!r} "
                                    f"has {data[0]} channel(s): set the generator's output channels to {data[0]}")
        discriminator = self.discriminator_graph(made)
        taken, _ = _io_shapes("discriminator", discriminator, "config.discriminator")
        if made != taken:
            raise JobError("config.discriminator", f"the generator gives {made} but the discriminator's "
                                                   f"Input takes {taken}: make them the same shape")
        return {"latent": latent, "image": made, "discriminator": discriminator}


def _io_shapes(role: str, doc: dict, field: str) -> tuple[list, list]:
    """``(Input shape, first Output shape)`` without the batch, or a JobError naming the graph."""
    from .. import validate_graph

    report = validate_graph(doc)
    if not report["ok"]:
        first = report["errors"][0]
        raise JobError(field, f"the {role} does not compile: {first.get('node') or ''} {first['message']}")
    inputs = [n for n in doc["nodes"] if n["op"] == "Input"]
    outputs = [e["shape"] for e in report["edges"]
               if e["target"] in {n["id"] for n in doc["nodes"] if n["op"] == "Output"}]
    if len(inputs) != 1 or not outputs:
        raise JobError(field, f"the {role} needs one Input and an Output")
    return list(inputs[0]["params"]["shape"]), list(outputs[0][1:])


class GanJob:
    def __init__(self, ctx: JobContext):
        self.ctx, self.cfg = ctx, ctx.config
        self.sink = ctx.sink or NullSink()
        self.step = self.epoch = 0
        self.writer = CheckpointWriter()
        self.buffer: list[tuple[int, int, torch.Tensor]] = []

    def setup(self, resume_from: str | None) -> None:
        from .. import compile_graph

        cfg, ctx = self.cfg, self.ctx
        self.place = setup_placement(wanted_device(cfg.device, ctx.resources))
        self.data = load_dataset(ctx.dataset)
        checked = cfg.check_job(ctx.graph, self.data.describe())
        device = self.place.device
        self.g = compile_graph(ctx.graph, seed=cfg.seed).to(device).train()
        self.d = compile_graph(checked["discriminator"], seed=cfg.seed + 1).to(device).train()
        self.adversarial = AdversarialStep(
            self.g, self.d, latent=checked["latent"], image_size=tuple(checked["image"][1:]),
            lr=cfg.lr, betas=cfg.betas, sigmoid=ends_in_sigmoid(checked["discriminator"]))
        torch.manual_seed(cfg.seed)
        self.loader, self.sampler, _ = train_loader(self.data.train, cfg.batch_size, rank=0, world_size=1,
                                                    seed=cfg.seed, num_workers=0, cuda=device.type == "cuda")
        noise_rng = torch.Generator(device=device).manual_seed(cfg.seed)
        self.fixed_noise = self.adversarial.noise(cfg.samples, device, noise_rng)

    def run(self) -> dict[str, Any]:
        cfg = self.cfg
        while self.epoch < cfg.epochs:
            started, seen = time.monotonic(), 0
            self.sampler.set_epoch(self.epoch)
            for x, _ in self.loader:
                values = self.adversarial(x.to(self.place.device, non_blocking=True))
                self.step += 1
                seen += len(x)
                self.buffer.append((self.step, self.epoch + 1, torch.stack(list(values.values()))))
                if len(self.buffer) >= 50:
                    self._flush()
                if self.ctx.should_stop():
                    raise Cancelled()
            self.epoch += 1
            self._end_epoch(time.monotonic() - started, seen)
        self.writer.wait()
        return {"epochs": self.epoch, "steps": self.step, **self.last, "samples_per_sec": self.rate}

    def _flush(self) -> None:
        rows, self.buffer = self.buffer, []
        if not rows:
            return
        values = torch.stack([r[2] for r in rows]).tolist()  # one sync for the whole batch
        for (step, epoch, _), row in zip(rows, values):
            self.last = dict(zip(("loss_d", "loss_g", "d_real", "d_fake"), row))
            self._emit("metric", step=step, epoch=epoch, split="train", values=self.last, time=time.time())

    def _end_epoch(self, seconds: float, seen: int) -> None:
        self._flush()
        self.rate = seen / max(seconds, 1e-9)
        self._emit("metric", step=self.step, epoch=self.epoch, split="train", time=time.time(),
                   values={"epoch_time": seconds, "samples_per_sec": self.rate})
        self.g.eval()
        with torch.no_grad():
            images = self.g(self.fixed_noise)
        self.g.train()
        columns = max(1, int(len(images) ** 0.5))
        self._emit("artifact", kind="samples", step=self.step,
                   data={**grid_png(images, columns=columns, value_range=(-1, 1),
                                    caption=f"generated after epoch {self.epoch}"), "epoch": self.epoch})
        self._save("last")
        self._emit("log", level="info", message=f"epoch {self.epoch}/{self.cfg.epochs} done in {seconds:.2f} s")

    def _save(self, name: str) -> None:
        rel = Path("checkpoints") / f"{name}.pt"
        payload = cpu_copy({
            "model": self.g.state_dict(), "discriminator": self.d.state_dict(),
            "optimizer": self.adversarial.opt_g.state_dict(), "optimizer_d": self.adversarial.opt_d.state_dict(),
            "state": {"epoch": self.epoch, "step": self.step}, "config": self.cfg.model_dump(mode="json"),
            "rng": rng_state(include_cuda=self.place.device.type == "cuda")})
        event = {"type": "checkpoint", "path": rel.as_posix(), "epoch": self.epoch, "step": self.step, "best": False}
        self.writer.submit([([self.ctx.run_dir / rel], payload)], lambda: self.sink.emit(event))

    def _emit(self, type_: str, **fields: Any) -> None:
        self.sink.emit({"type": type_, **fields})

    def save_checkpoint(self, name: str) -> Path | None:
        self._flush()
        self._save(name)
        self.writer.wait()
        return self.ctx.run_dir / "checkpoints" / f"{name}.pt"

    def cleanup(self) -> None:
        try:
            self.writer.close()
        finally:
            self.loader = None


register_job(
    "gan", GanConfig, GanJob, title="GAN",
    description="Train the graph as a generator against a discriminator (a template or a graph) on an "
                "image dataset: BCE losses, Adam with beta1 0.5, both losses live, a grid of samples "
                "each epoch, checkpoints of both networks.",
    # The generator's Input is noise, not the dataset: no Input binding at launch (GET /api/jobs says so).
    binds_input=False)

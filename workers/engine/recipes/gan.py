"""Adversarial training of a generator and a discriminator (DCGAN's recipe).

Per batch: the discriminator learns to call real images 1 and generated ones
0 (binary cross-entropy on both), then the generator learns to make the
discriminator say 1 on its images (the non-saturating loss). Both use Adam
with beta1 = 0.5, as Radford et al. recommend.

Real images are brought to the generator's output: resized with bilinear
interpolation to its height and width (digits' 8x8 become 32x32 for the
DCGAN templates) and mapped from [0, 1] to [-1, 1], the range of its final
Tanh. Channels are never invented: they must match.

The discriminator may end in a Sigmoid (BCE on probabilities) or give raw
scores (BCE with logits): the loss follows its last op.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .ensemble import first_tensor


def ends_in_sigmoid(doc: dict) -> bool:
    """Whether the node feeding the graph's first Output is a Sigmoid."""
    nodes = {n.get("id"): n for n in doc.get("nodes", []) if isinstance(n, dict)}
    output = next((n for n in nodes.values() if n.get("op") == "Output"), None)
    edge = next((e for e in doc.get("edges", []) if output and e.get("target") == output.get("id")), None)
    return edge is not None and nodes.get(edge.get("source"), {}).get("op") == "Sigmoid"


def to_generator_range(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Real images in [0, 1] → the generator's size, in [-1, 1]."""
    if tuple(x.shape[-2:]) != tuple(size):
        x = F.interpolate(x, size=size, mode="bilinear", align_corners=False)
    return x * 2 - 1


class AdversarialStep:
    """One discriminator update and one generator update on a batch of real images."""

    def __init__(self, generator: nn.Module, discriminator: nn.Module, *, latent: list[int],
                 image_size: tuple[int, int], lr: float, betas: tuple[float, float], sigmoid: bool):
        self.g, self.d = generator, discriminator
        self.latent, self.image_size = list(latent), image_size
        self.opt_g = torch.optim.Adam(generator.parameters(), lr=lr, betas=betas)
        self.opt_d = torch.optim.Adam(discriminator.parameters(), lr=lr, betas=betas)
        self.loss = F.binary_cross_entropy if sigmoid else F.binary_cross_entropy_with_logits
        self.sigmoid = sigmoid

    def noise(self, n: int, device: torch.device, generator: torch.Generator | None = None) -> torch.Tensor:
        return torch.randn(n, *self.latent, device=device, generator=generator)

    def _score(self, images: torch.Tensor) -> torch.Tensor:
        return first_tensor(self.d(images)).reshape(len(images), -1).mean(dim=1).float()

    def __call__(self, real: torch.Tensor) -> dict[str, torch.Tensor]:
        real = to_generator_range(real, self.image_size)
        n = len(real)
        ones, zeros = torch.ones(n, device=real.device), torch.zeros(n, device=real.device)
        fake = first_tensor(self.g(self.noise(n, real.device)))
        d_real, d_fake = self._score(real), self._score(fake.detach())
        loss_d = self.loss(d_real, ones) + self.loss(d_fake, zeros)
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()
        d_fake_g = self._score(fake)
        loss_g = self.loss(d_fake_g, ones)
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        prob = (lambda s: s) if self.sigmoid else torch.sigmoid
        return {"loss_d": loss_d.detach(), "loss_g": loss_g.detach(),
                "d_real": prob(d_real.detach()).mean(), "d_fake": prob(d_fake.detach()).mean()}

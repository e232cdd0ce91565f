"""Every torchvision classification model round-trips: import (torch.fx) -> compile -> the
original state_dict loads strictly -> the same outputs (within 1e-5).

Kept quick: the model is built on the meta device and imported from there (as the API
does), then given cheap random weights of the usual scale; the compiled module is built on
the meta device too and takes the original's tensors (``assign=True``); inputs are small.
Models over 100M parameters are marked ``slow`` (they run in CI all the same;
``-m "not slow"`` leaves them out locally)."""
from __future__ import annotations

import contextlib

import pytest
import torch
from torch import nn
from torchvision import models

from workers.engine import compile_graph, import_module, state_dict_for_graph

# Inputs as small as each architecture allows: ViT's image size is a constructor argument,
# Inception v3 needs 75 pixels, MaxViT's 7 x 7 windows and grids at stride 32 need 224.
SIZE = {"inception_v3": 80, "alexnet": 64, "maxvit_t": 224}
KWARGS = {name: {"image_size": 28 if name == "vit_h_14" else 32}
          for name in models.list_models(module=models) if name.startswith("vit")}
BIG = {"convnext_large", "regnet_y_128gf", "regnet_y_32gf", "regnet_x_32gf", "vit_h_14",
       "vit_l_16", "vit_l_32", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn", "vgg13", "vgg13_bn",
       "vgg11", "vgg11_bn", "wide_resnet101_2", "efficientnet_v2_l", "maxvit_t"}
NAMES = models.list_models(module=models)  # every classification model: none is refused


def materialise(model: torch.nn.Module) -> torch.nn.Module:
    """Real tensors for a meta model: weights uniform in +-1/sqrt(fan_in) (PyTorch's default
    scale), norm scales 1, shifts and running means 0, running variances 1."""
    model.to_empty(device="cpu")
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, tensor in [*model.named_parameters(), *model.named_buffers()]:
            if tensor.dtype != torch.float32:  # counters, index buffers (MaxViT's: all 0)
                tensor.zero_()
            elif tensor.dim() >= 2:
                bound = (tensor[0].numel()) ** -0.5
                tensor.uniform_(-bound, bound, generator=gen)
            elif name.endswith(("running_var", "weight")):
                tensor.fill_(1.0)
            else:
                tensor.uniform_(-0.1, 0.1, generator=gen)
    return model


@contextlib.contextmanager
def weights_on_meta():
    """Every parameter goes to the meta device as it is registered, so that initialising
    it costs nothing; for models whose constructor computes with tensors itself (RegNet's
    block widths), which the meta device as a whole cannot run."""
    register = nn.Module.register_parameter

    def on_meta(self, name, param):
        if param is not None:
            param = nn.Parameter(param.to("meta"), requires_grad=param.requires_grad)
        register(self, name, param)

    nn.Module.register_parameter = on_meta
    try:
        yield
    finally:
        nn.Module.register_parameter = register


def meta_model(name: str) -> torch.nn.Module:
    with weights_on_meta() if name.startswith("regnet") else torch.device("meta"):
        return models.get_model(name, weights=None, **KWARGS.get(name, {})).eval()


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in BIG else n
                                  for n in NAMES])
def test_torchvision_model_round_trips(name):
    torch.set_num_threads(1)
    original = meta_model(name)
    size = SIZE.get(name, KWARGS.get(name, {}).get("image_size", 32))
    doc = import_module(original.to("meta"), torch.empty(2, 3, size, size, device="meta"))
    original = materialise(original)
    x = torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(1))
    with torch.device("meta"):
        compiled = compile_graph(doc, alloc_budget=2**40)
    compiled.load_state_dict(state_dict_for_graph(doc, original.state_dict()), strict=True,
                             assign=True)
    with torch.no_grad():
        want, got = original(x), compiled.eval()(x)
    assert got.shape == want.shape
    assert float((want - got).abs().max()) <= 1e-5

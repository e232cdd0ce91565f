"""What the importer rewrites into registry ops (issue 14, the timm and MaxViT blockers):
einsum as MatMul, plain numbers as one-value Parameters, tensors computed from sizes alone
as Parameters with their values, flatten(0, 1) around a row-wise layer, uneven chunks as
Splits. Each round-trips exactly through JSON, or is refused naming what it does."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from workers.engine import GraphError, compile_graph, import_module, state_dict_for_graph

from .test_import import round_trip


def ops(doc: dict) -> list[str]:
    return [n["op"] for n in doc["nodes"]]


class Einsum(nn.Module):
    def forward(self, q, k):  # (B, H, L, D) each: scores, then the weighted sum
        scores = torch.einsum("bhid,bhjd->bhij", q, k).softmax(dim=-1)
        return torch.einsum("bhij,bhjd->bhid", scores, k.swapaxes(1, 2).swapaxes(1, 2))


def test_a_batched_matrix_product_in_einsum_is_a_matmul():
    q, k = torch.randn(2, 3, 5, 4), torch.randn(2, 3, 6, 4)
    doc, diff = round_trip(Einsum(), q, k)
    assert diff <= 1e-6 and ops(doc).count("MatMul") == 2 and "Transpose" in ops(doc)


def test_einsum_other_than_a_matrix_product_is_refused_naming_it():
    class Trace(nn.Module):
        def forward(self, x):
            return x + torch.einsum("bii->b", x).reshape(-1, 1, 1)

    with pytest.raises(GraphError) as info:
        import_module(Trace(), torch.randn(2, 3, 3))
    assert "einsum 'bii->b'" in info.value.errors[0]["message"]


class Scalars(nn.Module):
    def forward(self, x):
        return (1 - x) * 0.125 + x / 4


def test_plain_numbers_in_arithmetic_become_one_value_parameters():
    doc, diff = round_trip(Scalars(), torch.randn(2, 5))
    assert diff == 0.0
    fixed = [n["params"] for n in doc["nodes"] if n["op"] == "Parameter"]
    assert sorted(p["values"][0] for p in fixed) == [0.125, 1.0, 4.0]


class Fourier(nn.Module):
    """A position encoding built from sizes alone (as EdgeNeXt's), then a conv on it."""

    def __init__(self):
        super().__init__()
        self.proj = nn.Conv2d(4, 3, 1)

    def forward(self, x):
        b, _, h, w = x.shape
        ones = ~torch.zeros((b, h, w), dtype=torch.bool, device=self.proj.weight.device)
        y = ones.cumsum(1, dtype=torch.float32) / h
        grid = torch.stack((y.sin(), y.cos(), y * 2, y - 1), dim=1)
        return x + self.proj(grid.to(self.proj.weight.dtype))


def test_a_tensor_computed_from_sizes_alone_is_held_with_its_values():
    doc, diff = round_trip(Fourier(), torch.randn(2, 3, 4, 5))
    assert diff == 0.0
    held = next(n for n in doc["nodes"] if n["op"] == "Parameter")
    assert held["params"]["shape"] == [1, 4, 4, 5] and "BatchExpand" in ops(doc)


def test_a_tensor_computed_from_random_values_is_refused():
    class Noisy(nn.Module):
        def forward(self, x):
            return x + torch.randn(x.shape[1])

    with pytest.raises(GraphError) as info:
        import_module(Noisy(), torch.randn(2, 3))
    assert "cannot be imported" in info.value.errors[0]["message"]


class LinearNorm(nn.Module):
    """LeViT's: BatchNorm1d over the (B * L, C) rows, reshaped back."""

    def __init__(self):
        super().__init__()
        self.linear, self.bn = nn.Linear(4, 6), nn.BatchNorm1d(6)

    def forward(self, x):
        x = self.linear(x)
        return self.bn(x.flatten(0, 1)).reshape_as(x)


@pytest.mark.parametrize("training", [False, True])
def test_a_batch_norm_over_flattened_rows_is_one_over_the_tokens(training):
    module = LinearNorm()
    with torch.no_grad():
        module.bn.running_mean.uniform_(-1, 1)
        module.bn.running_var.uniform_(0.5, 2)
    x = torch.randn(3, 7, 4)
    doc, diff = round_trip(module, x)
    assert diff <= 1e-6 and ops(doc).count("Transpose") == 2
    if training:  # the batch statistics span the same B * L rows
        compiled = compile_graph(doc).train()
        compiled.load_state_dict(state_dict_for_graph(doc, module.state_dict()))
        assert torch.allclose(compiled(x), module.train()(x), atol=1e-6)


def test_a_flattened_batch_reaching_another_op_is_refused_naming_it():
    class Mixes(nn.Module):
        def forward(self, x):
            return x.flatten(0, 1).sum(dim=1)

    with pytest.raises(GraphError) as info:
        import_module(Mixes(), torch.randn(2, 3, 4))
    assert "batch is flattened with the dim after it" in info.value.errors[0]["message"]


def test_an_uneven_chunk_is_the_split_pytorch_makes():
    class Uneven(nn.Module):
        def forward(self, x):
            a, b, c = x.chunk(3, dim=1)
            return torch.cat([F.relu(a), b, c * 2], dim=1)

    doc, diff = round_trip(Uneven(), torch.randn(2, 8, 3))
    split = next(n for n in doc["nodes"] if n["op"] == "Split")
    assert diff == 0.0 and split["params"]["sizes"] == [3, 3, 2]


class Cached(nn.Module):
    """Caches a tensor of its own per device in eval, as LeViT's attention biases."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.randn(4))
        self.cache: dict = {}

    def forward(self, x):
        key = str(x.device)
        if key not in self.cache:
            self.cache[key] = self.scale * 2
        return x * self.cache[key]


def test_what_forward_caches_while_traced_is_undone():
    module, x = Cached().eval(), torch.randn(2, 4)
    first = import_module(module, x)
    assert module.cache == {} and import_module(module, x) == first  # imports again alike
    with torch.no_grad():
        assert torch.equal(module(x), x * module.scale * 2)

"""The property behind validate_graph: on random graphs drawn from the catalogue, it
accepts exactly what plain PyTorch runs (save for a few refusals made on purpose), every
shape and dtype it reports is the one PyTorch produces, and the compiled module computes
what the torch.nn layers compute, given the same weights."""
from __future__ import annotations

import os
import random
import re

import pytest
import torch

from workers.engine import GraphError, compile_graph, validate_graph

from .random_graphs import ValueDependent, random_graph, reference

GRAPHS, CHUNKS = int(os.environ.get("NETWEAVE_RANDOM_GRAPHS", 400)), 6
DTYPES = {"float32": torch.float32, "int64": torch.int64}
# Where the engine refuses on purpose what PyTorch would run: the batch stays dim 0 and
# is never mixed with other dims; layers take the batched ranks only (no unbatched
# inputs); integer tensors go to the ops that make sense for tokens; Squeeze and Chunk
# do what they say or nothing.
DELIBERATE = re.compile(
    r"batch|needs floating-point input|expects a .{0,20}-D input|can only squeeze|"
    r"equal chunks|normalises the last|must be at least 1|needs padding as one int|"
    r"without a batch dim|picks nothing|at least \(N, L, E\)|"
    # and the params' published ranges, where PyTorch does not check (momentum -1, 0 sizes)
    r"must be (a number|an integer) between")


def sample_inputs(doc: dict) -> dict:
    out = {}
    for node in doc["nodes"]:
        if node["op"] == "Input":
            shape = (2, *node["params"]["shape"])
            out[node["id"]] = torch.randint(0, 2, shape) if node["params"]["dtype"] == \
                "int64" else torch.randn(shape)
    return out


def check_accepted(doc: dict, report: dict, inputs: dict, modules, values) -> None:
    for e in report["edges"]:
        want = values[(e["source"], e["source_port"])]
        assert [2 if d is None else d for d in e["shape"]] == list(want.shape), e
        assert DTYPES[e["dtype"]] == want.dtype, e
    compiled = compile_graph(doc, seed=0)
    compiled.load_state_dict(modules.state_dict(), strict=True)
    compiled.eval(), modules.eval()
    args = [inputs[n["id"]] for n in doc["nodes"] if n["op"] == "Input"]
    with torch.no_grad():
        got = compiled(*args)
        _, want = reference(doc, inputs, modules)
    got = got if isinstance(got, dict) else {"y0": got}
    outs = [e for e in doc["edges"] if e["target"].startswith("y")]
    for tensor, e in zip(got.values(), outs, strict=True):
        expected = want[(e["source"], e["source_port"])]
        torch.testing.assert_close(tensor, expected, rtol=1e-4, atol=1e-5, equal_nan=True)
    compiled.train()(*args)  # and it runs in training mode, as the reference did


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_random_graphs_agree_with_pytorch(chunk):
    torch.set_num_threads(1)
    stats = {"accepted": 0, "refused": 0, "value_dependent": 0}
    for seed in range(chunk * GRAPHS // CHUNKS, (chunk + 1) * GRAPHS // CHUNKS):
        doc = random_graph(random.Random(seed))
        report = validate_graph(doc)
        inputs = sample_inputs(doc)
        torch.manual_seed(seed)
        try:
            modules, values = reference(doc, inputs)
            failure = None
        except ValueDependent:
            stats["value_dependent"] += 1
            continue
        except Exception as exc:  # what PyTorch raises for a graph it cannot run
            failure = exc
        where = f"seed {seed}: {doc}"
        if report["ok"]:
            assert failure is None, f"accepted, but PyTorch fails ({failure!r}); {where}"
            check_accepted(doc, report, inputs, modules, values)
            stats["accepted"] += 1
            continue
        with pytest.raises(GraphError):
            compile_graph(doc)
        if failure is None:
            message = report["errors"][0]["message"]
            assert DELIBERATE.search(message), f"refused ({message}), PyTorch runs; {where}"
        stats["refused"] += 1
    # The generator must exercise both sides.
    assert stats["accepted"] >= GRAPHS // CHUNKS // 5 and stats["refused"] >= 5, stats

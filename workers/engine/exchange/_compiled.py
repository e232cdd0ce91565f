"""One compile for the exporters: the GraphModule together with what inference learnt.

The exporters need more than ``compile_graph`` returns (which op built each
submodule, the resolved params, the input shapes), so they run the same
pipeline and keep the analysis.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import fx

from ..graph import compiler
from ..graph.api import analyse
from ..graph.infer import Analysis
from ..schema import GraphError


@dataclass
class Compiled:
    module: fx.GraphModule
    analysis: Analysis
    name: str

    def inputs(self) -> list[tuple[str, tuple, str]]:
        """(name, shape with None for the batch, dtype) of every graph input, in order."""
        a = self.analysis
        return [(n.key, a.shapes[(n.key, "out")], a.dtypes[(n.key, "out")])
                for n in a.flat if n.op == "Input" and not n.alias]

    def outputs(self) -> list[str]:
        return [n.key for n in self.analysis.flat if n.op == "Output" and not n.alias]

    def example_inputs(self, batch: int = 2) -> tuple[torch.Tensor, ...]:
        """Zeros for int64 token inputs, seeded noise for float inputs."""
        gen = torch.Generator().manual_seed(0)
        tensors = []
        for _, shape, dtype in self.inputs():
            size = [batch, *shape[1:]]
            tensors.append(torch.zeros(size, dtype=torch.int64) if dtype == "int64"
                           else torch.randn(size, generator=gen))
        return tuple(tensors)


def compile_for_export(doc, seed: int | None = 0) -> Compiled:
    """Compile ``doc`` (raising GraphError like ``compile_graph``) and keep the analysis."""
    graph, _, analysis, errors = analyse(doc)
    if errors:
        raise GraphError(errors)
    return Compiled(compiler.build(analysis, graph.name, seed), analysis, graph.name)

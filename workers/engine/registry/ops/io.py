"""Graph inputs and outputs: nodes whose ids name the forward arguments and results."""
from __future__ import annotations

from ..core import OpSpec, Port, register
from ..params import Choice, Shape

DTYPES = ("float32", "int64")

register(OpSpec(name="Input", category="IO",
                help="A model input; shape excludes the batch dimension",
                inputs=(), outputs=(Port("out"),),
                params=(Shape("shape", [1, 28, 28], "Shape without the batch dimension", min=1),
                        Choice("dtype", "float32", DTYPES, "Element type (int64 for tokens)")),
                count=lambda p, s: 0, flops=lambda p, s, o: 0, input_dtype="any"))
register(OpSpec(name="Output", category="IO", help="A model output (returned by forward)",
                inputs=(Port("in"),), outputs=(), count=lambda p, s: 0,
                flops=lambda p, s, o: 0, input_dtype="any", batch="anywhere"))

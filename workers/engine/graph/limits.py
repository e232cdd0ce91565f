"""The resource limits one document may use, checked before anything is allocated.

Validation and compilation share them, so that what validates also compiles:
the size of the document (nodes, edges), the parameters it declares, the bytes
of weights compiling it allocates, and the activation memory of one sample.
The report and the errors stay small and JSON-safe whatever the graph.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..schema import error

DEFAULT_PARAMS = 2e9  # parameters a model may declare (validate_graph's param_budget)
DEFAULT_ALLOC = 4 * 2**30  # bytes of weights compile_graph may allocate (1e9 float32)
DEFAULT_MEMORY = 8 * 2**30  # bytes of activations per sample (every node's outputs)
DEFAULT_MAX_NODES = 10_000
EDGES_PER_NODE = 8  # a document may hold this many edges per node it may hold
MAX_ERRORS = 100  # errors reported for one document; the rest are counted
SAFE_INT = 2**53  # larger integers become floats in the report (JSON, JavaScript)
MAX_DIM = 2**40  # no tensor dim may be larger, whatever the budgets (shapes stay exact)


class Stop(Exception):
    """A budget is exceeded: inference ends there, with the error already recorded."""


@dataclass(frozen=True)
class Budget:
    params: float = DEFAULT_PARAMS
    alloc_bytes: float = DEFAULT_ALLOC
    memory_bytes: float = DEFAULT_MEMORY


def _gb(n: float) -> str:
    return f"{n / 2**30:.3g} GiB"


def over_budget(budget: Budget, totals: dict, node: str, count: int, memory: int) -> str | None:
    """Why the node that brings the running ``totals`` (params, alloc, memory) there is
    too much, or None."""
    if totals["params"] > budget.params:
        return (f"{node} holds {count:,} parameters, which takes the model to "
                f"{totals['params']:.3g}, over the budget of {budget.params:.3g}; make it "
                f"smaller (or raise the budget)")
    if totals["alloc"] > budget.alloc_bytes:
        return (f"{node} holds {count:,} parameters, which takes the weights to "
                f"{_gb(totals['alloc'])}, over the {_gb(budget.alloc_bytes)} that compiling "
                f"one graph may allocate; make it smaller")
    if totals["memory"] > budget.memory_bytes:
        return (f"{node} outputs {_gb(memory)} per sample, which takes the activations to "
                f"{_gb(totals['memory'])} per sample, over the budget of "
                f"{_gb(budget.memory_bytes)}; use smaller inputs, strides or channels")
    return None


def size_errors(doc: dict, max_nodes: int) -> list[dict]:
    """Refuse oversized documents before pydantic spends time (and memory) on them."""
    if not isinstance(doc, dict):
        return [error(f"a graph document must be a JSON object, got {type(doc).__name__}")]
    scopes, blocks = [doc], doc.get("blocks")
    if isinstance(blocks, dict):
        scopes += [b for b in blocks.values() if isinstance(b, dict)]
    nodes = edges = 0
    for scope in scopes:
        nodes += len(scope["nodes"]) if isinstance(scope.get("nodes"), list) else 0
        edges += len(scope["edges"]) if isinstance(scope.get("edges"), list) else 0
    if nodes > max_nodes:
        return [error(f"the document has {nodes} nodes; the limit is {max_nodes}",
                      field="nodes")]
    if edges > EDGES_PER_NODE * max_nodes:
        return [error(f"the document has {edges} edges; the limit is "
                      f"{EDGES_PER_NODE * max_nodes}", field="edges")]
    return []


def capped(errors: list[dict]) -> list[dict]:
    """At most MAX_ERRORS errors, then one that says how many more there were."""
    if len(errors) <= MAX_ERRORS:
        return errors
    return errors[:MAX_ERRORS] + [error(f"... and {len(errors) - MAX_ERRORS} more errors; "
                                        f"fix these first")]


def json_number(value):
    """An int as JSON can carry it exactly, or a float (FLOPs of an enormous graph)."""
    return float(value) if isinstance(value, int) and abs(value) >= SAFE_INT else value

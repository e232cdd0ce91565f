"""Compression of trained graphs: structured pruning mapped back to a graph document,
unstructured pruning, int8 quantization, half precision, and their measured report."""
from .mapping import graph_for_pruned
from .structured import PruneError, PruneTarget, prune_structured

__all__ = ["PruneError", "PruneTarget", "graph_for_pruned", "prune_structured"]

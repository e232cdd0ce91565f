"""Netweave's engine: pure PyTorch (no Django, no Celery).

Usable on its own, e.g. from a notebook: ``compile_graph(spec) -> torch.fx.GraphModule``.
The calls and shapes are agreed in docs/contracts.md section 2.
"""
from .exchange import (export_onnx, export_python, export_torchscript, import_module,
                       state_dict_for_graph)
from .graph.api import compile_graph, parse_graph, validate_graph
from .graph.diff import diff_graphs
from .registry import catalogue, get_op, list_ops
from .schema import GraphError, sanitize_id
from .templates import list_templates, load_template

__all__ = ["compile_graph", "parse_graph", "validate_graph", "diff_graphs", "catalogue",
           "get_op", "list_ops", "GraphError", "sanitize_id", "list_templates",
           "load_template", "export_python", "export_torchscript", "export_onnx",
           "import_module", "state_dict_for_graph"]

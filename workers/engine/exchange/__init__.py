"""Export (standalone .py, TorchScript, ONNX) and import (torch.fx trace) of graphs."""
from .binary import export_onnx, export_torchscript
from .fx_import import import_module
from .weight_names import state_dict_for_graph
from .python_source import export_python

__all__ = ["export_python", "export_torchscript", "export_onnx", "import_module",
           "state_dict_for_graph"]

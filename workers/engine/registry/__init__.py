"""The layer registry: the allow-list of ops a graph may name."""
from .core import REQUIRED, OpSpec, Param, Port, catalogue, get_op, list_ops, op_spec, register, register_op
from .params import ParamError, coerce
from .shapes import ShapeError, fmt_shape

__all__ = ["REQUIRED", "OpSpec", "Param", "Port", "catalogue", "get_op", "list_ops", "op_spec",
           "register", "register_op", "ParamError", "coerce", "ShapeError", "fmt_shape"]

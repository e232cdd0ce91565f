"""Op definitions, one module per category; importing this package registers them all."""
from . import (activation, backbones, conv, graph_ops, io, linear, norm, pool,  # noqa: F401
               recurrent, resample, sdpa, swin, tensors)

"""Activations and dropout."""
from __future__ import annotations

from torch import nn

from ..core import register_op
from ..params import Bool, Choice, Float, Int
from ..shapes import ShapeError
from ._helpers import elementwise_flops, simple_module

INPLACE = Bool("inplace", False, "Overwrite the input (saves memory; off when unsure)")
DIM = Int("dim", -1, "Dim to normalise over", min=-8, max=7)

# name, torch class, params (named as torch's arguments), help
ACTIVATIONS = [
    ("ReLU", nn.ReLU, (INPLACE,), "max(0, x)"),
    ("ReLU6", nn.ReLU6, (INPLACE,), "min(max(0, x), 6)"),
    ("LeakyReLU", nn.LeakyReLU, (Float("negative_slope", 0.01, "Slope for x < 0", min=-10,
                                       max=10), INPLACE), "x, or negative_slope * x below 0"),
    ("ELU", nn.ELU, (Float("alpha", 1.0, "Saturation value for x < 0", min=-100, max=100),
                     INPLACE), "Exponential linear unit"),
    ("CELU", nn.CELU, (Float("alpha", 1.0, "Saturation value for x < 0 (not 0)", min=-100,
                                max=100),
                       INPLACE), "Continuously differentiable ELU"),
    ("SELU", nn.SELU, (INPLACE,), "Scaled ELU (self-normalising networks)"),
    ("GELU", nn.GELU, (Choice("approximate", "none", ["none", "tanh"],
                              "Exact or tanh approximation"),), "Gaussian error linear unit"),
    ("SiLU", nn.SiLU, (INPLACE,), "x * sigmoid(x) (swish)"),
    ("Mish", nn.Mish, (INPLACE,), "x * tanh(softplus(x))"),
    ("Hardswish", nn.Hardswish, (INPLACE,), "Piecewise-linear swish (MobileNetV3)"),
    ("Hardsigmoid", nn.Hardsigmoid, (INPLACE,), "Piecewise-linear sigmoid"),
    ("Hardtanh", nn.Hardtanh, (Float("min_val", -1.0, "Lower bound", min=-1e6, max=1e6),
                               Float("max_val", 1.0, "Upper bound", min=-1e6, max=1e6),
                               INPLACE), "Clamps to [min_val, max_val]"),
    ("Sigmoid", nn.Sigmoid, (), "1 / (1 + exp(-x))"),
    ("Tanh", nn.Tanh, (), "Hyperbolic tangent"),
    ("Softsign", nn.Softsign, (), "x / (1 + |x|)"),
    ("Softplus", nn.Softplus, (Float("beta", 1.0, "Sharpness", min=1e-6, max=1e6),
                               Float("threshold", 20.0, "Linear above this", min=0, max=1e6)),
     "Smooth ReLU: log(1 + exp(beta x)) / beta"),
    ("Softmax", nn.Softmax, (DIM,), "Normalises to probabilities over dim"),
    ("LogSoftmax", nn.LogSoftmax, (DIM,), "Log of softmax over dim"),
]


def _dim_checked(p, shapes):
    if "dim" in p and not -len(shapes[0]) <= p["dim"] < len(shapes[0]):
        raise ShapeError(f"has dim={p['dim']} but the input has {len(shapes[0])} dims")
    return shapes[0]


def _hardtanh(p, shapes):
    if p["min_val"] >= p["max_val"]:  # nn.Hardtanh asserts this
        raise ShapeError(f"needs min_val below max_val, got {p['min_val']} and {p['max_val']}")
    return shapes[0]


def _celu(p, shapes):
    if p["alpha"] == 0:  # F.celu divides by alpha and refuses 0
        raise ShapeError("needs alpha other than 0 (CELU divides by it)")
    return shapes[0]


# The checks PyTorch makes beyond each param's own range.
SHAPE_RULES = {"Hardtanh": _hardtanh, "CELU": _celu}


for _name, _cls, _params, _help in ACTIVATIONS:
    simple_module(_name, "Activation", _help, _cls, params=_params,
                  names=tuple(q.name for q in _params),
                  shape=SHAPE_RULES.get(_name, _dim_checked),
                  flops=elementwise_flops(4 if _name in ("Softmax", "LogSoftmax") else 1),
                  input_dtype="float")


def _prelu_shape(p, shapes):
    n = p["num_parameters"]
    if n != 1 and (len(shapes[0]) < 2 or shapes[0][1] != n):
        raise ShapeError(f"has num_parameters={n}, which must be 1 or the input's channels "
                         f"(dim 1)")
    return shapes[0]


@register_op("PReLU", category="Activation", help="Leaky ReLU with a learned slope",
             params=(Int("num_parameters", 1, "1, or one slope per channel", min=1,
                         max=65536),
                     Float("init", 0.25, "Initial slope", min=-10, max=10)),
             shape=_prelu_shape, count=lambda p, s: p["num_parameters"],
             flops=elementwise_flops(2))
def prelu(p, shapes):
    return nn.PReLU(p["num_parameters"], init=p["init"])


P_DROP = Float("p", 0.5, "Probability of zeroing an element", min=0, max=1)
for _name, _rank, _layout in (("Dropout", None, ""), ("AlphaDropout", None, ""),
                              ("Dropout1d", (3,), "(N, C, L)"),
                              ("Dropout2d", (4,), "(N, C, H, W)"),
                              ("Dropout3d", (5,), "(N, C, D, H, W)")):
    simple_module(_name, "Dropout", f"{_name}: zeroes elements at random while training",
                  getattr(nn, _name), params=(P_DROP, INPLACE), names=("p", "inplace"),
                  rank=_rank,
                  layout=_layout, flops=elementwise_flops(1))


def _stochastic_depth(p, mode):
    from torchvision.ops import StochasticDepth  # torchvision loads only when one is built
    return StochasticDepth(p, mode)


simple_module("StochasticDepth", "Dropout",
              "Drops whole residual branches at random while training (EfficientNet, "
              "ConvNeXt); 'row' drops per sample, 'batch' all at once", _stochastic_depth,
              params=(P_DROP, Choice("mode", "row", ["row", "batch"], "Per sample or whole batch")),
              names=("p", "mode"), flops=elementwise_flops(1))

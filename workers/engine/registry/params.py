"""Param spec shorthands for op modules, and the checks that turn JSON values into params.

``coerce`` returns the value in the type the builder expects or raises
``ParamError`` with the allowed range, so the error names the field and says
what would be accepted.
"""
from __future__ import annotations

from .core import REQUIRED, Param

INT_MAX = 2**31 - 1


class ParamError(ValueError):
    """A param value out of its type or range; the message says what is allowed."""


def Int(name, default=REQUIRED, help="", min=None, max=INT_MAX, nullable=False):
    return Param(name, "int", default, help, min, max, nullable=nullable)


def Float(name, default=REQUIRED, help="", min=None, max=None, nullable=False):
    return Param(name, "float", default, help, min, max, nullable=nullable)


def Bool(name, default, help=""):
    return Param(name, "bool", default, help)


def Choice(name, default, choices, help=""):
    return Param(name, "choice", default, help, choices=tuple(choices))


def Ints(name, default=REQUIRED, help="", min=0, max=INT_MAX, nullable=False):
    """An int, or a list of ints (one per spatial dimension)."""
    return Param(name, "ints", default, help, min, max, nullable=nullable)


def Shape(name, default=REQUIRED, help="", min=-1, max=INT_MAX):
    return Param(name, "shape", default, help, min, max)


def Values(name, help=""):
    """The full contents of a tensor, flat in row-major order (null: none given)."""
    return Param(name, "values", None, help, nullable=True)


def Str(name, default="", help=""):
    return Param(name, "str", default, help)


def Path(name, help=""):
    return Param(name, "path", None, help, nullable=True)


def Inferred(name, help, type="int"):
    """Filled from the input shape by the op's ``infer``; a value a person sets must agree."""
    return Param(name, type, None, help, 1, INT_MAX, inferred=True, nullable=True)


def _range(p: Param) -> str:
    if p.min is not None and p.max is not None:
        return f" between {_num(p.min)} and {_num(p.max)}"
    if p.min is not None:
        return f" >= {_num(p.min)}"
    if p.max is not None:
        return f" <= {_num(p.max)}"
    return ""


def _num(x):
    return int(x) if float(x).is_integer() else x


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _int(p: Param, value) -> int:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParamError(f"{p.name} must be an integer{_range(p)}, got {_show(value)}")
    if (p.min is not None and value < p.min) or (p.max is not None and value > p.max):
        raise ParamError(f"{p.name} must be an integer{_range(p)}, got {value}")
    return value


def _float(p: Param, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise ParamError(f"{p.name} must be a number{_range(p)}, got {_show(value)}")
    if (p.min is not None and value < p.min) or (p.max is not None and value > p.max):
        raise ParamError(f"{p.name} must be a number{_range(p)}, got {value}")
    return float(value)


def _ints(p: Param, value):
    if isinstance(value, list) and len(value) == 1:
        return _int(p, value[0])  # [3] means 3, as one size for every dim
    if isinstance(value, list) and 2 <= len(value) <= 8:
        return tuple(_int(p, v) for v in value)
    if isinstance(value, list):
        raise ParamError(f"{p.name} must be an integer or a list of 1 to 8 integers, "
                         f"got {_show(value)}")
    return _int(p, value)


def _shape(p: Param, value) -> tuple:
    if not isinstance(value, list) or len(value) > 8:
        raise ParamError(f"{p.name} must be a list of at most 8 integers{_range(p)}, "
                         f"got {_show(value)}")
    return tuple(_int(p, v) for v in value)


MAX_VALUES = 2**20  # numbers one param may hold (a relative-position index, an attention mask)


def _values(p: Param, value) -> tuple:
    if not isinstance(value, list) or len(value) > MAX_VALUES or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and v == v for v in value):
        raise ParamError(f"{p.name} must be a list of at most {MAX_VALUES} numbers, "
                         f"got {_show(value)}")
    return tuple(value)


def _str(p: Param, value) -> str:
    if not isinstance(value, str) or len(value) > 1024 or "\x00" in value:
        raise ParamError(f"{p.name} must be a text of at most 1024 characters, "
                         f"got {_show(value)}")
    return value


def _bool(p: Param, value) -> bool:
    if not isinstance(value, bool):
        raise ParamError(f"{p.name} must be true or false, got {_show(value)}")
    return value


def _choice(p: Param, value):
    if not p.choices or value not in p.choices:
        allowed = ", ".join(repr(c) for c in p.choices or ())
        raise ParamError(f"{p.name} must be one of {allowed}, got {_show(value)}")
    return value


_COERCE = {"int": _int, "float": _float, "ints": _ints, "shape": _shape, "str": _str,
           "path": _str, "bool": _bool, "choice": _choice, "values": _values}


def coerce(p: Param, value):
    if value is None and (p.nullable or p.inferred):
        return None
    if value is None:
        raise ParamError(f"{p.name} must be set")
    return _COERCE[p.type](p, value)

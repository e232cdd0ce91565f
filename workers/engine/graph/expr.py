"""Expressions in params: ``"=width * 2"`` over graph variables and block params.

Numbers, names, ``+ - * / // %``, unary minus and parentheses, nothing else:
the text is parsed with ``ast`` and walked here; it is never evaluated by Python.
"""
from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from typing import Any

MAX_LENGTH = 200
MAX_MAGNITUDE = 1e15  # keeps a chain of multiplications from building huge ints

_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {ast.USub: operator.neg, ast.UAdd: operator.pos}


class ExprError(ValueError):
    """An expression that is malformed or names something undefined."""


def is_expr(value) -> bool:
    return isinstance(value, str) and value.startswith("=")


def evaluate(text: str, env: dict):
    """Value of ``text`` (with its leading '='); integral results come back as ints."""
    source = text[1:].strip()
    if len(source) > MAX_LENGTH:
        raise ExprError(f"expression longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError:
        raise ExprError(f"cannot read expression {text!r}: use numbers, names, "
                        f"+ - * / // % and parentheses") from None
    value = _walk(tree.body, env, text)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _walk(node, env: dict, text: str):
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return _bounded(node.value, text)
    if isinstance(node, ast.Name):
        if node.id not in env:
            known = ", ".join(sorted(env)) or "none"
            raise ExprError(f"expression {text!r} uses {node.id!r}, which is not defined "
                            f"(variables and block params: {known})")
        value = env[node.id]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return value if _lone(node, text) else _not_number(node.id, value, text)
        return _bounded(value, text)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _walk(node.left, env, text), _walk(node.right, env, text)
        _numbers(text, left, right)
        try:
            return _bounded(_BINARY[type(node.op)](left, right), text)
        except ZeroDivisionError:
            raise ExprError(f"expression {text!r} divides by zero") from None
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        value = _walk(node.operand, env, text)
        _numbers(text, value)
        return _UNARY[type(node.op)](value)
    raise ExprError(f"expression {text!r} may only use numbers, names, + - * / // % and "
                    f"parentheses")


def _lone(node, text: str) -> bool:
    # '=act' may pass a non-number value (e.g. a string choice) through unchanged.
    return text[1:].strip() == node.id


def _not_number(name, value, text):
    raise ExprError(f"expression {text!r} does arithmetic on {name!r}, which is "
                    f"{value!r}, not a number")


def _numbers(text: str, *values) -> None:
    for value in values:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ExprError(f"expression {text!r} does arithmetic on {value!r}")


def _bounded(value, text: str):
    if abs(value) > MAX_MAGNITUDE:
        # An int past a float's range cannot be formatted with :g (OverflowError).
        shown = f"{value:.3g}" if isinstance(value, float) or value.bit_length() < 1000 else \
            f"a number of about {int(value.bit_length() * 0.30103) + 1:,} digits"
        raise ExprError(f"expression {text!r} gives {shown}, beyond {MAX_MAGNITUDE:.0e}")
    return value


def resolve(value, env: dict):
    """A param value with its expressions evaluated (lists one level deep)."""
    if is_expr(value):
        return evaluate(value, env)
    if isinstance(value, list):
        return [evaluate(v, env) if is_expr(v) else v for v in value]
    return value

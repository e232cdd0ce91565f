"""Query parameters read through DRF fields: a bad value is a 400 naming the parameter.

`str.isdigit()` accepts "²" and numbers of any length, which then broke
`int()` or overflowed PostgreSQL's bigint as a 500; the fields here bound
the length and the range instead.
"""
from __future__ import annotations

from rest_framework import serializers

from designer.core.errors import InputProblem, error

# Ids and offsets are PostgreSQL bigints.
BIGINT_MAX = 2**63 - 1


def _problem(name: str, exc: serializers.ValidationError) -> InputProblem:
    messages = exc.detail if isinstance(exc.detail, list) else [exc.detail]
    return InputProblem([error(f"?{name}=: {message}", field=name) for message in messages])


def query_int(params, name: str, default: int | None = None, *, min_value: int = 0,
              max_value: int = BIGINT_MAX) -> int | None:
    """An integer parameter within [min_value, max_value]; `default` when absent or empty."""
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    field = serializers.IntegerField(min_value=min_value, max_value=max_value)
    try:
        return field.run_validation(raw)
    except serializers.ValidationError as exc:
        raise _problem(name, exc) from None


def query_ids(params, name: str, most: int) -> list[int]:
    """1 to `most` ids, comma separated, duplicates dropped, in the order given."""
    raw = [r for r in params.get(name, "").split(",") if r]
    if not raw or len(raw) > most:
        raise InputProblem([error(f"?{name}= must be 1 to {most} ids, comma separated", field=name)])
    field = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=BIGINT_MAX))
    try:
        return list(dict.fromkeys(field.run_validation(raw)))
    except serializers.ValidationError as exc:
        index, messages = next(iter(exc.detail.items()))
        raise InputProblem([error(f"?{name}= item {index + 1}: {messages[0]}", field=name)]) from None

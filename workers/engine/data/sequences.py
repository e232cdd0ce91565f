"""Sequence datasets: built-in tasks a sequence model must remember, and CSV time series.

Every sequence dataset is ``(N, T, F)``: N sequences of T time steps with F
features each, float32, batch-first like the recurrent layers. The built-in
tasks are drawn with NumPy from ``options.seed`` and need no download:

- ``parity``: T random bits; the class is their parity (XOR). Nothing short of
  remembering every bit solves it: a hard memory test.
- ``adding``: the adding problem (Hochreiter & Schmidhuber): feature 0 holds
  random values, feature 1 marks two steps; the target (regression) is the
  sum of the two marked values.
- ``frequency``: a noisy sine wave whose frequency is one of ``classes``
  bands, random phase and amplitude; the class is the band.

Variable length: a sequence model here sees fixed-length tensors. Uploaded
sequences shorter than the longest are *left*-padded with zeros (Keras'
``pad_sequences`` default, "pre"), so an LSTM/GRU reading the last step
(``mode: last``) ends on real data; longer ones are cut to their last
``length`` steps when that option is set. ``mask: true`` adds a last feature
that is 1 on real steps and 0 on padding, so a model can tell them apart.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .base import DatasetBundle, DatasetError, bundle_from_arrays, float_option, int_option
from .registry import register_dataset
from .uploads import _csv_rows, _is_number as _number, _label_encode


def _rng(options: dict[str, Any]) -> np.random.Generator:
    return np.random.default_rng(int_option(options, "seed", 0, 0, 2**31 - 1))


def _classes(kind: str, x: np.ndarray, y: np.ndarray, options: dict[str, Any], n: int,
             **extra: Any) -> DatasetBundle:
    return bundle_from_arrays(kind, kind, "classification", x.astype(np.float32),
                              y.astype(np.int64), options, num_classes=n,
                              classes=[str(c) for c in range(n)], sequence=True, **extra)


@register_dataset("parity", task="classification", source="builtin",
                  help="Sequences of random bits (N, length, 1); class = their parity. "
                       "Options n_samples, length, seed")
def load_parity(path: str | None, options: dict[str, Any]) -> DatasetBundle:
    n = int_option(options, "n_samples", 4000, 10, 10**6)
    length = int_option(options, "length", 8, 1, 4096)
    bits = _rng(options).integers(0, 2, (n, length))
    # Bits as -1/+1: zero-mean inputs train faster than 0/1.
    return _classes("parity", (2.0 * bits - 1)[:, :, None], bits.sum(1) % 2, options, 2)


@register_dataset("adding", task="regression", source="builtin",
                  help="The adding problem (N, length, 2): values and two markers; target = "
                       "sum of the marked values. Options n_samples, length, seed")
def load_adding(path: str | None, options: dict[str, Any]) -> DatasetBundle:
    n = int_option(options, "n_samples", 4000, 10, 10**6)
    length = int_option(options, "length", 32, 2, 4096)
    rng = _rng(options)
    values = rng.uniform(0, 1, (n, length))
    marks = np.zeros((n, length))
    # One marker in each half, as in the original task.
    first = rng.integers(0, length // 2, n)
    second = rng.integers(length // 2, length, n)
    rows = np.arange(n)
    marks[rows, first] = marks[rows, second] = 1
    target = values[rows, first] + values[rows, second]
    x = np.stack([values, marks], axis=2).astype(np.float32)
    return bundle_from_arrays("adding", "adding", "regression", x,
                              target.astype(np.float32)[:, None], options, sequence=True)


@register_dataset("frequency", task="classification", source="builtin",
                  help="Noisy sine waves (N, length, 1); class = frequency band. "
                       "Options n_samples, length, classes, noise, seed")
def load_frequency(path: str | None, options: dict[str, Any]) -> DatasetBundle:
    n = int_option(options, "n_samples", 2000, 10, 10**6)
    length = int_option(options, "length", 64, 8, 4096)
    classes = int_option(options, "classes", 4, 2, 16)
    noise = float_option(options, "noise", 0.3, 0, 10)
    rng = _rng(options)
    y = np.arange(n) % classes
    # Bands of cycles per sequence, spaced so that neighbours overlap a little.
    cycles = 1.5 + 2.0 * y + rng.uniform(-0.5, 0.5, n)
    t = np.arange(length) / length
    phase = rng.uniform(0, 2 * np.pi, (n, 1))
    amplitude = rng.uniform(0.5, 1.5, (n, 1))
    x = amplitude * np.sin(2 * np.pi * cycles[:, None] * t + phase) + rng.normal(0, noise, (n, length))
    return _classes("frequency", x[:, :, None], y, options, classes)


# -- uploads: CSV of time series (long format) ------------------------------

def pad_sequences(seqs: list[np.ndarray], length: int | None = None,
                  mask: bool = False) -> np.ndarray:
    """Stack ``(T_i, F)`` arrays into ``(N, T, F)``: left-padded with zeros, cut to the last ``length``."""
    length = length or max(len(s) for s in seqs)
    features = seqs[0].shape[1]
    out = np.zeros((len(seqs), length, features + int(mask)), dtype=np.float32)
    for i, seq in enumerate(seqs):
        seq = seq[-length:]
        out[i, length - len(seq):, :features] = seq
        if mask:
            out[i, length - len(seq):, features] = 1
    return out


def _columns(header: list[str], options: dict[str, Any]) -> tuple[int, int, int | None]:
    def find(option: str, default: str | None) -> int | None:
        name = options.get(option, default)
        if name is None:
            return None
        if name not in header:
            raise DatasetError(f"{option} column {name!r} is not in the header ({', '.join(header)})",
                               field=f"options.{option}")
        return header.index(name)

    def required(option: str, default: str) -> int:
        index = find(option, default)
        if index is None:
            raise DatasetError(f"{option} must name a column of the header ({', '.join(header)})",
                               field=f"options.{option}")
        return index

    return required("id", "id"), required("target", "label"), find("time", None)


def _read_series(rows: list[list[str]], header: list[str], cols: tuple[int, int, int | None]):
    """``{id: (label, [(time, [features])])}`` in file order, every cell checked."""
    ident, target, time = cols
    skip = {ident, target} | ({time} if time is not None else set())
    series: dict[str, tuple[str, list]] = {}
    for line, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise DatasetError(f"line {line} has {len(row)} cells; the header has {len(header)}",
                               field="path")
        try:
            values = [float(row[c]) for c in range(len(header)) if c not in skip]
            stamp = float(row[time]) if time is not None else line
        except ValueError:
            bad = next(c for c in range(len(header)) if (c not in skip or c == time)
                       and not _number(row[c]))
            raise DatasetError(f"column {header[bad]!r} is not numeric: {row[bad]!r} on line {line}",
                               field=header[bad]) from None
        key, label = row[ident].strip(), row[target].strip()
        entry = series.setdefault(key, (label, []))
        if entry[0] != label:
            raise DatasetError(f"sequence {key!r} has two labels ({entry[0]!r} and {label!r}); "
                               f"line {line}", field=header[target])
        entry[1].append((stamp, values))
    return series


def load_sequence_csv(path: str | None, options: dict[str, Any]) -> DatasetBundle:
    """A CSV upload with ``layout: "sequences"``: one row per time step (long format).

    Columns: ``id`` (which sequence), ``label`` (its class or value, the same
    on each of its rows), an optional ``time`` column to order the steps (file
    order otherwise), every other column a numeric feature.
    """
    rows = _csv_rows(path, options)  # size, encoding, delimiter and column limits checked there
    header = [h.strip() for h in rows[0]]
    cols = _columns(header, options)
    if len(header) - len({c for c in cols if c is not None}) < 1:
        raise DatasetError("the CSV has no feature column besides id, label and time", field="path")
    series = _read_series(rows[1:], header, cols)
    if len(series) < 2:
        raise DatasetError(f"the CSV holds {len(series)} sequence(s); at least two are needed",
                           field="path")
    length = options.get("length")
    if length is not None and not (isinstance(length, int) and 1 <= length <= 100_000):
        raise DatasetError("length must be an integer in [1, 100000]", field="options.length")
    seqs = [np.asarray([v for _, v in sorted(steps, key=lambda s: s[0])], np.float32)
            for _, steps in series.values()]
    x = pad_sequences(seqs, length, bool(options.get("mask", False)))
    if not np.isfinite(x).all():
        raise DatasetError("the CSV has NaN or infinite values", field="path")
    labels = [label for label, _ in series.values()]
    shortest, longest = min(map(len, seqs)), max(map(len, seqs))
    if options.get("task") == "regression":
        if not all(_number(v) for v in labels):
            raise DatasetError("labels must be numeric for regression", field=header[cols[1]])
        return bundle_from_arrays("csv", "csv", "regression", x, np.asarray(labels, np.float32)[:, None],
                                  options, sequence=True, min_length=shortest, max_length=longest)
    y, classes = _label_encode(labels)
    return bundle_from_arrays("csv", "csv", "classification", x, y, options, num_classes=len(classes),
                              classes=classes, sequence=True, min_length=shortest, max_length=longest)

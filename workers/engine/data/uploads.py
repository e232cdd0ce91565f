"""Uploaded datasets: CSV tables, zips of image folders, NPZ arrays.

Uploads come from people, so each reader checks before it trusts: a size
limit, zip entries that would escape the folder, files that are not what
they claim (magic bytes), non-numeric cells (named by column and line), and
``np.load(allow_pickle=False)``.
"""
from __future__ import annotations

import csv
import io
import math
import os
import stat
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from .base import DatasetBundle, DatasetError, bundle_from_arrays
from .registry import register_dataset

MAX_UPLOAD_BYTES = int(os.environ.get("NETWEAVE_UPLOAD_MAX_BYTES", 200 * 2**20))
MAX_UNPACKED_BYTES = 4 * MAX_UPLOAD_BYTES  # a zip bomb stops here
MAX_IMAGE_PIXELS = 4096 * 4096
MAX_CSV_COLUMNS = 10_000
IMAGE_MAGIC = {b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpeg", b"GIF87a": "gif",
               b"GIF89a": "gif", b"BM": "bmp"}


def _check_size(path: str | None) -> Path:
    file = Path(path or "")
    if not file.is_file():
        raise DatasetError(f"uploaded file {path!r} does not exist", field="path")
    if file.stat().st_size > MAX_UPLOAD_BYTES:
        raise DatasetError(f"the upload is {file.stat().st_size:,} bytes; the limit is "
                           f"{MAX_UPLOAD_BYTES:,}", field="path")
    return file


def _label_encode(values: list[str] | np.ndarray) -> tuple[np.ndarray, list[str]]:
    classes = sorted({str(v) for v in values}, key=lambda c: (len(c), c))
    lookup = {c: i for i, c in enumerate(classes)}
    return np.array([lookup[str(v)] for v in values], dtype=np.int64), classes


def _standardise(bundle: DatasetBundle) -> DatasetBundle:
    """Z-score features with the *training* split's statistics (no leakage)."""
    mean = bundle.train.x.mean(dim=0)
    std = bundle.train.x.std(dim=0).clamp_min(1e-8) if len(bundle.train) > 1 \
        else bundle.train.x.new_ones(mean.shape)
    for split in (bundle.train, bundle.val, bundle.test):
        split.x = (split.x - mean) / std
    bundle.extra["normalization"] = {"mean": mean.tolist(), "std": std.tolist()}
    return bundle


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _csv_rows(path: str | None, options: dict[str, Any]) -> list[list[str]]:
    delimiter = options.get("delimiter", ",")
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in "\r\n\"":
        raise DatasetError(f"delimiter must be one character (not a quote or a line break), got "
                           f"{delimiter!r}", field="options.delimiter")
    raw = _check_size(path).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DatasetError(f"the CSV is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset "
                           f"{exc.start:,}); save it as UTF-8", field="path") from None
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader, [])
        if len(header) > MAX_CSV_COLUMNS:
            raise DatasetError(f"the CSV has {len(header):,} columns; the limit is {MAX_CSV_COLUMNS:,}",
                               field="path")
        rows = [header, *reader]
    except csv.Error as exc:
        raise DatasetError(f"the CSV cannot be read: {exc}", field="path") from None
    if len(rows) < 2:
        raise DatasetError("the CSV needs a header line and at least one data line", field="path")
    return rows


@register_dataset("csv", task="classification", source="upload",
                  help="CSV with a header; options target (column, default last), task, normalize, delimiter; "
                       "layout \"sequences\" for time series (id, label, time columns)")
def load_csv(path: str | None, options: dict[str, Any]) -> DatasetBundle:
    if options.get("layout") == "sequences":  # one row per time step: see sequences.py
        from .sequences import load_sequence_csv
        return load_sequence_csv(path, options)
    rows = _csv_rows(path, options)
    header = [h.strip() for h in rows[0]]
    target = options.get("target", header[-1])
    if target not in header:
        raise DatasetError(f"target column {target!r} is not in the header ({', '.join(header)})",
                           field="options.target")
    t = header.index(target)
    features, labels = [], []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue  # a blank line, often the last one
        if len(row) != len(header):
            raise DatasetError(f"line {line} has {len(row)} cells; the header has {len(header)}",
                               field="path")
        values = []
        for col, cell in enumerate(row):
            if col == t:
                continue
            if not _is_number(cell):
                raise DatasetError(f"column {header[col]!r} is not numeric: {cell!r} on line {line}"
                                   " (remove the column or encode it as numbers)", field=header[col])
            values.append(float(cell))
        features.append(values)
        labels.append(row[t].strip())
    x = np.asarray(features, dtype=np.float32)
    if not np.isfinite(x).all():
        raise DatasetError("the CSV has NaN or infinite values", field="path")
    numeric = all(_is_number(v) for v in labels)
    task = options.get("task") or ("regression" if numeric and not all(
        float(v).is_integer() for v in labels) else "classification")
    if task == "regression":
        if not numeric:
            raise DatasetError(f"target {target!r} must be numeric for regression", field="options.target")
        bundle = bundle_from_arrays("csv", "csv", task, x, np.asarray(labels, np.float32)[:, None],
                                    options, target=target, features=header[:t] + header[t + 1:])
    else:
        y, classes = _label_encode(labels)
        bundle = bundle_from_arrays("csv", "csv", "classification", x, y, options,
                                    num_classes=len(classes), classes=classes, target=target,
                                    features=header[:t] + header[t + 1:])
    return _standardise(bundle) if options.get("normalize", True) else bundle


def _safe_parts(info: zipfile.ZipInfo) -> tuple[str, ...] | None:
    """The entry's path parts, ``None`` for entries to skip; raise for escaping ones."""
    name = info.filename
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise DatasetError(f"zip entry {name!r} is a symbolic link; links are refused", field="path")
    if "\\" in name or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise DatasetError(f"zip entry {name!r} has an absolute or Windows path", field="path")
    parts = PurePosixPath(name).parts
    if ".." in parts:
        raise DatasetError(f"zip entry {name!r} would escape the folder", field="path")
    if info.is_dir() or parts[0] == "__MACOSX" or parts[-1].startswith("."):
        return None
    return parts


def _zip_images(zf: zipfile.ZipFile) -> list[tuple[str, zipfile.ZipInfo]]:
    """``(class, entry)`` for each image; the layout is ``[top/]<class>/<image>``."""
    entries = [(p, i) for i in zf.infolist() if (p := _safe_parts(i)) is not None]
    if sum(i.file_size for _, i in entries) > MAX_UNPACKED_BYTES:
        raise DatasetError(f"the zip unpacks to more than {MAX_UNPACKED_BYTES:,} bytes", field="path")
    tops = {p[0] for p, _ in entries}
    if len(tops) == 1 and all(len(p) == 3 for p, _ in entries):
        entries = [(p[1:], i) for p, i in entries]  # one enclosing folder
    for parts, info in entries:
        if len(parts) != 2:
            raise DatasetError(f"zip entry {info.filename!r} is not <class>/<image>: put each "
                               "class's images in one folder named after the class", field="path")
    return [(p[0], i) for p, i in entries]


def _open_image(zf: zipfile.ZipFile, info: zipfile.ZipInfo):
    """The entry as a PIL image whose header is read and checked, its pixels not yet decoded."""
    from PIL import Image

    try:
        data = zf.read(info)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:  # a bad CRC, a damaged entry
        raise DatasetError(f"zip entry {info.filename!r} is damaged: {exc}", field="path") from None
    if not any(data.startswith(magic) for magic in IMAGE_MAGIC) and not (
            data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        raise DatasetError(f"zip entry {info.filename!r} is not a PNG, JPEG, GIF, BMP or WebP "
                           "image", field="path")
    try:
        image = Image.open(io.BytesIO(data))
    except Exception as exc:  # PIL raises many types for broken files
        raise DatasetError(f"image {info.filename!r} cannot be read: {exc}", field="path") from None
    if image.width * image.height > MAX_IMAGE_PIXELS:
        raise DatasetError(f"image {info.filename!r} is {image.width}x{image.height}; the "
                           f"limit is {MAX_IMAGE_PIXELS:,} pixels", field="path")
    return image


def _pixels(image, name: str, mode: str, size: list[int]) -> np.ndarray:
    """Decode one image and shrink it to `size` at once: one full-size image in memory at a time."""
    try:
        return np.asarray(image.convert(mode).resize((size[1], size[0])))
    except Exception as exc:
        raise DatasetError(f"image {name!r} cannot be read: {exc}", field="path") from None
    finally:
        image.close()  # frees the decoded full-size pixels


@register_dataset("image_zip", task="classification", source="upload",
                  help="Zip of a folder with one sub-folder of images per class; options size [H, W], channels")
def load_image_zip(path: str | None, options: dict[str, Any]) -> DatasetBundle:
    size = options.get("size", [32, 32])
    if not (isinstance(size, list) and len(size) == 2 and all(isinstance(s, int) and 1 <= s <= 1024 for s in size)):
        raise DatasetError("size must be [height, width], each 1..1024", field="options.size")
    try:
        zf = zipfile.ZipFile(_check_size(path))
    except zipfile.BadZipFile:
        raise DatasetError("the upload is not a zip file", field="path") from None
    with zf:
        entries = _zip_images(zf)
        if len({c for c, _ in entries}) < 2:
            raise DatasetError("the zip needs at least two class folders", field="path")
        # Headers first (mode and size, no pixels): decoding every image at
        # full size before shrinking any let small PNGs fill gigabytes.
        images = [_open_image(zf, info) for _, info in entries]
        gray = all(im.mode in ("1", "L", "LA", "I;16") for im in images)
        channels = options.get("channels", 1 if gray else 3)
        if channels not in (1, 3):
            raise DatasetError("channels must be 1 or 3", field="options.channels")
        if len(images) * size[0] * size[1] * channels > MAX_UNPACKED_BYTES:
            raise DatasetError(f"{len(images):,} images of {size[0]}x{size[1]}x{channels} make more than "
                               f"{MAX_UNPACKED_BYTES:,} bytes; choose a smaller size", field="options.size")
        mode = "L" if channels == 1 else "RGB"
        pixels = [_pixels(im, info.filename, mode, size) for im, (_, info) in zip(images, entries)]
    x = np.stack(pixels).reshape(len(pixels), size[0], size[1], channels).transpose(0, 3, 1, 2)
    y, classes = _label_encode([c for c, _ in entries])
    return bundle_from_arrays("image_zip", "image_zip", "classification", x, y, options,
                              num_classes=len(classes), classes=classes, scale=1 / 255)


def _check_declared_arrays(file: Path) -> None:
    """Refuse an npz whose arrays would unpack too large, from their .npy headers
    alone (shape and dtype): a 1 MB file of zeros may declare gigabytes."""
    total = 0
    try:
        with zipfile.ZipFile(file) as zf:
            for info in zf.infolist():
                with zf.open(info) as fh:
                    version = np.lib.format.read_magic(fh)
                    read = {(1, 0): np.lib.format.read_array_header_1_0,
                            (2, 0): np.lib.format.read_array_header_2_0}.get(version)
                    if read is None:
                        raise DatasetError(f"array {info.filename!r} is in .npy format {version}; "
                                           "save it with numpy.savez", field="path")
                    shape, _, dtype = read(fh)
                # As float32 at least: x is converted after loading.
                total += math.prod(shape) * max(dtype.itemsize, 4)
    except DatasetError:
        raise
    except (ValueError, OSError, zipfile.BadZipFile) as exc:
        raise DatasetError(f"the upload is not a readable npz: {exc}", field="path") from None
    if total > MAX_UNPACKED_BYTES:
        raise DatasetError(f"the npz's arrays unpack to {total:,} bytes; the limit is "
                           f"{MAX_UNPACKED_BYTES:,}", field="path")


@register_dataset("npz", task="classification", source="upload",
                  help="NumPy .npz with arrays x (samples first) and y; integer y = classes")
def load_npz(path: str | None, options: dict[str, Any]) -> DatasetBundle:
    checked = _check_size(path)
    if not zipfile.is_zipfile(checked):  # np.load would call anything else "pickled data"
        raise DatasetError("the upload is not an .npz file (a zip of .npy arrays, as numpy.savez "
                           "writes it)", field="path")
    _check_declared_arrays(checked)
    try:
        with np.load(checked, allow_pickle=False) as npz:
            missing = [k for k in ("x", "y") if k not in npz.files]
            if missing:
                raise DatasetError(f"the npz lacks array(s) {', '.join(missing)}; it has "
                                   f"{', '.join(npz.files) or 'none'}", field="path")
            x, y = npz["x"], npz["y"]
    except (ValueError, OSError, zipfile.BadZipFile) as exc:
        raise DatasetError(f"the upload is not a readable npz without pickled objects: {exc}",
                           field="path") from None
    if x.dtype.kind not in "biuf" or y.dtype.kind not in "biuf":
        raise DatasetError("x and y must be numeric arrays", field="path")
    if len(x) == 0:
        raise DatasetError("the npz has no samples (x is empty)", field="path")
    if x.ndim < 2 or len(x) != len(y):
        raise DatasetError(f"x must be [samples, ...] and y [samples]; got {x.shape} and {y.shape}",
                           field="path")
    x = x.astype(np.float32)
    if not np.isfinite(x).all():
        raise DatasetError("x has NaN or infinite values", field="path")
    task = options.get("task") or ("classification" if y.dtype.kind in "biu" else "regression")
    if task == "regression":
        target = y.astype(np.float32).reshape(len(y), -1)
        return bundle_from_arrays("npz", "npz", task, x, target, options)
    if y.ndim != 1 or y.dtype.kind not in "biu" or (len(y) and y.min() < 0):
        raise DatasetError("for classification y must be 1-D non-negative integers", field="path")
    n_classes = int(y.max()) + 1
    return bundle_from_arrays("npz", "npz", task, x, y.astype(np.int64), options,
                              num_classes=n_classes, classes=[str(c) for c in range(n_classes)])

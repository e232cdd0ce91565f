"""What folding repeated submodules into blocks costs the import, and what it saves the
reader: ``import_module(..., blocks=True)`` against ``blocks=False`` (baseline, the flat
import) in the same run, over the torchvision classification zoo (built on the meta device
at 224x224, as the API imports them) and the timm models of tests/engine/exchange/test_timm.py.

Printed per model: top-level nodes flat and with blocks, block definitions and uses, and
the import time of each; then the medians and the worst ratio. One round per model,
interleaved (flat first).

Run: OMP_NUM_THREADS=1 .venv/bin/python benches/bench_import_blocks.py [NAME ...]
(names such as ``maxvit_t`` or ``timm/levit_128s`` run only those)
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import torch
from torchvision import models

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "engine" / "exchange"))
from workers.engine import import_module  # noqa: E402
from test_zoo import meta_model  # noqa: E402


def clock(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def cases(only: set):
    for name in models.list_models(module=models):
        if only and name not in only:
            continue
        size = 299 if name == "inception_v3" else 224
        if name.startswith("vit"):
            with torch.device("meta"):
                model = models.get_model(name, weights=None).eval()
        else:
            model = meta_model(name).to("meta")
        yield name, model, torch.empty(1, 3, size, size, device="meta")
    try:
        import timm
        from test_timm import MODELS
    except ImportError:
        return
    for name, (size, kwargs) in MODELS.items():
        if only and f"timm/{name}" not in only:
            continue
        torch.manual_seed(0)
        yield f"timm/{name}", timm.create_model(name, pretrained=False, **kwargs).eval(), \
            torch.randn(1, 3, size, size)


def main() -> None:
    torch.set_num_threads(1)
    rows, only = [], set(sys.argv[1:])
    for name, model, x in cases(only):
        flat, t_flat = clock(lambda: import_module(model, x, blocks=False))
        doc, t_blocks = clock(lambda: import_module(model, x))
        uses = sum(n["op"].startswith("block:") for n in doc["nodes"])
        rows.append((name, len(flat["nodes"]), len(doc["nodes"]), t_flat, t_blocks))
        print(f"  {name:36s} nodes {len(flat['nodes']):5d} -> {len(doc['nodes']):5d}  "
              f"blocks {len(doc['blocks']):2d} uses {uses:3d}  import flat "
              f"{t_flat * 1e3:7.1f} ms  with blocks {t_blocks * 1e3:7.1f} ms", flush=True)
    ratio = [r[4] / r[3] for r in rows]
    shrink = [r[2] / r[1] for r in rows]
    folded = sum(r[2] < r[1] for r in rows)
    worst = max(rows, key=lambda r: r[4] / r[3])
    print(f"{len(rows)} models, {folded} with blocks; top-level nodes with blocks / flat: "
          f"median {statistics.median(shrink):.2f}, min {min(shrink):.2f}")
    print(f"import time with blocks / flat (baseline): median {statistics.median(ratio):.2f}, "
          f"max {max(ratio):.2f} ({worst[0]})")


if __name__ == "__main__":
    main()

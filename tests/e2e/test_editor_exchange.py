"""A person imports a graph document file in the browser, sees it on the canvas
and valid, then exports it as Python, TorchScript and ONNX from the editor; the
three files compute the same function."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from tests.e2e.documents import import_graph, small_cnn
from tests.e2e.editor import log_in, wait_validated

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


# Run in a subprocess with the project's interpreter: downloaded code is never run inside the test.
CHECK = """
import importlib.util, json, re, sys
import numpy, onnxruntime, torch
py, pt, onnx_path = sys.argv[1:]
scripted = torch.jit.load(pt).eval()
spec = importlib.util.spec_from_file_location("exported", py)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
name = re.findall(r"^class (\\w+)\\(nn.Module\\)", open(py).read(), re.M)[-1]
model = getattr(module, name)().eval()
model.load_state_dict(scripted.state_dict())
x = torch.randn(3, 1, 8, 8, generator=torch.Generator().manual_seed(0))
with torch.no_grad():
    ref, out = scripted(x), model(x)
session = onnxruntime.InferenceSession(onnx_path)
onnx_out = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
print(json.dumps({"class": name, "shape": list(ref.shape), "py": float((ref - out).abs().max()),
                  "onnx": float(numpy.abs(ref.numpy() - onnx_out).max()), "scale": float(ref.abs().max())}))
"""


def export(page, label: str, folder):
    with page.expect_download() as download:
        page.get_by_label("Export").select_option(label=label)
    path = folder / download.value.suggested_filename
    download.value.save_as(str(path))
    return path


def test_exchange(ada, page, shoot, tmp_path):
    """Import a document file, then export it as .py, .pt and .onnx (screenshots in e2e/exchange/)."""
    log_in(page)
    import_graph(page, "exchange", small_cnn(), tmp_path)
    for node in ["x", "body", "pool", "flat", "fc", "y"]:
        page.locator(f'.react-flow__node[data-id="{node}"]').wait_for()
    assert page.locator(".react-flow__node").count() == 6
    # The file has no positions: the editor lays the nodes out instead of stacking them at 0,0.
    boxes = [page.locator(f'.react-flow__node[data-id="{n}"]').bounding_box() for n in ["x", "body", "pool", "flat", "fc", "y"]]
    assert all(a["y"] + a["height"] <= b["y"] for a, b in zip(boxes, boxes[1:])), boxes
    wait_validated(page, "Valid")
    assert page.locator(".toolbar-title").inner_text().startswith("small-cnn")
    shoot("imported")

    files = {fmt: export(page, label, tmp_path) for fmt, label in
             [("py", "Python (.py)"), ("pt", "TorchScript (.pt)"), ("onnx", "ONNX (.onnx)")]}
    assert [p.name for p in files.values()] == ["small-cnn-v1.py", "small-cnn-v1.pt", "small-cnn-v1.onnx"]
    assert page.locator(".notice").count() == 0, page.locator(".notice").inner_text()
    shoot("exported")

    done = subprocess.run([sys.executable, "-c", CHECK, *map(str, files.values())], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["shape"] == [3, 10]
    assert result["scale"] > 0  # a real output, not zeros
    assert result["py"] <= 1e-5 * max(1.0, result["scale"]), result
    assert result["onnx"] <= 1e-4 * max(1.0, result["scale"]), result
    assert re.fullmatch(r"[A-Z]\w*", result["class"])

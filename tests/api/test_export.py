"""Export a saved version as Python source, TorchScript or ONNX (downloads)."""
import io

import pytest

from tests.api import documents

pytestmark = pytest.mark.django_db


def export(client, graph, fmt, number=1):
    return client.get(f"/api/graphs/{graph.pk}/versions/{number}/export?format={fmt}")


@pytest.mark.parametrize("who, status", [("viewer", 200), ("outsider", 404), ("anonymous", 403)])
def test_it_exports_python_source(clients, graph, who, status):
    response = export(clients[who], graph, "py")
    assert response.status_code == status
    if status == 200:
        assert response["Content-Disposition"] == 'attachment; filename="tiny-v1.py"'
        source = response.content.decode()
        compile(source, "tiny-v1.py", "exec")  # it parses as Python
        assert "forward" in source


def test_it_exports_torchscript_that_loads_and_runs(viewer_client, graph):
    import torch

    response = export(viewer_client, graph, "torchscript")
    assert response.status_code == 200
    module = torch.jit.load(io.BytesIO(response.content))
    assert module(torch.zeros(2, 1, 8, 8)).shape == (2, 10)


def test_it_exports_onnx_that_checks(viewer_client, graph):
    import onnx

    response = export(viewer_client, graph, "onnx")
    assert response.status_code == 200
    model = onnx.load_from_string(response.content)
    onnx.checker.check_model(model)


def test_it_rejects_an_unknown_format(viewer_client, graph):
    response = export(viewer_client, graph, "keras")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "format"


def test_it_refuses_to_export_a_graph_with_shape_errors(editor_client, graph):
    editor_client.post(f"/api/graphs/{graph.pk}/versions", {"document": documents.shape_broken()},
                       format="json")
    response = export(editor_client, graph, "py", number=2)
    assert response.status_code == 400
    assert any(e["node"] == "conv1" for e in response.json()["errors"])


def test_it_explains_an_export_the_format_cannot_hold(viewer_client, graph, monkeypatch):
    # Stands in for an op a format lacks (e.g. an ONNX opset): the engine raises, the API explains.
    import workers.engine

    def refuse(document):
        raise RuntimeError("Exporting the operator 'aten::fancy' to ONNX opset 18 is not supported")

    monkeypatch.setattr(workers.engine, "export_onnx", refuse)
    response = export(viewer_client, graph, "onnx")
    assert response.status_code == 400
    assert "aten::fancy" in response.json()["detail"]

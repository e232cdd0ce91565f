"""What broke a new user's trust in the editor (issue 15), replayed in Chromium:
the ResNet-18 template shows every edge (blocks wired through their `in`/`out`
aliases), a repeat of `=depth` reads `=depth` in the inspector, one unconnected
node keeps the shapes and totals of the rest, undoing back to the saved state
clears "Unsaved changes", and the exported graph document imports to the same graph."""
from __future__ import annotations

import json
import re

import pytest

from tests.e2e.documents import import_graph
from tests.e2e.editor import drop, edge_shapes, log_in, select_node, wait_validated

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.django_db(transaction=True)]

STAGES = ["maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool"]


def open_template(page, project: str, graph: str, title: str) -> None:
    page.get_by_label("New project name").fill(project)
    page.get_by_role("button", name="Create project").click()
    page.get_by_role("button", name="New graph").first.click()
    page.get_by_label("Graph name").fill(graph)
    page.get_by_role("button", name=re.compile(rf"^{title}\b")).click()
    page.wait_for_url(re.compile(r"/graphs/\d+$"))


def drawn_edges(page) -> list[tuple[str, str]]:
    """(source, target) of every edge React Flow drew with a path between two handles."""
    return page.evaluate("""() => [...document.querySelectorAll('.react-flow__edge')]
        .filter(e => e.querySelector('path.react-flow__edge-path')?.getAttribute('d'))
        .map(e => e.dataset.id)""")


def graph_document(page, graph_id: int) -> dict:
    return page.request.get(f"/api/graphs/{graph_id}").json()["document"]


def comparable(doc: dict, layout: bool = False) -> dict:
    """What the compiler reads (and the layout: the editor places nodes a template left unplaced)."""
    def nodes(ns):
        return [n if layout else {k: v for k, v in n.items() if k != "position"} for n in ns]
    return {"name": doc["name"], "variables": doc["variables"], "nodes": nodes(doc["nodes"]), "edges": doc["edges"],
            "blocks": {name: {**b, "nodes": nodes(b["nodes"])} for name, b in doc["blocks"].items()}}


def test_resnet_template_block_aliases_repeat_dangling_node_undo_and_document_export(ada, page, shoot, tmp_path):
    log_in(page)
    open_template(page, "trust", "resnet", "ResNet-18")
    graph_id = int(page.url.rsplit("/", 1)[1])
    document = graph_document(page, graph_id)
    wait_validated(page, "Valid")

    # Bug 1: every edge of the document is drawn, the blocks' `in`/`out` ones too.
    page.wait_for_function("n => document.querySelectorAll('.react-flow__edge path.react-flow__edge-path').length >= n",
                           arg=len(document["edges"]))
    keys = {f"{e['source']}:{e.get('source_port', 'out')}->{e['target']}:{e.get('target_port', 'in')}" for e in document["edges"]}
    assert set(drawn_edges(page)) == keys
    assert {"maxpool:out->layer1:in", "layer1:out->layer2:in", "layer4:out->avgpool:in"} <= keys
    assert len(edge_shapes(page)) == len(document["edges"])
    shoot("resnet-all-edges")

    # Bug 2: the inspector shows the block's repeat as written; bug 1 again: one output, not `y` and `out`.
    select_node(page, "layer1")
    assert page.get_by_test_id("param-repeat").locator("input").input_value() == "=depth"
    facts = page.locator(".facts dt").all_inner_texts()
    assert "y" in facts and "out" not in facts, facts
    params_before = page.get_by_test_id("total-params").inner_text()

    # Bug 5: a dangling node is marked alone; the other shapes and the totals stay.
    drop(page, "ReLU")
    wait_validated(page, "2 errors")
    page.get_by_test_id("errors-relu_1").wait_for()
    assert page.locator(".layer.has-error").count() == 1
    assert page.get_by_test_id("total-params").inner_text() == params_before != "0"
    assert len(edge_shapes(page)) == len(document["edges"])
    assert page.locator(".statusbar").get_by_text("Unsaved changes").is_visible()
    shoot("dangling-node")

    # Bug 3: undoing back to the saved version is no unsaved change.
    page.get_by_role("button", name="↶ Undo").click()
    wait_validated(page, "Valid")
    page.locator(".statusbar .status-right").filter(has_text=re.compile("^Saved$")).wait_for()
    assert page.locator(".dirty-dot").count() == 0

    # Bug 10: the document as a file, which "Import document" reads back to the same graph.
    with page.expect_download() as download:
        page.get_by_label("Export").select_option(label="Graph document (.json)")
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(str(path))
    assert path.name == "resnet.json"
    exported = json.loads(path.read_text())
    assert comparable(exported) == comparable(document)

    page.goto("/")
    (tmp_path / "import").mkdir()
    import_graph(page, "reimported", exported, tmp_path / "import")
    wait_validated(page, "Valid")
    again = graph_document(page, int(page.url.rsplit("/", 1)[1]))
    assert comparable(again, layout=True) == comparable(exported, layout=True)
    assert len(drawn_edges(page)) == len(document["edges"])
    shoot("reimported")

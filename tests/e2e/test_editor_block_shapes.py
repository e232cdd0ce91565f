"""A person opens a block used three times: its edges carry the shapes of the first
use, a broken inner node shows its own error (not only the block's node), and
fixing it clears the error."""
from __future__ import annotations

import re

import pytest

from tests.e2e.editor import edge_shapes, error_shown_on, log_in, select_node, set_param, wait_validated

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _scope(specs: list[tuple]) -> tuple[list[dict], list[dict]]:
    """Nodes in a column and edges chaining them in order."""
    nodes = [{"id": i, "op": op, "params": p, "position": {"x": 0, "y": 130 * n}}
             for n, (i, op, p) in enumerate(specs)]
    edges = [{"source": a[0], "source_port": "out", "target": b[0], "target_port": "in"}
             for a, b in zip(specs, specs[1:])]
    return nodes, edges


def block_document() -> dict:
    """x(16) -> res1 -> res2 -> res3 -> y; block Res: x -> fc -> view (2×4) -> flat -> y."""
    body_nodes, body_edges = _scope([
        ("x", "Input", {"shape": [16]}), ("fc", "Linear", {"out_features": "=width"}),
        ("view", "Reshape", {"shape": [2, 4]}), ("flat", "Flatten", {}), ("y", "Output", {})])
    nodes, edges = _scope([("x", "Input", {"shape": [16]})] +
                          [(f"res{i}", "block:Res", {"width": 8}) for i in (1, 2, 3)] +
                          [("y", "Output", {})])
    return {"schema": "netweave.graph/1", "name": "blocks", "variables": {}, "nodes": nodes,
            "edges": edges, "blocks": {"Res": {
                "params": {"width": {"type": "int", "default": 8, "min": 1}},
                "nodes": body_nodes, "edges": body_edges}}}


@pytest.fixture
def graph(ada):
    """Made before the browser starts (Django refuses database calls inside Playwright's loop)."""
    from designer.graphs.models import Project
    from designer.graphs.services import create_graph

    project = Project.objects.create(name="blocks", owner=ada)
    return create_graph(project, "three-res", ada, block_document(), "first")


def test_block_shapes(graph, page, shoot):
    """Screenshots in test-artifacts/e2e/block_shapes/."""
    log_in(page)
    page.goto(f"/graphs/{graph.pk}")
    wait_validated(page, "Valid")

    select_node(page, "res1")
    page.get_by_role("button", name="Open block").click()
    page.locator('.react-flow__node[data-id="view"]').wait_for()
    banner = page.get_by_test_id("block-banner")
    assert banner.inner_text() == "shapes of res1, 1 of 3 uses"
    page.wait_for_function("document.querySelectorAll('.react-flow__edge-text').length === 4")
    assert edge_shapes(page) == ["N×16", "N×8", "N×2×4", "N×8"]
    assert page.get_by_test_id("shape-view").inner_text() == "→ N×2×4"
    # The inspector of an inner node shows what was inferred for it, and its stats.
    select_node(page, "fc")
    assert "16" in page.get_by_test_id("param-in_features").inner_text()
    assert re.search(r"params\s*136\b", page.locator(".facts").inner_text())
    shoot("inner-shapes")

    # Break the reshape inside the block: the error is on that inner node, with its message.
    set_param(page, "view", "shape", "3, 3")
    error = error_shown_on(page, "view")
    assert "cannot reshape 8 elements per sample into (3, 3)" in error
    assert "res1.view" in error
    assert "cannot reshape" in page.get_by_test_id("inspector").locator(".error-note").inner_text()
    shoot("inner-error")

    # Back at the top level the same error is on the block's node, as before.
    page.get_by_role("button", name="Back to graph").click()
    page.get_by_test_id("errors-res1").wait_for()
    assert "res1.view" in page.get_by_test_id("errors-res1").inner_text()
    assert banner.count() == 0
    select_node(page, "res1")
    page.get_by_role("button", name="Open block").click()
    page.locator('.react-flow__node[data-id="view"]').wait_for()

    set_param(page, "view", "shape", "2, 4")
    wait_validated(page, "Valid")
    assert page.get_by_test_id("errors-view").count() == 0
    assert page.locator(".react-flow__edge.edge-error").count() == 0
    assert "N×2×4" in edge_shapes(page)
    shoot("fixed")

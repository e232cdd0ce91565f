"""A person designs a small CNN in the browser, sees its shapes, breaks and fixes
it, saves it, trains it on the digits dataset and watches the run succeed."""
from __future__ import annotations

import re
import time

import pytest

from tests.e2e.editor import (CHAIN, LAYOUT, connect, drop, edge_shapes, error_shown_on, log_in, set_param,
                             wait_validated)

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def watch_until_it_ends(page, shoot) -> tuple[str, list[int]]:
    """Look at the run page every 0.25 s: (the final state, the loss chart's point counts)."""
    chart = page.get_by_test_id("chart-loss")
    counts = []
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        counts.append(int(chart.get_attribute("data-points") or 0))
        state = page.get_by_test_id("run-state").inner_text().strip().lower()
        if len(set(c for c in counts if c)) == 2:
            shoot("run-training")
        if state in ("succeeded", "failed", "cancelled"):
            break
        time.sleep(0.25)
    shoot("run-finished")
    return state, counts


def launch_on_digits(page, shoot) -> None:
    """Open the launch dialog, pick the digits, launch, land on the run page."""
    page.get_by_test_id("launch").click()
    dialog = page.get_by_test_id("launch-dialog")
    dialog.locator("select[name=dataset]").select_option("digits")
    # Small batches over a few epochs: long enough to watch even on a fast machine.
    dialog.get_by_label("Epochs").fill("6")
    dialog.get_by_label("Batch size").fill("16")
    shoot("launch-dialog")
    page.get_by_test_id("launch-confirm").click()
    page.wait_for_url(re.compile(r"/runs/\d+$"), timeout=30_000)


def drag_a_node_and_undo_it(page, shoot) -> None:
    """Dragging a node moves it and its edges; the drop is one undo step."""
    node = page.locator('.react-flow__node[data-id="relu_1"]')
    edge = page.locator('.react-flow__edge[data-id="conv2d_1:out->relu_1:in"] .react-flow__edge-path')
    box, path = node.bounding_box(), edge.get_attribute("d")
    page.mouse.move(box["x"] + 30, box["y"] + 16)
    page.mouse.down()
    page.mouse.move(box["x"] + 190, box["y"] + 46, steps=12)
    page.mouse.up()
    moved = node.bounding_box()
    # (React Flow starts the drag on the first step, which does not move the node.)
    assert 140 <= moved["x"] - box["x"] <= 161 and 25 <= moved["y"] - box["y"] <= 31, (box, moved)
    assert edge.get_attribute("d") != path
    shoot("node-dragged")
    page.locator(".react-flow__pane").click(position={"x": 700, "y": 600})
    page.keyboard.press("Control+z")
    page.wait_for_function("([el, d]) => el.getAttribute('d') === d", arg=[edge.element_handle(), path])
    back = node.bounding_box()
    assert (back["x"], back["y"]) == pytest.approx((box["x"], box["y"]), abs=1)


def test_design_validate_save_launch_and_watch(ada, page, shoot):
    log_in(page, before_submit=lambda: shoot("login"))

    page.get_by_label("New project name").fill("digits")
    page.get_by_role("button", name="Create project").click()
    page.get_by_role("button", name="New graph").first.click()
    page.get_by_label("Graph name").fill("digits-cnn")
    page.get_by_role("button", name=re.compile("Empty canvas")).click()
    page.wait_for_url(re.compile(r"/graphs/\d+$"))
    page.get_by_test_id("palette-Conv2d").wait_for()

    for op in LAYOUT:
        drop(page, op)
    for source, target in zip(CHAIN, CHAIN[1:]):
        connect(page, source, target)
    assert page.locator(".react-flow__edge").count() == 5
    connect(page, "relu_1", "conv2d_1")  # an occupied input (and a loop): refused, with a hint
    assert "already fed by 'input_1'" in page.get_by_test_id("hint").inner_text()
    assert page.locator(".react-flow__edge").count() == 5
    page.get_by_role("button", name="Layout").click()  # auto-layout: top to bottom, as data flows
    set_param(page, "input_1", "shape", "1, 8, 8")
    set_param(page, "linear_1", "out_features", "10")

    # Live validation writes the shapes on the edges, batch dimension as N.
    wait_validated(page, "Valid")
    page.wait_for_function("document.querySelectorAll('.react-flow__edge-text').length === 5")
    assert edge_shapes(page) == ["N×1×8×8", "N×16×6×6", "N×16×6×6", "N×576", "N×10"]
    assert page.get_by_test_id("param-in_features").inner_text().startswith("in_features")
    assert "576" in page.get_by_test_id("param-in_features").inner_text()  # inferred, read-only
    shoot("shapes-on-edges")

    # Break the shape that reaches the convolution: the error shows on that node.
    set_param(page, "input_1", "shape", "64")
    assert "expects a 4-D input" in error_shown_on(page, "conv2d_1")
    shoot("shape-error-on-node")

    page.locator(".react-flow__pane").click(position={"x": 700, "y": 600})  # leave the field: Ctrl+Z there undoes typing
    page.keyboard.press("Control+z")  # undo puts the 1×8×8 input back
    wait_validated(page, "Valid")
    assert page.get_by_test_id("errors-conv2d_1").count() == 0

    drag_a_node_and_undo_it(page, shoot)

    page.get_by_test_id("save").click()
    page.locator("input[name=message]").fill("first CNN")
    page.get_by_test_id("save-confirm").click()
    page.get_by_text(re.compile(r"Saved as version \d+")).wait_for()
    shoot("saved")

    launch_on_digits(page, shoot)

    # The loss chart grows while the run trains, then the run succeeds.
    state, counts = watch_until_it_ends(page, shoot)
    assert state == "succeeded", page.get_by_test_id("log").inner_text()[-2000:]
    seen = sorted(set(c for c in counts if c))
    assert len(seen) >= 2 and seen[-1] > seen[0], f"the loss chart did not grow while watched: {counts}"

"""A person designs a small CNN in the browser, sees its shapes, breaks and fixes
it, saves it, trains it on the digits dataset and watches the run succeed."""
from __future__ import annotations

import re
import time

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"
# Where each layer is dropped on the canvas (pixels from its top-left corner).
LAYOUT = {"Input": (50, 40), "Conv2d": (50, 260), "ReLU": (330, 40), "Flatten": (330, 260),
          "Linear": (610, 40), "Output": (610, 260)}
CHAIN = ["input_1", "conv2d_1", "relu_1", "flatten_1", "linear_1", "output_1"]


def drop(page, op: str) -> None:
    """Find the layer with the palette's search, drag it onto the canvas."""
    search = page.get_by_test_id("palette-search")
    search.fill(op.lower())
    x, y = LAYOUT[op]
    page.get_by_test_id(f"palette-{op}").drag_to(page.locator(".react-flow__pane"), target_position={"x": x, "y": y})
    search.fill("")
    page.locator(f'.react-flow__node[data-id="{op.lower()}_1"]').wait_for()


def connect(page, source: str, target: str) -> None:
    """Drag from the source's `out` port to the target's `in` port."""
    out = page.locator(f'.react-flow__node[data-id="{source}"] .react-flow__handle.source[data-handleid="out"]').bounding_box()
    into = page.locator(f'.react-flow__node[data-id="{target}"] .react-flow__handle.target[data-handleid="in"]').bounding_box()
    page.mouse.move(out["x"] + out["width"] / 2, out["y"] + out["height"] / 2)
    page.mouse.down()
    page.mouse.move(into["x"] + into["width"] / 2, into["y"] + into["height"] / 2, steps=8)
    page.mouse.up()


def set_param(page, node: str, name: str, value: str) -> None:
    page.locator(f'.react-flow__node[data-id="{node}"] .layer-head').click()
    field = page.get_by_test_id(f"param-{name}").locator("input")
    field.fill(value)
    field.press("Enter")


def wait_validated(page, text: str) -> None:
    """Wait for the answer to the latest edit (not an older one) to say `text`."""
    page.locator('[data-testid=validity][data-current=true]').filter(has_text=text).wait_for()


def edge_shapes(page) -> list[str]:
    return [t.strip() for t in page.locator(".react-flow__edge-text").all_text_contents()]


@pytest.fixture
def ada(db):
    """A person who logs in through the form. Made before the browser starts:
    Playwright's sync API runs an event loop in this thread, and Django refuses
    database calls from inside one."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    # The suite's settings hash with MD5 for speed; the server checks with its own
    # (default) hashers, so store the hash the server knows.
    hashed = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
    return get_user_model().objects.create(username="ada", password=hashed)


def test_design_validate_save_launch_and_watch(ada, page, shoot):
    page.goto("/")
    page.wait_for_url(re.compile(r"/login"))
    page.fill("input[name=username]", "ada")
    page.fill("input[name=password]", PASSWORD)
    shoot("login")
    page.click("button[type=submit]")
    page.get_by_role("heading", name="Projects", exact=True).wait_for()

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
    wait_validated(page, "1 error")
    error = page.get_by_test_id("errors-conv2d_1")
    error.wait_for()
    assert "expects a 4-D input" in error.inner_text()
    assert page.locator(".react-flow__edge.edge-error").count() == 1
    shoot("shape-error-on-node")

    page.locator(".react-flow__pane").click(position={"x": 700, "y": 600})  # leave the field: Ctrl+Z there undoes typing
    page.keyboard.press("Control+z")  # undo puts the 1×8×8 input back
    wait_validated(page, "Valid")
    assert error.count() == 0

    # Dragging a node moves it and its edges; the drop is one undo step.
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

    page.get_by_test_id("save").click()
    page.locator("input[name=message]").fill("first CNN")
    page.get_by_test_id("save-confirm").click()
    page.get_by_text(re.compile(r"Saved as version \d+")).wait_for()
    shoot("saved")

    page.get_by_test_id("launch").click()
    dialog = page.get_by_test_id("launch-dialog")
    dialog.locator("select[name=dataset]").select_option("digits")
    dialog.get_by_label("Epochs").fill("3")
    shoot("launch-dialog")
    page.get_by_test_id("launch-confirm").click()
    page.wait_for_url(re.compile(r"/runs/\d+$"), timeout=30_000)

    # The loss chart grows while the run trains, then the run succeeds.
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
    assert state == "succeeded", page.get_by_test_id("log").inner_text()[-2000:]
    seen = sorted(set(c for c in counts if c))
    assert len(seen) >= 2 and seen[-1] > seen[0], f"the loss chart did not grow while watched: {counts}"

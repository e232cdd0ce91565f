"""What a person does in the editor, as Playwright steps the end-to-end tests share."""
from __future__ import annotations

import re
from typing import Callable

from playwright.sync_api import TimeoutError as PlaywrightTimeout

PASSWORD = "correct-horse-battery"  # the `ada` fixture's (tests/e2e/conftest.py)
# Where each layer is dropped on the canvas (pixels from its top-left corner).
# Rows far enough apart that a node grown by its shape and an error does not cover the port below it.
LAYOUT = {"Input": (50, 40), "Conv2d": (50, 330), "ReLU": (330, 40), "Flatten": (330, 330),
          "Linear": (610, 40), "Output": (610, 330)}
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
    # Measure once the latest edit's validation has answered: its messages change the nodes'
    # heights, and a port that moves during the drag is missed (seen under load in CI).
    page.locator("[data-testid=validity][data-current=true]").wait_for()
    out = page.locator(f'.react-flow__node[data-id="{source}"] .react-flow__handle.source[data-handleid="out"]').bounding_box()
    into = page.locator(f'.react-flow__node[data-id="{target}"] .react-flow__handle.target[data-handleid="in"]').bounding_box()
    page.mouse.move(out["x"] + out["width"] / 2, out["y"] + out["height"] / 2)
    page.mouse.down()
    page.mouse.move(into["x"] + into["width"] / 2, into["y"] + into["height"] / 2, steps=8)
    page.mouse.up()


def select_node(page, node: str, tries: int = 5) -> None:
    """Click the node's head until the canvas shows it selected. A click can land where the node
    was a moment before: right after Layout, a loaded browser may not have moved it yet, and
    Playwright aims at the old place (seen in a full run: the click selected nothing)."""
    selected = page.locator(f'.react-flow__node.selected[data-id="{node}"]')
    for _ in range(tries):
        page.locator(f'.react-flow__node[data-id="{node}"] .layer-head').click()
        try:
            selected.wait_for(timeout=2000)
            return
        except PlaywrightTimeout:
            continue
    selected.wait_for()  # one more wait, failing with Playwright's own message


def set_param(page, node: str, name: str, value: str) -> None:
    select_node(page, node)
    field = page.get_by_test_id(f"param-{name}").locator("input")
    field.fill(value)
    field.press("Enter")


def wait_validated(page, text: str) -> None:
    """Wait for the answer to the latest edit (not an older one) to say `text`."""
    page.locator('[data-testid=validity][data-current=true]').filter(has_text=text).wait_for()


def open_launch_on_digits(page, graph_id: int, epochs: str = "1"):
    """The graph's Launch dialog with the digits dataset and `epochs` set; returns the dialog."""
    page.goto(f"/graphs/{graph_id}")
    page.get_by_test_id("launch").click()
    dialog = page.get_by_test_id("launch-dialog")
    dialog.locator("select[name=dataset]").select_option("digits")
    dialog.get_by_label("Epochs").fill(epochs)
    return dialog


def edge_shapes(page) -> list[str]:
    return [t.strip() for t in page.locator(".react-flow__edge-text").all_text_contents()]


def log_in(page, username: str = "ada", password: str = PASSWORD,
           before_submit: Callable[[], object] | None = None) -> None:
    """Open the app, get sent to the login form, log in, land on the projects."""
    page.goto("/")
    page.wait_for_url(re.compile(r"/login"))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    if before_submit:
        before_submit()
    page.click("button[type=submit]")
    page.get_by_role("heading", name="Projects", exact=True).wait_for()


def error_shown_on(page, node: str) -> str:
    """After an edit that breaks one node: the answer says 1 error, the node shows
    it and the edge into it turns red. The error's text, for the caller to check."""
    wait_validated(page, "1 error")
    error = page.get_by_test_id(f"errors-{node}")
    error.wait_for()
    assert page.locator(".react-flow__edge.edge-error").count() == 1
    return error.inner_text()

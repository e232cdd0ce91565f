"""The editor's everyday tools in a real browser: start from a template, change a
graph variable and watch the shapes follow, undo and redo it, copy, paste and
delete a node, auto-layout, save two versions, diff them and restore one."""
from __future__ import annotations

import re

import pytest

from tests.e2e.editor import log_in, select_node, wait_validated

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.django_db(transaction=True)]

MLP_SHAPES_256 = ["N×1×28×28", "N×784", "N×256", "N×256", "N×256", "N×128", "N×128", "N×10"]
MLP_SHAPES_64 = ["N×1×28×28", "N×784", "N×64", "N×64", "N×64", "N×32", "N×32", "N×10"]


def node_ids(page) -> list[str]:
    return sorted(page.locator(".react-flow__node").evaluate_all("els => els.map(e => e.dataset.id)"))


def set_variable(page, name: str, value: str) -> None:
    field = page.get_by_label(f"variable {name}")
    field.fill(value)
    field.press("Tab")  # the panel applies a variable when the field is left


def shapes_become(page, shapes: list[str]) -> None:
    page.wait_for_function(
        "want => JSON.stringify([...document.querySelectorAll('.react-flow__edge-text')]"
        ".map(e => e.textContent.trim())) === JSON.stringify(want)", arg=shapes)


def click_pane(page) -> None:
    """Select nothing (the inspector shows the graph's variables) and leave any field."""
    page.locator(".react-flow__pane").click(position={"x": 20, "y": 20})


def save(page, message: str) -> None:
    page.get_by_test_id("save").click()
    page.locator("input[name=message]").fill(message)
    page.get_by_test_id("save-confirm").click()
    page.get_by_text(re.compile(r"Saved as version \d+")).wait_for()


def change_a_variable_undo_and_redo_it(page, shoot) -> None:
    """`hidden` feeds fc1 (=hidden) and fc2 (=hidden // 2): set it to 64, undo, redo."""
    click_pane(page)
    assert page.get_by_label("variable hidden").input_value() == "256"
    set_variable(page, "hidden", "64")
    shapes_become(page, MLP_SHAPES_64)
    shoot("variable-hidden-64")

    click_pane(page)
    page.keyboard.press("Control+z")
    shapes_become(page, MLP_SHAPES_256)
    assert page.get_by_label("variable hidden").input_value() == "256"  # the panel follows the undo
    page.keyboard.press("Control+Shift+z")
    shapes_become(page, MLP_SHAPES_64)
    assert page.get_by_label("variable hidden").input_value() == "64"


def stay_when_leaving_with_unsaved_changes(page) -> None:
    """The editor has unsaved changes: going back to the project asks first; staying keeps them."""
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_role("link", name="← Project").click()
    page.wait_for_function("() => document.querySelector('.dirty-dot') !== null")
    assert asked == ["Your changes to 'mlp-tools' are not saved. Leave anyway?"]
    assert re.search(r"/graphs/\d+$", page.url)


def test_template_variables_undo_copy_paste_layout_history(ada, page, shoot):
    log_in(page)
    page.get_by_label("New project name").fill("tools")
    page.get_by_role("button", name="Create project").click()
    page.get_by_role("button", name="New graph").first.click()
    page.get_by_label("Graph name").fill("mlp-tools")
    page.get_by_role("button", name=re.compile(r"^MLP\b")).click()
    page.wait_for_url(re.compile(r"/graphs/\d+$"))

    # The template opens valid, with its shapes on the edges.
    wait_validated(page, "Valid")
    shapes_become(page, MLP_SHAPES_256)
    assert node_ids(page) == sorted(["x", "flatten", "fc1", "relu1", "drop1", "fc2", "relu2", "fc3", "y"])
    shoot("template")

    change_a_variable_undo_and_redo_it(page, shoot)
    stay_when_leaving_with_unsaved_changes(page)

    # Copy and paste a node: a fresh id, no edges; Delete takes it away again.
    select_node(page, "relu1")
    page.keyboard.press("Control+c")
    page.keyboard.press("Control+v")
    page.wait_for_function("document.querySelectorAll('.react-flow__node').length === 10")
    [pasted] = set(node_ids(page)) - {"x", "flatten", "fc1", "relu1", "drop1", "fc2", "relu2", "fc3", "y"}
    assert pasted.startswith("relu")
    shoot("pasted")
    page.keyboard.press("Delete")  # the pasted copy is what is selected
    page.wait_for_function("document.querySelectorAll('.react-flow__node').length === 9")
    assert pasted not in node_ids(page)

    # Auto-layout: data flows downwards, input first, output last.
    page.get_by_role("button", name="Layout").click()
    page.wait_for_timeout(400)  # the fit-view animation
    tops = {n: page.locator(f'.react-flow__node[data-id="{n}"]').bounding_box()["y"] for n in ("x", "fc1", "fc3", "y")}
    assert tops["x"] < tops["fc1"] < tops["fc3"] < tops["y"], tops

    # The template was version 1; two more versions, their diff, and a restore.
    wait_validated(page, "Valid")
    save(page, "hidden 64")
    click_pane(page)
    set_variable(page, "hidden", "128")
    wait_validated(page, "Valid")
    save(page, "hidden 128")
    page.get_by_role("button", name="History").click()
    history = page.get_by_test_id("history")
    history.get_by_text("hidden 64").wait_for()
    history.locator("li", has_text="hidden 64").get_by_role("checkbox").check()
    history.locator("li", has_text="hidden 128").get_by_role("checkbox").check()
    diff = page.get_by_test_id("diff")
    diff.wait_for()
    assert "variable hidden: 64 → 128" in diff.inner_text()
    shoot("history-diff")
    history.locator("li", has_text="hidden 64").get_by_role("button", name="Restore").click()
    page.get_by_text("Restored version 2 as version 4.").wait_for()
    history.get_by_text("restored from v2").wait_for()
    shapes_become(page, MLP_SHAPES_64)
    shoot("restored")
    page.get_by_role("button", name="History").click()  # back to the inspector
    click_pane(page)
    assert page.get_by_label("variable hidden").input_value() == "64"

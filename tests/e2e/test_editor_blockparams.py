"""A person changes a block's params after making it: sets one on a use of the
block, renames it, exposes another inner param, edits and removes it, with
validation staying green and refused names explained next to the field."""
from __future__ import annotations

import pytest

from tests.e2e.documents import import_graph, small_cnn
from tests.e2e.editor import log_in, select_node, wait_validated

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def node(page, node_id: str):
    return page.locator(f'.react-flow__node[data-id="{node_id}"]')


def fill(locator, value: str) -> None:
    locator.fill(value)
    locator.press("Enter")


def edge_shows(page, text: str) -> None:
    page.locator(".react-flow__edge-text").filter(has_text=text).first.wait_for()


def test_edit_a_blocks_params_after_making_it(ada, page, shoot, tmp_path):
    log_in(page)
    import_graph(page, "blocks", small_cnn(), tmp_path)
    wait_validated(page, "Valid")

    # A use of the block: its inspector is a form of the block's params.
    select_node(page, "body")
    fill(page.get_by_test_id("param-channels").locator("input"), "8")
    wait_validated(page, "Valid")
    edge_shows(page, "N×8×8×8")

    page.get_by_role("button", name="Open block").click()
    settings = page.get_by_test_id("block-settings")
    settings.wait_for()
    channels = settings.get_by_test_id("block-param-channels")
    assert "min 1" in channels.inner_text()
    fill(channels.get_by_label("name of param channels"), "1x")
    assert "'1x' is not a valid param name" in channels.get_by_role("alert").inner_text()
    fill(channels.get_by_label("name of param channels"), "filters")
    node(page, "conv").filter(has_text="out_channels=(filters)").wait_for()
    wait_validated(page, "Valid")

    expose = settings.get_by_test_id("expose-form")
    expose.get_by_label("node to expose from").select_option("conv")
    expose.get_by_label("param to expose").select_option("kernel_size")
    expose.get_by_label("new param name").fill("k")
    expose.get_by_role("button", name="Expose").click()
    k = settings.get_by_test_id("block-param-k")
    fill(k.get_by_label("help of param k"), "kernel size of the convolution")
    node(page, "conv").filter(has_text="kernel_size=(k)").wait_for()
    wait_validated(page, "Valid")
    expose.get_by_label("param to expose").select_option("padding")
    expose.get_by_label("new param name").fill("filters")
    expose.get_by_role("button", name="Expose").click()
    assert "already has a param 'filters'" in expose.get_by_role("alert").inner_text()
    shoot("block-settings")

    page.get_by_role("button", name="Back to graph").click()
    select_node(page, "body")
    assert page.get_by_test_id("param-filters").locator("input").input_value() == "8"
    field = page.get_by_test_id("param-k")
    assert "kernel size of the convolution" in field.inner_text()
    fill(field.locator("input"), "5")
    wait_validated(page, "Valid")
    edge_shows(page, "N×8×6×6")  # 8 + 2·1 − 5 + 1
    shoot("instance-form")

    page.get_by_role("button", name="Open block").click()
    settings.get_by_label("remove param k").click()
    assert settings.get_by_test_id("block-param-k").count() == 0
    node(page, "conv").filter(has_text="kernel_size=3").wait_for()  # the default comes back
    wait_validated(page, "Valid")
    page.get_by_role("button", name="Back to graph").click()
    edge_shows(page, "N×8×8×8")
    shoot("param-removed")
    page.get_by_role("button", name="Undo").click()  # one step: k is back on the block and its use
    edge_shows(page, "N×8×6×6")

"""Tuning from the editor: pick what to search by clicking "tune" beside a graph variable and a
node's param (each opens the Tune dialog with it added), set the budget, watch the trials appear
on the sweep page as the worker trains them, promote the best as a new version."""
from __future__ import annotations

import pytest

from tests.e2e.editor import log_in, select_node

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def graph_id(ada, stack) -> int:
    from designer.graphs.models import Project
    from designer.graphs.services import create_graph
    from tests.api import documents

    project = Project.objects.create(name="tuning", owner=ada)
    document = documents.tiny_cnn()
    document["variables"] = {"k": 3}  # conv1's kernel size, searched as the graph variable =k
    next(n for n in document["nodes"] if n["id"] == "conv1")["params"]["kernel_size"] = "=k"
    return create_graph(project, "tiny-cnn", ada, document, "first").pk


def test_a_sweep_started_in_the_editor_shows_its_trials_and_promotes_the_best(graph_id, stack, page, shoot):
    log_in(page)
    page.goto(f"/graphs/{graph_id}")
    # Nothing selected: the variables panel; its "tune" beside k opens the dialog with =k added.
    page.get_by_test_id("variables-panel").get_by_test_id("tune-pick-=k").click()
    dialog = page.get_by_test_id("launch-dialog")
    dialog.get_by_test_id("space-=k").wait_for()
    dialog.get_by_role("button", name="Cancel").click()
    # Then conv1's out_channels from the inspector: added to what was picked, with the dialog open again.
    select_node(page, "conv1")
    shoot("inspector-tune")
    page.get_by_test_id("inspector").get_by_test_id("tune-pick-conv1.out_channels").click()
    dialog.get_by_test_id("space-conv1.out_channels").wait_for()
    assert dialog.get_by_test_id("space-=k").is_visible()
    assert dialog.get_by_label("conv1.out_channels low").input_value() == "2"  # around its value, 4
    for section in ("The base training config of every trial", "Sampler"):
        dialog.locator("summary", has_text=section).click()
    for field, value in {"n_trials": "3", "parallelism": "1", "train.epochs": "1", "train.batch_size": "128"}.items():
        dialog.get_by_test_id(f"cfg-{field}").fill(value)
    dialog.get_by_test_id("cfg-sampler.name").select_option("random")
    shoot("tune-dialog")
    dialog.get_by_test_id("launch-confirm").click()

    page.wait_for_url("**/sweeps/*", timeout=30_000)
    table = page.get_by_test_id("trials-table")
    page.locator('[data-testid=trials-table]:not([data-rows="0"])').wait_for(timeout=120_000)
    page.get_by_test_id("sweep-counts").filter(has_text="3 complete").wait_for(timeout=240_000)
    assert int(table.get_attribute("data-rows")) == 3
    page.get_by_test_id("parallel-coords").wait_for()
    page.get_by_test_id("sweep-history").wait_for()
    shoot("sweep-done")

    page.get_by_test_id("promote-best").click()
    promoted = page.get_by_test_id("promoted")
    promoted.filter(has_text="Saved as version 2").wait_for(timeout=30_000)
    shoot("promoted")
    # Through the API (no ORM here: Playwright's event loop runs in this thread).
    sweep_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    best = page.request.get(f"/api/sweeps/{sweep_id}/analysis").json()["best_trials"][0]
    trials = page.request.get(f"/api/sweeps/{sweep_id}/trials").json()
    columns = trials["columns"]
    params = next(r for r in trials["rows"] if r[columns.index("number")] == best)[columns.index("params")]
    head = page.request.get(f"/api/graphs/{graph_id}").json()
    conv1 = next(n for n in head["document"]["nodes"] if n["id"] == "conv1")
    assert head["latest_version"] == 2 and conv1["params"]["out_channels"] == params["conv1.out_channels"]
    assert head["document"]["variables"]["k"] == params["=k"]

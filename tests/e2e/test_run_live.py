"""The run page follows a run live and misses nothing: the web server is killed
while the browser watches, comes back on its port, and the page reconnects by
itself and replays what it missed (Last-Event-ID)."""
from __future__ import annotations

import pytest

from tests.e2e.editor import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def graph_id(ada, stack) -> int:
    from designer.graphs.models import Project
    from designer.graphs.services import create_graph
    from tests.api import documents

    project = Project.objects.create(name="live", owner=ada)
    return create_graph(project, "tiny-cnn", ada, documents.tiny_cnn(), "first").pk


def launch(page, graph_id: int) -> int:
    """Launch through the REST API as the logged-in person (session + CSRF), so the
    run starts while the browser is there: 40 epochs of batch 16 on the digits
    (5-10 s of training here: the restart lands well before the end)."""
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post("/api/runs", headers={"X-CSRFToken": csrf}, data={
        "graph": graph_id, "dataset": {"kind": "digits"},
        "config": {"epochs": 40, "batch_size": 16, "system_every_s": 1.0}})
    assert response.status == 201, response.text()
    return response.json()["id"]


def loss_points_stored(page, run_id: int) -> int:
    """Points of the per-step loss (the Loss chart's one line), as the server counts
    them. The page asks for the stored series once, as it opens (a handful of
    points, not downsampled); everything else comes over SSE."""
    metrics = page.request.get(f"/api/runs/{run_id}/metrics").json()
    return sum(m["count"] for m in metrics if m["key"] == "train/loss")


def test_the_run_page_reconnects_after_a_server_restart_and_misses_nothing(graph_id, stack, page, shoot):
    log_in(page)
    training_run = launch(page, graph_id)
    page.goto(f"/runs/{training_run}")
    page.get_by_text("● live").wait_for(timeout=60_000)
    chart = page.get_by_test_id("chart-loss")
    page.locator('[data-testid=chart-loss]:not([data-points="0"])').wait_for(timeout=60_000)
    before = int(chart.get_attribute("data-points"))

    stack.crash_web()  # the stream breaks; training goes on and keeps writing points
    page.get_by_text("reconnecting…").wait_for()
    shoot("reconnecting")
    stack.start_web_again()

    page.get_by_test_id("run-state").filter(has_text="succeeded").wait_for(timeout=180_000)
    stored = loss_points_stored(page, training_run)
    # Every point reached the chart exactly once: live before the break, replayed after it.
    page.wait_for_function(
        "want => Number(document.querySelector('[data-testid=chart-loss]').dataset.points) === want",
        arg=stored, timeout=10_000)
    assert before < stored
    shoot("succeeded-after-reconnect")

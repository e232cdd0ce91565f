"""The fleet page in Chromium: the stack's real worker announces itself, a queued run
waits in its queue and is cancelled from the page."""
from __future__ import annotations

import pytest

from tests.api import documents
from tests.e2e.editor import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def waiting_run(ada):
    """A run queued on the gpu queue, which no worker of the stack consumes (made before the browser)."""
    from designer.graphs.models import Project
    from designer.graphs.services import create_graph
    from designer.runs.models import Run

    project = Project.objects.create(name="digits", owner=ada)
    graph = create_graph(project, "tiny-cnn", ada, documents.tiny_cnn(), "first")
    return Run.objects.create(project=project, graph_version=graph.head, created_by=ada, queue="gpu",
                              name="waits-for-a-gpu", dataset={"kind": "digits", "options": {}})


def test_the_fleet_shows_the_worker_and_cancels_a_queued_run(waiting_run, page, shoot):
    log_in(page)
    page.goto("/fleet")
    # The stack's live worker (one an earlier test module stopped may show too, as "stopped").
    worker = page.locator('tr[data-worker^="e2e-worker@"].state-idle')
    worker.wait_for()
    assert worker.locator(".fleet-state-idle").inner_text() == "idle"
    assert "cpu" in worker.inner_text() and "CPU" in worker.inner_text()
    gpu_queue = page.locator('[data-queue="gpu"]')
    gpu_queue.locator(f'[data-run="{waiting_run.pk}"]').get_by_text("waits-for-a-gpu").wait_for()
    shoot("fleet")
    gpu_queue.get_by_label(f"Cancel run {waiting_run.pk}").click()
    gpu_queue.get_by_text("Nothing waits here.").wait_for()
    shoot("cancelled")

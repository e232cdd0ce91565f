"""Compression from the browser: Compress on a finished run's page (the kind's schema form),
the before/after table and the new graph version on the result page, the trade-off chart
with its Pareto points on the project's runs dashboard, and Distill into the pruned version."""
from __future__ import annotations

import re

import pytest

from tests.e2e.editor import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def graph(ada, stack) -> tuple[int, int]:
    from designer.graphs.models import Project
    from designer.graphs.services import create_graph
    from workers.engine import load_template

    project = Project.objects.create(name="compress", owner=ada)
    return project.pk, create_graph(project, "digits", ada, load_template("digits_cnn"), "first").pk


def test_compress_a_finished_run_from_its_page(graph, stack, page, shoot):
    project_id, graph_id = graph
    log_in(page)
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    trained = page.request.post("/api/runs", headers={"X-CSRFToken": csrf}, data={
        "graph": graph_id, "dataset": {"kind": "digits"},
        "config": {"epochs": 2, "batch_size": 64, "optimizer": {"name": "adam", "lr": 0.003}}}).json()
    page.goto(f"/runs/{trained['id']}")
    page.get_by_test_id("run-state").filter(has_text="succeeded").wait_for(timeout=180_000)

    page.get_by_test_id("job-compress").click()
    dialog = page.get_by_test_id("launch-dialog")
    dialog.get_by_text("Structured pruning", exact=True).click()  # a closed section of the form
    dialog.get_by_test_id("cfg-structured.enabled").check()
    dialog.get_by_test_id("cfg-structured.finetune_epochs").fill("1")
    dialog.get_by_test_id("cfg-latency_repeats").fill("5")
    dialog.locator("input[name=name]").fill("half width")
    shoot("compress-form")
    page.get_by_test_id("launch-confirm").click()
    page.wait_for_url(re.compile(rf"/runs/(?!{trained['id']}$)\d+$"), timeout=30_000)
    page.get_by_test_id("run-state").filter(has_text="succeeded").wait_for(timeout=180_000)

    report = page.get_by_test_id("compress-report")
    report.get_by_test_id("compress-row-source").wait_for()
    assert "×0.2" in report.get_by_test_id("compress-row-pruned").inner_text()  # params about a quarter
    report.get_by_role("link", name="version 2").wait_for()
    shoot("compress-report")

    page.goto(f"/projects/{project_id}/runs")
    chart = page.get_by_test_id("tradeoff")
    chart.get_by_test_id("pareto-point").first.wait_for()
    assert chart.get_by_test_id("pareto-point").count() + chart.get_by_test_id("tradeoff-point").count() == 2
    chart.get_by_test_id("tradeoff-axis").select_option("latency_b64_ms")
    chart.get_by_test_id("pareto-point").first.wait_for()
    shoot("tradeoff")

    # Distill the trained run into the pruned version 2, picked as the student.
    page.goto(f"/runs/{trained['id']}")
    page.get_by_test_id("job-distill").click()
    dialog = page.get_by_test_id("launch-dialog")
    dialog.get_by_test_id("student-version").locator("option", has_text="v2").wait_for(state="attached")
    dialog.get_by_test_id("student-version").select_option("2")
    dialog.get_by_test_id("cfg-epochs").fill("1")
    shoot("distill-form")
    page.get_by_test_id("launch-confirm").click()
    page.wait_for_url(re.compile(rf"/runs/(?!{trained['id']}$)\d+$"), timeout=30_000)
    page.get_by_test_id("run-state").filter(has_text="succeeded").wait_for(timeout=180_000)
    distilled = page.request.get(f"/api/runs/{page.url.rsplit('/', 1)[1]}").json()
    assert (distilled["kind"], distilled["version"]) == ("distill", 2)
    assert distilled["inputs"] == [{"run": trained["id"], "checkpoint": "best"}]

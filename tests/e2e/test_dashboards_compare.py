"""Two finished runs in the runs table → compare: both curves drawn, the differing
hyperparameter listed, the architecture diff shown; then a run page's additions."""
from __future__ import annotations

import re

import pytest

from tests.api import documents
from tests.api.dashboards_fixtures import add_points, loss_curve, make_run

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"


@pytest.fixture
def finished_runs(make_user):
    """Made before the browser starts (Django refuses database calls inside Playwright's loop)."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    from designer.graphs.models import Project
    from designer.graphs.services import create_graph, save_version
    from designer.runs.models import Artifact

    grace = make_user("grace", PASSWORD)
    # The tests hash with MD5 (tests/conftest.py), which the web server's settings do not
    # accept: store a PBKDF2 hash it can check (few rounds; the hash says how many).
    grace.password = PBKDF2PasswordHasher().encode(PASSWORD, "dashboards-e2e", iterations=1000)
    grace.save(update_fields=["password"])
    project = Project.objects.create(name="digits", owner=grace)
    graph = create_graph(project, "tiny-cnn", grace, documents.tiny_cnn(), "first")
    wider = save_version(graph, documents.wide(8), grace, "wider conv1")
    runs = [make_run(graph.versions.get(number=1), grace, lr=0.001, name="narrow"),
            make_run(wider, grace, lr=0.01, name="wide")]
    for scale, run in zip((1.0, 0.6), runs):
        add_points(run, "train/loss", loss_curve(2000, scale))
        add_points(run, "val/accuracy", [0.5 + 0.4 * (1 - scale / 2) * i / 19 for i in range(20)], every=100)
    Artifact.objects.create(run=runs[1], kind="test_confusion_matrix", name="test_confusion_matrix/2000", step=2000,
                            data=[[40, 2, 1], [3, 35, 4], [0, 5, 38]])
    Artifact.objects.create(run=runs[1], kind="test_per_class", name="test_per_class/2000", step=2000,
                            data={"labels": ["0", "1", "2"], "precision": [0.93, 0.83, 0.88],
                                  "recall": [0.93, 0.83, 0.88], "f1": [0.93, 0.83, 0.88], "support": [43, 42, 43]})
    Artifact.objects.create(run=runs[1], kind="checkpoint", name="checkpoints/last.pt", epoch=2, step=2000)
    add_points(runs[1], "system/cpu_percent", [20 + (i % 7) * 5 for i in range(40)])
    return project, runs


def log_in(page) -> None:
    page.goto("/login")
    page.fill("input[name=username]", "grace")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.get_by_role("heading", name="Projects").wait_for()


def test_pick_two_runs_and_compare_them(finished_runs, page, shoot):
    project, (narrow, wide) = finished_runs
    log_in(page)
    page.goto(f"/projects/{project.pk}/runs")
    table = page.get_by_test_id("runs-table")
    table.locator(f'[data-run="{wide.pk}"]').wait_for()
    assert table.get_attribute("data-rows") == "2"
    page.get_by_label(f"Edit tags of run {wide.pk}").click()
    page.get_by_label(f"tags of run {wide.pk}").fill("best, wide")
    page.get_by_label(f"tags of run {wide.pk}").press("Enter")
    # The row shows the tags once the server has stored them.
    table.locator(f'[data-run="{wide.pk}"]').get_by_text("best, wide").wait_for()
    page.get_by_label("Filter by tag").fill("best")
    page.locator('[data-testid=runs-table][data-rows="1"]').wait_for()
    assert table.locator(f'[data-run="{narrow.pk}"]').count() == 0
    page.get_by_label("Filter by tag").fill("")
    table.locator(f'[data-run="{narrow.pk}"]').wait_for()
    page.get_by_label(f"Select run {narrow.pk}").check()
    page.get_by_label(f"Select run {wide.pk}").check()
    shoot("dashboards-runs-table")

    page.get_by_test_id("compare-button").click()
    page.wait_for_url(re.compile(r"/compare\?runs="))
    loss = page.get_by_test_id("compare-chart-train/loss")
    loss.locator("canvas").wait_for()
    assert loss.get_attribute("data-lines") == "2"
    assert page.get_by_test_id("compare-chart-val/accuracy").get_attribute("data-lines") == "2"
    hparams = page.get_by_test_id("hparam-table")
    assert "optimizer.lr" in hparams.inner_text() and "0.01" in hparams.inner_text()
    diff = page.get_by_test_id("arch-diff")
    assert re.search(r"conv1\s+Conv2d\s+out_channels: 4 → 8", diff.inner_text())
    page.get_by_label("Smoothing").fill("0.8")
    page.get_by_label("log scale").check()
    loss.hover(position={"x": 300, "y": 120})
    shoot("dashboards-compare")
    page.get_by_test_id("parallel-coords").scroll_into_view_if_needed()
    shoot("dashboards-compare-diff")

    page.goto(f"/runs/{wide.pk}")
    page.get_by_test_id("confusion-matrix").scroll_into_view_if_needed()
    shoot("dashboards-run-classes")
    assert "83.0%" in page.get_by_test_id("per-class").inner_text()
    assert "conv1" in page.get_by_test_id("model-summary").inner_text()
    page.get_by_test_id("model-summary").scroll_into_view_if_needed()
    shoot("dashboards-run-page")

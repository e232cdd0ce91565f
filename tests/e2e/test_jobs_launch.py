"""Jobs from the browser: the launch form built from the train kind's schema (every field settable,
remembered per graph), clone pre-filled, and Evaluate on a finished run's page."""
from __future__ import annotations

import re

import pytest

from tests.e2e.editor import log_in, open_launch_on_digits
from tests.workers.processes import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def graph_id(ada, stack) -> int:
    from designer.graphs.models import Project
    from designer.graphs.services import create_graph
    from tests.api import documents

    project = Project.objects.create(name="jobs", owner=ada)
    return create_graph(project, "tiny-cnn", ada, documents.tiny_cnn(), "first").pk


def fill_the_launch_form(page) -> None:
    dialog = page.get_by_test_id("launch-dialog")
    dialog.locator("select[name=dataset]").select_option("digits")
    dialog.get_by_label("Epochs").fill("2")
    dialog.get_by_test_id("cfg-optimizer.weight_decay").fill("0.01")
    dialog.get_by_test_id("cfg-seed").fill("7")
    dialog.get_by_test_id("cfg-batch_size").fill("abc")  # not a number: marked, the config keeps 64
    assert dialog.get_by_test_id("cfg-batch_size").get_attribute("aria-invalid") == "true"
    dialog.get_by_test_id("cfg-batch_size").fill("128")
    dialog.locator("input[name=tags]").fill("wd, seeded")


def run_json(page, run_id: int) -> dict:
    return page.request.get(f"/api/runs/{run_id}").json()


def wait_until_succeeded(page, run_id: int) -> dict:
    page.get_by_test_id("run-state").filter(has_text="succeeded").wait_for(timeout=180_000)
    return run_json(page, run_id)


def test_launch_form_clone_and_evaluate(graph_id, stack, page, shoot):
    log_in(page)
    page.goto(f"/graphs/{graph_id}")
    page.get_by_test_id("launch").click()
    fill_the_launch_form(page)
    shoot("launch-form")
    page.get_by_test_id("launch-confirm").click()
    page.wait_for_url(re.compile(r"/runs/\d+$"), timeout=30_000)
    run_id = int(page.url.rsplit("/", 1)[1])
    config = run_json(page, run_id)["config"]
    assert (config["optimizer"]["weight_decay"], config["seed"], config["batch_size"]) == (0.01, 7, 128)
    assert run_json(page, run_id)["tags"] == ["wd", "seeded"]
    trained = wait_until_succeeded(page, run_id)
    page.get_by_test_id("summary-test_accuracy").wait_for()

    # Clone opens the dialog with everything as it was; one change and launch.
    page.get_by_role("button", name="Clone").click()
    dialog = page.get_by_test_id("launch-dialog")
    assert dialog.get_by_test_id("cfg-seed").input_value() == "7"
    assert dialog.get_by_test_id("cfg-optimizer.weight_decay").input_value() == "0.01"
    dialog.get_by_test_id("cfg-seed").fill("8")
    shoot("clone-form")
    page.get_by_role("dialog").get_by_role("button", name="Close").click()

    # Evaluate the finished run on its test split: the same accuracy, and the page lists it.
    page.get_by_test_id("job-evaluate").click()
    dialog = page.get_by_test_id("launch-dialog")
    dialog.get_by_test_id("job-checkpoint").select_option("best")
    dialog.get_by_test_id("cfg-latency_repeats").fill("5")
    page.get_by_test_id("launch-confirm").click()
    page.wait_for_url(re.compile(rf"/runs/(?!{run_id}$)\d+$"), timeout=30_000)
    evaluation_id = int(page.url.rsplit("/", 1)[1])
    evaluation = wait_until_succeeded(page, evaluation_id)
    assert evaluation["kind"] == "evaluate" and evaluation["inputs"] == [{"run": run_id, "checkpoint": "best"}]
    assert evaluation["summary"]["test_accuracy"] == trained["summary"]["test_accuracy"]
    page.get_by_test_id("summary-latency_b1_ms").wait_for()
    page.get_by_test_id("calibration").wait_for()
    shoot("evaluation")
    page.goto(f"/runs/{run_id}")
    page.get_by_test_id("derived-runs").get_by_text(f"#{evaluation_id}").wait_for()

    # The editor remembers the last launch settings of this graph.
    page.goto(f"/graphs/{graph_id}")
    page.get_by_test_id("launch").click()
    assert page.get_by_test_id("cfg-optimizer.weight_decay").input_value() == "0.01"
    assert page.get_by_test_id("cfg-seed").input_value() == "7"


def test_launching_a_graph_that_does_not_compile_saves_no_version(ada, stack, page):
    from tests.e2e.editor import wait_validated

    log_in(page)
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    project = page.request.post("/api/projects", headers={"X-CSRFToken": csrf}, data={"name": "broken"}).json()
    from tests.api import documents

    graph = page.request.post(f"/api/projects/{project['id']}/graphs", headers={"X-CSRFToken": csrf},
                              data={"name": "broken", "document": documents.shape_broken()}).json()
    page.goto(f"/graphs/{graph['id']}")
    wait_validated(page, "error")
    page.get_by_test_id("launch").click()
    page.get_by_test_id("launch-dialog").locator("select[name=dataset]").select_option("digits")
    page.get_by_test_id("launch-confirm").click()
    page.get_by_text("The graph does not compile, so nothing was saved or launched").wait_for()
    versions = page.request.get(f"/api/graphs/{graph['id']}/versions").json()
    assert (versions["count"] if isinstance(versions, dict) else len(versions)) == 1
    assert page.request.get("/api/runs").json()["count"] == 0


@pytest.fixture
def second_worker(stack):
    """Another worker on the cpu queue as the fleet knows it (its announcement row): the launch
    check counts two live workers, so a two-node run may be launched. No process stands behind it."""
    from datetime import timedelta

    from django.utils import timezone

    from designer.fleet.models import Worker
    from designer.fleet.services import workers_serving

    later = timezone.now() + timedelta(hours=1)  # alive for the whole test
    other = Worker.objects.create(name="cpu@e2e-other", host="e2e-other", pid=1, queues=["cpu"],
                                  started=timezone.now(), heartbeat=later)
    # The flush after the last test took the real worker's row too: it is back with its next
    # announcement (every 3 s); in the full suite the launch once counted only this one.
    wait_until(lambda: len(workers_serving("cpu")) == 2, timeout=30, what="the e2e worker on the fleet again")
    return other


def test_nodes_set_in_the_launch_dialog_reach_the_run(graph_id, second_worker, stack, page, shoot):
    log_in(page)
    dialog = open_launch_on_digits(page, graph_id)
    # Three nodes with two workers on the queue: the server refuses, naming the field.
    dialog.get_by_test_id("job-nodes").fill("3")
    page.get_by_test_id("launch-confirm").click()
    dialog.get_by_text(re.compile(r"nodes: this run needs 3 workers of queue 'cpu' at once but 2 serve")).wait_for()
    assert page.url.endswith(f"/graphs/{graph_id}")
    dialog.get_by_test_id("job-nodes").fill("2")
    shoot("launch-two-nodes")
    page.get_by_test_id("launch-confirm").click()
    page.wait_for_url(re.compile(r"/runs/\d+$"), timeout=30_000)
    run_id = int(page.url.rsplit("/", 1)[1])
    try:
        assert (run_json(page, run_id)["nodes"], run_json(page, run_id)["devices"]) == (2, 1)
        page.get_by_test_id("run-resources").filter(has_text="on 2 nodes").wait_for()
        # The next launch of this graph starts from two nodes again.
        page.goto(f"/graphs/{graph_id}")
        page.get_by_test_id("launch").click()
        assert page.get_by_test_id("job-nodes").input_value() == "2"
    finally:  # its gang never forms (one real worker): end it before the next test shares that worker
        csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
        page.request.post(f"/api/runs/{run_id}/cancel", headers={"X-CSRFToken": csrf})

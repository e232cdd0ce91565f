"""The run pages as a new user finds them (issue 15), in Chromium against a real worker:
the run says what it is doing before its first point, charts keep their places,
a finished run shows its test figures, the exported .py's instructions load the
run's checkpoint, Cancel asks first and Resume is offered only when it can work;
the runs table names things and keeps the run id in view, system percentages
sit on a 0-100 axis and per-epoch losses have their own chart."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.e2e.editor import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# Every change of the phase line, with the Loss chart's point count at that moment.
WATCH_PHASE = """
window.__phases = [];
new MutationObserver(() => {
  const el = document.querySelector('[data-testid=run-phase]');
  const chart = document.querySelector('[data-testid=chart-loss]');
  const text = el ? el.textContent.trim() : null;
  const last = window.__phases[window.__phases.length - 1];
  if (text && (!last || last.text !== text))
    window.__phases.push({text, points: chart ? Number(chart.dataset.points) : null});
}).observe(document, {subtree: true, childList: true, characterData: true});
"""

# Run in a subprocess: downloaded code is never run inside the test. The exported
# file's own instructions (its docstring's indented lines) load the checkpoint.
LOAD_AS_DOCUMENTED = """
import importlib.util, re, sys, textwrap
import torch
py, path = sys.argv[1:]
source = open(py).read()
steps = textwrap.dedent("\\n".join(re.findall(r"^    (?:model|checkpoint) .*$", source.split('\"\"\"')[1], re.M)))
spec = importlib.util.spec_from_file_location("exported", py)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
scope = {"torch": torch, "path": path, **{k: v for k, v in vars(module).items() if not k.startswith("_")}}
exec(steps, scope)
model = scope["model"].eval()
print(tuple(model(torch.zeros(2, 1, 8, 8)).shape))
"""


@pytest.fixture
def graph_id(ada, stack) -> int:
    from designer.graphs.models import Project
    from designer.graphs.services import create_graph
    from tests.api import documents

    project = Project.objects.create(name="run pages", owner=ada)
    return create_graph(project, "tiny-cnn", ada, documents.tiny_cnn(), "first").pk


def launch(page, graph_id: int, epochs: int) -> int:
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post("/api/runs", headers={"X-CSRFToken": csrf}, data={
        "graph": graph_id, "dataset": {"kind": "digits"}, "config": {"epochs": epochs, "batch_size": 32}})
    assert response.status == 201, response.text()
    return response.json()["id"]


def test_a_run_says_its_phase_then_shows_its_test_figures_and_its_checkpoint_loads_as_the_py_says(
        graph_id, page, shoot, tmp_path):
    page.add_init_script(WATCH_PHASE)
    log_in(page)
    # A warm worker starts a run in well under a second: keep it busy with another run, so this
    # one waits queued while its page opens, and let it go once the page watches.
    blocker = launch(page, graph_id, epochs=500)
    run_id = launch(page, graph_id, epochs=2)
    page.goto(f"/runs/{run_id}")
    chart = page.get_by_test_id("chart-loss")
    page.get_by_test_id("chart-loss-empty").wait_for()
    empty_box = chart.bounding_box()
    shoot("waiting-for-the-first-point")
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    assert page.request.post(f"/api/runs/{blocker}/cancel", headers={"X-CSRFToken": csrf}).ok

    page.get_by_test_id("run-state").filter(has_text="succeeded").wait_for(timeout=120_000)
    phases = page.evaluate("window.__phases")
    texts = [p["text"] for p in phases]
    seen = [t for t in ("Starting the training process", "Loading data", "Building the model",
                        "Training epoch 1 of 2", "Training epoch 2 of 2") if t in texts]
    # What the run was doing was on screen before the first point reached the Loss chart.
    assert seen[:3] == ["Loading data", "Building the model", "Training epoch 1 of 2"] or \
        seen[:4] == ["Starting the training process", "Loading data", "Building the model", "Training epoch 1 of 2"], texts
    assert all(p["points"] == 0 for p in phases if p["text"] in ("Loading data", "Building the model")), phases
    # Charts filled in where they stood.
    assert chart.bounding_box() == empty_box
    assert int(chart.get_attribute("data-points")) > 0
    # Throughput starts with the first step, as the loss does, on an axis from 0.
    [answer] = page.request.get(f"/api/series?runs={run_id}&keys=train/loss,train/samples_per_sec").json()["runs"]
    first = {line["key"]: line["step"][0] for line in answer["series"]}
    assert first["train/samples_per_sec"] == first["train/loss"] == 1, first
    assert page.get_by_test_id("chart-throughput").locator(".chart-box").get_attribute("data-y-min") == "0"

    # Bug 11: the header of a finished run shows its test figures; nothing to cancel or resume.
    finals = page.get_by_test_id("final-metrics")
    finals.wait_for()
    assert re.search(r"test accuracy \d+\.\d%", finals.inner_text()), finals.inner_text()
    actions = page.locator(".page-head .actions")
    assert actions.get_by_role("button", name="Resume").count() == 0
    assert actions.get_by_role("button", name="Cancel").count() == 0
    shoot("succeeded")

    # Bug 4: the .py export's instructions load this run's checkpoint as they are written.
    checkpoint = page.request.get(f"/api/runs/{run_id}/checkpoints/last.pt")
    assert checkpoint.ok
    (tmp_path / "last.pt").write_bytes(checkpoint.body())
    exported = page.request.get(f"/api/graphs/{graph_id}/versions/1/export?format=py")
    assert exported.ok
    (tmp_path / "model.py").write_bytes(exported.body())
    done = subprocess.run([sys.executable, "-c", LOAD_AS_DOCUMENTED, str(tmp_path / "model.py"),
                           str(tmp_path / "last.pt")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "(2, 10)"


def test_cancel_asks_first_and_resume_is_offered_once_a_checkpoint_exists(graph_id, page, shoot):
    log_in(page)
    run_id = launch(page, graph_id, epochs=500)
    page.goto(f"/runs/{run_id}")
    page.get_by_test_id("run-phase").filter(has_text=re.compile(r"Training epoch \d+ of 500")).wait_for(timeout=120_000)
    actions = page.locator(".page-head .actions")
    assert actions.get_by_role("button", name="Resume").count() == 0  # running: nothing to resume

    actions.get_by_role("button", name="Cancel").click()
    confirm = page.get_by_role("alertdialog", name="Cancel this run?")
    confirm.wait_for()
    shoot("cancel-asks")
    confirm.get_by_role("button", name="Keep running").click()
    page.wait_for_timeout(500)
    assert page.get_by_test_id("run-state").text_content().strip() == "running"

    actions.get_by_role("button", name="Cancel").click()
    page.get_by_role("button", name="Cancel the run").click()
    page.get_by_test_id("run-state").filter(has_text="cancelled").wait_for(timeout=60_000)
    # Cancelling saved checkpoints/last.pt: now Resume can work, and is offered.
    actions.get_by_role("button", name="Resume").wait_for()
    shoot("cancelled-resumable")
    actions.get_by_role("button", name="Resume").click()
    page.wait_for_url(re.compile(r"/runs/(?!%d$)\d+$" % run_id))
    new_run = int(page.url.rsplit("/", 1)[1])
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    page.request.post(f"/api/runs/{new_run}/cancel", headers={"X-CSRFToken": csrf})
    # Wait for it to end: a worker still writing its rows deadlocks the database flush after the test.
    page.get_by_test_id("run-state").filter(has_text=re.compile("cancelled|failed|succeeded")).wait_for(timeout=120_000)


@pytest.fixture
def finished(ada, stack):
    """A finished run made in the database (no training): an uploaded dataset, many
    hyperparameters, per-step and per-epoch losses, a busy CPU at 99.9-100 %."""
    from designer.datasets.models import Dataset
    from designer.graphs.models import Project
    from designer.graphs.services import create_graph
    from tests.api import documents
    from tests.api.dashboards_fixtures import add_points, loss_curve, make_run

    project = Project.objects.create(name="Handwriting study", owner=ada)
    graph = create_graph(project, "tiny-cnn", ada, documents.tiny_cnn(), "first")
    upload = Dataset.objects.create(project=project, name="scanned digits", kind="csv", file="x.csv", size=1)
    runs = [make_run(graph.head, ada, lr=lr, dataset=upload.spec(), queue="gpu", devices=2) for lr in (0.01, 0.001)]
    for run in runs:
        run.config = {**run.config, "optimizer": {**run.config["optimizer"], "weight_decay": run.pk * 1e-4}}
        run.save(update_fields=["config"])
    add_points(runs[0], "train/loss", loss_curve(200))
    add_points(runs[0], "train/epoch_loss", [1.5, 0.6], start=99, every=100)
    add_points(runs[0], "system/cpu_percent", [99.9 + (i % 2) * 0.1 for i in range(30)])
    return project, runs


def test_runs_table_names_things_keeps_the_id_in_view_and_charts_read_right(finished, page, shoot):
    project, (run, other) = finished
    log_in(page)
    page.goto(f"/projects/{project.pk}/runs")
    table = page.get_by_test_id("runs-table")
    row = table.locator(f'[data-run="{run.pk}"]')
    row.wait_for()
    assert page.locator(".crumbs").inner_text() == "Projects / Handwriting study / Runs"
    assert "scanned digits" in row.inner_text() and "gpu" in row.inner_text()
    # Every header can be read whole: none is cut off.
    cut = page.evaluate("""() => [...document.querySelectorAll('.vt-th')]
        .filter(h => h.scrollWidth > h.clientWidth || h.scrollHeight > h.clientHeight).map(h => h.textContent)""")
    assert cut == []
    assert table.get_by_text("optimizer.weight_decay").count() == 1
    # Scrolled sideways, the run id stays where it was.
    link = row.get_by_role("link", name=f"#{run.pk}")
    before = link.bounding_box()
    table.evaluate("el => { el.scrollLeft = 600; }")
    page.wait_for_function("() => document.querySelector('[data-testid=runs-table]').scrollLeft > 0")
    assert link.bounding_box()["x"] == before["x"]
    shoot("runs-table-scrolled")

    page.goto(f"/runs/{run.pk}")
    loss = page.get_by_test_id("chart-loss")
    page.locator('[data-testid=chart-loss]:not([data-points="0"])').wait_for()
    assert loss.get_attribute("data-points") == "200"  # per-step loss alone
    assert page.get_by_test_id("chart-loss-per-epoch").get_attribute("data-points") == "2"
    cpu = page.get_by_test_id("system-cpu_percent").locator(".chart-box")
    cpu.scroll_into_view_if_needed()
    page.wait_for_function("() => document.querySelector('[data-testid=system-cpu_percent] .chart-box')?.dataset.yMax")
    assert (cpu.get_attribute("data-y-min"), cpu.get_attribute("data-y-max")) == ("0", "100")
    shoot("system-percent")

"""Recipes in the browser: tick two finished runs, combine them as an ensemble, see its members on
its run page; a GAN run's generated samples shown as an image."""
from __future__ import annotations

import json
import re

import pytest
import torch

from tests.api import documents
from tests.api.dashboards_fixtures import make_run
from tests.e2e.editor import log_in, open_launch_on_digits

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


class Keep:
    def __init__(self):
        self.events = []

    def emit(self, event):
        self.events.append(event)


@pytest.fixture
def finished(ada, stack):
    """Two digits runs trained by the engine into the stack's run folders, and a GAN run with its
    samples. Made before the browser starts (Django refuses database calls inside Playwright's loop)."""
    from designer.graphs.models import Project
    from designer.graphs.services import create_graph
    from designer.runs.models import Artifact
    from workers.engine.jobs.runner import EXIT_OK, StopFlag, execute
    from workers.engine.recipes.images import grid_png

    project = Project.objects.create(name="recipes", owner=ada)
    graph = create_graph(project, "tiny-cnn", ada, documents.tiny_cnn(), "first")
    members = []
    for seed in (1, 2):
        run = make_run(graph.head, ada, kind="train")
        run_dir = stack.base / "runs" / str(run.pk)
        run_dir.mkdir(parents=True)
        (run_dir / "job.json").write_text(json.dumps({
            "kind": "train", "run_id": run.pk, "graph": graph.head.document, "dataset": {"kind": "digits"},
            "config": {"epochs": 2, "batch_size": 128, "seed": seed, "system_every_s": 3600}}))
        sink = Keep()
        torch.set_num_threads(1)
        assert execute(run_dir, sink, StopFlag()) == EXIT_OK
        run.summary = sink.events[-1]["summary"]
        run.save(update_fields=["summary"])
        members.append(run)
    gan = make_run(graph.head, ada, kind="gan")
    Artifact.objects.create(run=gan, kind="samples", name="samples/20", step=20,
                            data={**grid_png(torch.rand(4, 1, 8, 8), columns=2, caption="generated after epoch 1"),
                                  "epoch": 1})
    return project, members, gan


def test_tick_two_runs_ensemble_them_and_see_the_members_and_gan_samples(finished, page, shoot):
    project, members, gan = finished
    log_in(page)
    page.goto(f"/projects/{project.pk}/runs")
    for run in members:
        page.get_by_label(f"Select run {run.pk}").check()
    page.get_by_test_id("ensemble-button").click()
    dialog = page.get_by_test_id("launch-dialog")
    dialog.get_by_test_id("cfg-method").select_option("weighted")
    shoot("recipes-ensemble-dialog")
    page.get_by_test_id("launch-confirm").click()
    page.wait_for_url(re.compile(r"/runs/\d+$"), timeout=30_000)
    page.get_by_test_id("run-state").filter(has_text="succeeded").wait_for(timeout=180_000)
    table = page.get_by_test_id("ensemble-members")
    table.wait_for(timeout=30_000)
    text = table.inner_text()
    assert "weighted" in text and all(f"#{run.pk}" in text for run in members)
    assert "ensemble.onnx" in page.get_by_test_id("checkpoints").inner_text()
    table.scroll_into_view_if_needed()
    shoot("recipes-ensemble-run")

    page.goto(f"/runs/{gan.pk}")
    image = page.get_by_test_id("images-samples").locator("img")
    image.wait_for()
    assert image.evaluate("img => img.complete && img.naturalWidth") >= 2 * 32
    assert "generated after epoch 1" in page.get_by_test_id("images-samples").inner_text()


@pytest.fixture
def generator(ada, stack) -> int:
    from designer.graphs.models import Project
    from designer.graphs.services import create_graph
    from workers.engine import load_template

    doc = load_template("dcgan_generator")
    doc["variables"]["ngf"] = 8
    project = Project.objects.create(name="gan", owner=ada)
    return create_graph(project, "generator", ada, doc, "first").pk


def test_launch_a_gan_from_the_editor_and_watch_its_samples(generator, page, shoot):
    log_in(page)
    dialog = open_launch_on_digits(page, generator)
    dialog.locator("select[name=kind]").select_option("gan")
    dialog.locator("select[name=dataset]").select_option("digits")
    assert dialog.get_by_text("Bind the input").count() == 0  # the generator's Input is noise
    dialog.get_by_label("Epochs").fill("1")
    assert dialog.get_by_test_id("cfg-discriminator").input_value() == "dcgan_discriminator"
    shoot("recipes-gan-launch")
    page.get_by_test_id("launch-confirm").click()
    page.wait_for_url(re.compile(r"/runs/\d+$"), timeout=30_000)
    page.get_by_test_id("run-state").filter(has_text="succeeded").wait_for(timeout=180_000)
    run = page.request.get(f"/api/runs/{page.url.rsplit('/', 1)[1]}").json()
    assert run["kind"] == "gan" and run["summary"]["epochs"] == 1
    image = page.get_by_test_id("images-samples").locator("img")
    image.wait_for(timeout=30_000)
    assert image.evaluate("img => img.complete && img.naturalWidth") > 0
    shoot("recipes-gan-run")

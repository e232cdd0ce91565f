"""Launching a GAN: the generator's Input is noise (no binding to the data), shapes checked at launch."""
from __future__ import annotations

import pytest

from designer.graphs.services import create_graph
from designer.runs.models import Run
from workers.engine import load_template

pytestmark = pytest.mark.django_db


@pytest.fixture
def generator(project, owner):
    return create_graph(project, "gen", owner, load_template("dcgan_generator"), "first")


def test_a_gan_on_digits_is_queued_with_the_generator_as_its_graph(editor_client, generator):
    response = editor_client.post("/api/runs", {"graph": generator.pk, "kind": "gan", "dataset": {"kind": "digits"},
                                                "config": {"epochs": 2}}, format="json")
    assert response.status_code == 201, response.json()
    run = Run.objects.get(pk=response.json()["id"])
    assert run.kind == "gan" and run.config["discriminator"] == "dcgan_discriminator"
    assert run.config["betas"] == [0.5, 0.999]


@pytest.mark.parametrize("case,field,words", [
    ("shapes", "config.discriminator", "the generator gives [1, 32, 32]"),
    ("not images", "dataset", "needs images"),
    ("no template", "config.discriminator", "no template named"),
])
def test_a_gan_whose_shapes_disagree_is_refused_and_nothing_is_written(editor_client, generator, case, field, words):
    discriminator = load_template("dcgan_discriminator")
    discriminator["nodes"][0]["params"]["shape"] = [1, 64, 64]
    body = {"shapes": {"dataset": {"kind": "digits"}, "config": {"discriminator": discriminator}},
            "not images": {"dataset": {"kind": "parity"}},
            "no template": {"dataset": {"kind": "digits"}, "config": {"discriminator": "../mlp"}}}[case]
    response = editor_client.post("/api/runs", {"graph": generator.pk, "kind": "gan", **body}, format="json")
    assert response.status_code == 400, response.json()
    [problem] = response.json()["errors"]
    assert problem["field"] == field and words in problem["message"]
    assert Run.objects.count() == 0

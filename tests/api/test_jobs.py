"""GET /api/jobs: every runnable kind with its config's JSON Schema, from the engine's registry."""
from __future__ import annotations

import pytest

from workers.engine.jobs import list_jobs

pytestmark = pytest.mark.django_db


def test_it_lists_every_registered_kind_with_its_schema(viewer_client):
    response = viewer_client.get("/api/jobs")
    assert response.status_code == 200
    served = {k["kind"]: k for k in response.json()}
    assert set(served) == {k.kind for k in list_jobs()} >= {"train", "evaluate"}
    train = served["train"]["config_schema"]
    # Every TrainConfig field a person may set is in the form's schema.
    assert {"epochs", "batch_size", "optimizer", "schedule", "precision", "grad_clip", "early_stopping",
            "seed", "eval_every_steps"} <= set(train["properties"])
    assert served["evaluate"]["inputs"] == {"min": 1, "max": 1}
    assert served["train"]["distributed"] is True and served["evaluate"]["distributed"] is False


def test_it_needs_a_signed_in_user(anon_client):
    assert anon_client.get("/api/jobs").status_code == 403

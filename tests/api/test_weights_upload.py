"""Uploading pretrained weights for a backbone node: checked with weights_only, matched key by key."""
from __future__ import annotations

import io

import numpy as np

import pytest
import torch
from django.core.files.uploadedfile import SimpleUploadedFile
from torchvision.models import resnet18

pytestmark = pytest.mark.django_db


def _file(state) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return SimpleUploadedFile("weights.pt", buffer.getvalue())


@pytest.fixture(scope="module")
def state():
    return resnet18(weights=None).state_dict()  # torchvision's own constructor, random init


class Payload:
    def __reduce__(self):
        return (print, ("this would run on load",))


def test_weights_that_fit_are_kept_and_their_path_answered(editor_client, project, settings, tmp_path, state):
    settings.MEDIA_ROOT = tmp_path
    response = editor_client.post(f"/api/projects/{project.pk}/weights",
                                  {"file": _file(state), "op": "ResNet18", "node": "backbone",
                                   "params": '{"head": "features"}'}, format="multipart")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["fits"] == "torchvision" and body["keys"] == len(state)
    assert torch.load(body["path"], weights_only=True).keys() == state.keys()


@pytest.mark.parametrize("case,words", [("pickle", "weights_only"), ("shape", "'fc.weight' has shape [3, 512]")])
def test_weights_that_do_not_fit_are_refused_naming_the_node_and_nothing_is_kept(
        editor_client, project, settings, tmp_path, state, case, words):
    settings.MEDIA_ROOT = tmp_path
    bad = {"pickle": {"w": Payload()}, "shape": {**state, "fc.weight": torch.zeros(3, 512)}}[case]
    response = editor_client.post(f"/api/projects/{project.pk}/weights",
                                  {"file": _file(bad), "op": "ResNet18", "node": "backbone"}, format="multipart")
    assert response.status_code == 400, response.json()
    [problem] = response.json()["errors"]
    assert problem["node"] == "backbone" and problem["field"] == "weights_file", problem and words in problem["message"]
    assert not any((tmp_path / "weights").rglob("*.pt"))


def test_a_viewer_cannot_upload_weights(viewer_client, project, state):
    response = viewer_client.post(f"/api/projects/{project.pk}/weights", {"file": _file(state), "op": "ResNet18"},
                                  format="multipart")
    assert response.status_code == 403


def _rgb_npz(editor_client, project) -> int:
    buffer = io.BytesIO()
    np.savez(buffer, x=np.zeros((12, 3, 32, 32), np.float32), y=np.arange(12) % 3)
    response = editor_client.post(f"/api/projects/{project.pk}/datasets",
                                  {"file": SimpleUploadedFile("rgb.npz", buffer.getvalue()), "kind": "npz"},
                                  format="multipart")
    assert response.status_code == 201, response.json()
    return response.json()["id"]


@pytest.mark.parametrize("fits", [True, False])
def test_a_finetune_launch_checks_the_backbones_weights_file(editor_client, project, owner, settings, tmp_path,
                                                            state, fits):
    from designer.graphs.services import create_graph
    from designer.runs.models import Run
    from workers.engine import load_template

    settings.MEDIA_ROOT = tmp_path
    path = tmp_path / "backbone.pt"
    torch.save(state if fits else {"w": Payload()}, path)
    doc = load_template("pretrained_backbone")
    doc["variables"]["classes"] = 3
    doc["nodes"][1]["params"]["weights_file"] = str(path)
    graph = create_graph(project, "finetune", owner, doc, "first")
    response = editor_client.post("/api/runs", {"graph": graph.pk, "kind": "finetune",
                                                "dataset": {"id": _rgb_npz(editor_client, project)},
                                                "config": {"epochs": 2, "unfreeze_epoch": 2}}, format="json")
    if fits:
        assert response.status_code == 201, response.json()
        assert Run.objects.get(pk=response.json()["id"]).config["backbone_lr_multiplier"] == 0.1
        return
    assert response.status_code == 400, response.json()
    [problem] = response.json()["errors"]
    # The graph's own validation reads weights files too (the registry's shape rule): refused there.
    assert problem["node"] == "backbone" and "weights_file" in problem["message"], problem
    assert Run.objects.count() == 0

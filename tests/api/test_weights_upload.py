"""Uploading pretrained weights for a backbone node: checked with weights_only, matched key by key."""
from __future__ import annotations

import io

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
    assert problem["node"] == "backbone" and problem["field"] == "weights_file" and words in problem["message"]
    assert not any((tmp_path / "weights").rglob("*.pt"))


def test_a_viewer_cannot_upload_weights(viewer_client, project, state):
    response = viewer_client.post(f"/api/projects/{project.pk}/weights", {"file": _file(state), "op": "ResNet18"},
                                  format="multipart")
    assert response.status_code == 403

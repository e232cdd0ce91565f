"""Decompression bombs: sizes are checked before anything is unpacked, and what
is unpacked is unpacked in a child process whose memory is limited."""
from __future__ import annotations

import io

import numpy as np
import psutil
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from designer.datasets.models import Dataset

pytestmark = pytest.mark.django_db


def _npz(samples: int, features: int) -> bytes:
    out = io.BytesIO()
    np.savez_compressed(out, x=np.zeros((samples, features), np.float32), y=np.zeros(samples, np.int64))
    return out.getvalue()


def _upload(client, project, content: bytes):
    return client.post(f"/api/projects/{project.pk}/datasets", {
        "file": SimpleUploadedFile("bomb.npz", content), "kind": "npz", "name": "bomb"}, format="multipart")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_an_npz_declaring_a_gibibyte_is_refused_from_its_headers(owner_client, project, media):
    bomb = _npz(262_144, 1024)  # 1 GiB of float32 zeros in about 1 MB
    assert len(bomb) < 2 * 1024**2
    response = _upload(owner_client, project, bomb)
    assert response.status_code == 400
    [problem] = response.json()["errors"]
    # Refused from the .npy headers (shape and dtype), before any array was read.
    assert problem["field"] == "file" and "arrays unpack to 1,075,8" in problem["message"]
    assert not Dataset.objects.exists()


def test_an_npz_past_the_inspections_memory_is_refused_by_the_child(owner_client, project, media, settings):
    settings.NETWEAVE_INSPECT_MEMORY_BYTES = 256 * 1024**2
    bomb = _npz(100_000, 1000)  # 400 MB unpacked: under the header check's limit, over the child's memory
    before = psutil.Process().memory_info().rss
    response = _upload(owner_client, project, bomb)
    assert response.status_code == 400, response.json()
    [problem] = response.json()["errors"]
    assert problem["field"] == "file" and "NETWEAVE_INSPECT_MEMORY_BYTES" in problem["message"]
    assert psutil.Process().memory_info().rss - before < 100 * 1024**2  # the server did not unpack it
    assert not Dataset.objects.exists()


def test_an_upload_is_checked_after_this_process_used_torchs_thread_pool(owner_client, project, media, settings):
    """fork() copies one thread: a child that used torch's intra-op pool of its
    parent waited forever (an export or a weights check had used it before)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        torch.ones(1 << 20).mul_(2)  # a parallel region: the pool exists now, as after an export
        settings.NETWEAVE_INSPECT_SECONDS = 60.0
        response = _upload(owner_client, project, _npz(64, 1024))  # large enough for parallel work
    finally:
        torch.set_num_threads(threads)
    assert response.status_code == 201, response.json()

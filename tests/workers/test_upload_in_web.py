"""Uploads checked in a child forked from the real uvicorn process (threads,
an event loop): a sound CSV is stored, an NPZ past the child's memory is a 400."""
from __future__ import annotations

import io
import os

import httpx
import numpy as np
import pytest

from tests.workers.processes import database_url_for_children, start_web

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

CSV = b"a,b,label\n" + b"".join(f"{i},{i % 3},{'xy'[i % 2]}\n".encode() for i in range(40))


def test_uvicorn_checks_uploads_in_a_memory_limited_child(owner, project, tmp_path):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=owner).key
    env = {**os.environ, "DATABASE_URL": database_url_for_children(), "OMP_NUM_THREADS": "1",
           "NETWEAVE_MEDIA_ROOT": str(tmp_path / "media"), "NETWEAVE_INSPECT_MEMORY_BYTES": str(256 * 1024**2)}
    web, url = start_web(env, tmp_path)
    bomb = io.BytesIO()
    np.savez_compressed(bomb, x=np.zeros((100_000, 1000), np.float32), y=np.zeros(100_000, np.int64))
    try:
        with httpx.Client(base_url=url, headers={"Authorization": f"Token {token}"}, timeout=180) as client:
            sound = client.post(f"/api/projects/{project.pk}/datasets", data={"kind": "csv", "name": "t"},
                                files={"file": ("t.csv", CSV)})
            refused = client.post(f"/api/projects/{project.pk}/datasets", data={"kind": "npz", "name": "b"},
                                  files={"file": ("b.npz", bomb.getvalue())})
    finally:
        web.stop()
    assert sound.status_code == 201, sound.text
    assert sound.json()["input_shape"] == [2]
    assert refused.status_code == 400, refused.text
    assert "NETWEAVE_INSPECT_MEMORY_BYTES" in refused.json()["detail"]

"""schemathesis against the running server's own schema (/api/schema/): no
input it generates may cause a server error. Slow (minutes): `make fuzz`
runs it (NETWEAVE_FUZZ=1); CI runs `make fuzz` after `make test`."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.api import documents
from tests.workers.processes import database_url_for_children, start_web

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True),
              pytest.mark.skipif(os.environ.get("NETWEAVE_FUZZ") != "1", reason="make fuzz runs it")]

EXAMPLES = os.environ.get("NETWEAVE_FUZZ_EXAMPLES", "10")


def test_no_generated_request_causes_a_server_error(owner, owner_client, project, tmp_path):
    from rest_framework.authtoken.models import Token

    graph = owner_client.post(f"/api/projects/{project.pk}/graphs",
                              {"name": "g", "document": documents.tiny_cnn()}, format="json").json()
    owner_client.post("/api/runs", {"graph": graph["id"], "dataset": {"kind": "digits"}}, format="json")
    token = Token.objects.create(user=owner).key
    env = {**os.environ, "DATABASE_URL": database_url_for_children(), "OMP_NUM_THREADS": "1",
           "NETWEAVE_RUNS_ROOT": str(tmp_path / "runs"), "NETWEAVE_MEDIA_ROOT": str(tmp_path / "media")}
    web, url = start_web(env, tmp_path)
    try:
        result = subprocess.run(
            [str(Path(sys.executable).with_name("schemathesis")), "run", f"{url}/api/schema/",
             "--header", f"Authorization: Token {token}", "--checks", "not_a_server_error",
             "--max-examples", EXAMPLES, "--generation-deterministic", "--suppress-health-check", "all",
             # Logging out would revoke the token the rest of the run uses.
             "--exclude-path", "/api/auth/logout", "--request-timeout", "60"],
            capture_output=True, text=True, timeout=1800)
    finally:
        web.stop()
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:] + web.output()[-4000:]

"""schemathesis against the running server's own schema (/api/schema/): no
input it generates may cause a server error, and every answer must be one the
schema documents (its status code, content type and body). Slow (minutes):
it runs with NETWEAVE_FUZZ=1, as a shard of its own in `make test` (tests/parallel.py) or alone
with `make fuzz`."""
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
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def config(project: int, graph: int, run: int, decoy_project: int, decoy_graph: int) -> str:
    """schemathesis.toml: the operations on one resource read a real one (random ids only
    reach the 404), so their 200 answers are checked too; deletes get a decoy of their own."""
    fixed = [
        ("^/api/runs/\\\\{id\\\\}", "DELETE", {"path.id": run}),
        ("^/api/projects/\\\\{id\\\\}", "DELETE", {"path.id": project}),
        ("^/api/graphs/\\\\{id\\\\}", "DELETE", {"path.id": graph, "path.number": 1}),
        ("^/api/(series|compare)", "DELETE", {"query.runs": str(run)}),
        ("^/api/projects/\\\\{id\\\\}$", "GET|PUT|PATCH", {"path.id": decoy_project}),
        ("^/api/graphs/\\\\{id\\\\}$", "GET|PUT|PATCH", {"path.id": decoy_graph}),
    ]
    blocks = []
    for regex, other_methods, parameters in fixed:
        values = ", ".join(f'"{k}" = {v!r}'.replace("'", '"') for k, v in parameters.items())
        blocks.append(f'[[operations]]\ninclude-path-regex = "{regex}"\nexclude-method-regex = "^({other_methods})$"\n'
                      f"parameters = {{ {values} }}\n")
    return "\n".join(blocks)


def test_every_answer_is_documented_and_none_is_a_server_error(owner, owner_client, project, tmp_path):
    from rest_framework.authtoken.models import Token

    from designer.graphs.models import Project
    from designer.graphs.services import create_graph
    from designer.runs.ingest import Point, write_points

    graph = owner_client.post(f"/api/projects/{project.pk}/graphs",
                              {"name": "g", "document": documents.tiny_cnn()}, format="json").json()
    run = owner_client.post("/api/runs", {"graph": graph["id"], "dataset": {"kind": "digits"}}, format="json").json()
    # Ended, so that its event stream (/api/runs/<id>/events) replays and closes instead of waiting.
    owner_client.post(f"/api/runs/{run['id']}/cancel")
    write_points(run["id"], [Point("train/loss", step, 1 / (step + 1), 1000.0 + step) for step in range(40)])
    decoy = Project.objects.create(name="decoy", owner=owner)
    decoy_graph = create_graph(decoy, "decoy", owner, documents.tiny_cnn(), "")
    settings = tmp_path / "schemathesis.toml"
    settings.write_text(config(project.pk, graph["id"], run["id"], decoy.pk, decoy_graph.pk))
    token = Token.objects.create(user=owner).key
    env = {**os.environ, "DATABASE_URL": database_url_for_children(), "OMP_NUM_THREADS": "1",
           "NETWEAVE_RUNS_ROOT": str(tmp_path / "runs"), "NETWEAVE_MEDIA_ROOT": str(tmp_path / "media")}
    web, url = start_web(env, tmp_path)
    try:
        result = subprocess.run(
            [str(Path(sys.executable).with_name("schemathesis")), "--config-file", str(settings),
             "run", f"{url}/api/schema/",
             "--header", f"Authorization: Token {token}", "--checks", CHECKS,
             "--max-examples", EXAMPLES, "--generation-deterministic", "--suppress-health-check", "all",
             # Logging out would revoke the token the rest of the run uses.
             "--exclude-path", "/api/auth/logout", "--request-timeout", "60"],
            capture_output=True, text=True, timeout=1800)
    finally:
        web.stop()
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:] + web.output()[-4000:]

"""The API's cost over the engine: validate latency (p50, p99) and listing 1,000 graphs.

For the ResNet-18 template and a generated 1,000-node graph, POST
/api/graphs/validate through Django's full stack (middleware, session auth,
JSON parsing, limits, rendering) against calling `validate_graph` directly in
the same process: the ratio is the API's overhead. Listing: GET
/api/projects/<id>/graphs?limit=1000 against the bare ORM query behind it.

    .venv/bin/python benches/bench_api_validate.py

Uses DATABASE_URL (default postgres://postgres@127.0.0.1:5432/netweave_service)
and creates/destroys a scratch test database next to it.
"""
from __future__ import annotations

import gc
import json
import statistics
import time

from djangobench import scratch_database, setup

setup("netweave_service")

import torch  # noqa: E402

torch.set_num_threads(1)


def paired_timings(baseline, subject, repeat: int, warmup: int = 3) -> tuple[list[float], list[float]]:
    """Milliseconds per call of each, taken in alternation so that a busy
    machine slows both sides alike instead of whichever ran second."""
    for _ in range(warmup):
        baseline()
        subject()
    base_ms, subject_ms = [], []
    for _ in range(repeat):
        for fn, out in ((baseline, base_ms), (subject, subject_ms)):
            start = time.perf_counter()
            fn()
            out.append((time.perf_counter() - start) * 1000)
    return base_ms, subject_ms


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def chain_graph(n: int) -> dict:
    """Input(64) → (Linear, ReLU) × … → Output: exactly n nodes."""
    nodes = [{"id": "x", "op": "Input", "params": {"shape": [64], "dtype": "float32"}}]
    for i in range(n - 2):
        op, params = ("Linear", {"out_features": 64}) if i % 2 == 0 else ("ReLU", {})
        nodes.append({"id": f"n{i}", "op": op, "params": params})
    nodes.append({"id": "y", "op": "Output", "params": {}})
    edges = [{"source": a["id"], "source_port": "out", "target": b["id"], "target_port": "in"}
             for a, b in zip(nodes, nodes[1:])]
    return {"schema": "netweave.graph/1", "name": f"chain{n}", "variables": {}, "nodes": nodes,
            "edges": edges, "blocks": {}}


def bench_validate(client, label: str, document: dict, repeat: int) -> None:
    from django.conf import settings

    from workers.engine import validate_graph

    body = json.dumps({"document": document})

    def api():
        response = client.post("/api/graphs/validate", body, content_type="application/json")
        assert response.status_code == 200 and response.json()["ok"], response.content[:300]

    def direct():
        validate_graph(document, param_budget=settings.NETWEAVE_PARAM_BUDGET,
                       max_nodes=settings.NETWEAVE_MAX_NODES)

    engine_ms, api_ms = paired_timings(direct, api, repeat)
    print(f"validate {label:<16} engine p50 {p(engine_ms, .5):7.1f} ms  p99 {p(engine_ms, .99):7.1f} ms | "
          f"API p50 {p(api_ms, .5):7.1f} ms  p99 {p(api_ms, .99):7.1f} ms | "
          f"overhead x{statistics.median(api_ms) / statistics.median(engine_ms):.2f} "
          f"(+{p(api_ms, .5) - p(engine_ms, .5):.1f} ms)")


def bench_floor(client, repeat: int) -> None:
    """What any signed-in request costs (session + user rows, middleware, DRF): the overhead's floor."""

    def me():
        assert client.get("/api/auth/me").status_code == 200

    _, ms = paired_timings(lambda: None, me, repeat)
    print(f"GET /api/auth/me (floor)  p50 {p(ms, .5):7.1f} ms  p99 {p(ms, .99):7.1f} ms")


def make_graphs(project, user, count: int) -> None:
    from designer.graphs.models import Graph, GraphVersion, content_hash
    from workers.engine import load_template

    document = load_template("mnist_cnn")
    graphs = Graph.objects.bulk_create(
        [Graph(project=project, name=f"graph-{i:04d}", created_by=user) for i in range(count)]
    )
    versions = GraphVersion.objects.bulk_create([
        GraphVersion(graph=g, number=1, author=user, message="bench", document=document,
                     content_hash=content_hash(document), valid=True, node_count=len(document["nodes"]))
        for g in graphs
    ])
    for graph, version in zip(graphs, versions):
        graph.head = version
    Graph.objects.bulk_update(graphs, ["head"])


def bench_listing(client, project, user, count: int, repeat: int) -> None:
    from designer.graphs.models import Graph

    make_graphs(project, user, count)

    def api():
        response = client.get(f"/api/projects/{project.pk}/graphs?limit={count}")
        assert len(response.json()["results"]) == count

    def orm():
        rows = Graph.objects.filter(project=project).values(
            "id", "name", "description", "created", "updated", "head__number", "head__valid")
        assert len(list(rows)) == count

    orm_ms, api_ms = paired_timings(orm, api, repeat)
    print(f"list {count} graphs         ORM p50 {p(orm_ms, .5):7.1f} ms  p99 {p(orm_ms, .99):7.1f} ms | "
          f"API p50 {p(api_ms, .5):7.1f} ms  p99 {p(api_ms, .99):7.1f} ms | "
          f"overhead x{statistics.median(api_ms) / statistics.median(orm_ms):.2f}")


def main() -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.test.utils import setup_test_environment

    from designer.graphs.models import Project
    from workers.engine import load_template

    setup_test_environment()
    with scratch_database("netweave_bench_api"):
        user = get_user_model().objects.create_user("bench", password="x" * 12)
        project = Project.objects.create(name="bench", owner=user)
        client = Client()
        client.force_login(user)
        client.post("/api/graphs/validate", {"document": chain_graph(10)}, content_type="application/json")
        gc.freeze()  # as the web process does after start-up (designer/asgi.py)
        bench_floor(client, repeat=60)
        bench_validate(client, "resnet18", load_template("resnet18"), repeat=60)
        bench_validate(client, "1,000 nodes", chain_graph(1000), repeat=30)
        bench_listing(client, project, user, 1000, repeat=20)


if __name__ == "__main__":
    main()

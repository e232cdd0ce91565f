"""The job child as the Celery task starts it: a real subprocess speaking the protocol."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import torch

from .conftest import mlp_graph

ROOT = Path(__file__).resolve().parents[3]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}


def _write_job(run_dir: Path, config: dict, graph=None, dataset=None, resume_from=None) -> Path:
    run_dir.mkdir(parents=True, exist_ok=True)
    job = {"kind": "train", "run_id": 1, "graph": graph or mlp_graph(),
           "dataset": dataset or {"kind": "digits"},
           "config": {"batch_size": 64, **config}, "resume_from": resume_from}
    (run_dir / "job.json").write_text(json.dumps(job))
    return run_dir


def _events(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]  # every line must be JSON


def _run(run_dir: Path, *launcher: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, *launcher, "-m", "workers.engine.jobs", str(run_dir)]
    return subprocess.run(cmd, cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=120)


def test_one_epoch_on_digits_speaks_the_protocol(tmp_path):
    result = _run(_write_job(tmp_path / "run", {"epochs": 1, "system_every_s": 0.5}))
    assert result.returncode == 0, result.stderr
    events = _events(result.stdout)
    kinds = {(e["type"], e.get("split")) for e in events}
    assert {("metric", "train"), ("metric", "val"), ("metric", "test"), ("checkpoint", None),
            ("artifact", None), ("done", None)} <= kinds
    assert events[-1]["type"] == "done" and events[-1]["status"] == "succeeded"
    assert "test_accuracy" in events[-1]["summary"]
    assert (tmp_path / "run" / "checkpoints" / "last.pt").is_file()
    # What the run is doing is said as it changes, before the first metric.
    phases = [(e["phase"], e.get("epoch")) for e in events if e["type"] == "phase"]
    assert phases == [("loading data", None), ("building the model", None), ("training", 1), ("testing", None)]
    first_metric = next(i for i, e in enumerate(events) if e["type"] == "metric")
    assert [e["type"] for e in events[:first_metric]].count("phase") == 3


def test_sigterm_saves_last_exits_143_and_resume_continues(tmp_path):
    run_dir = _write_job(tmp_path / "run", {"epochs": 10000, "batch_size": 8})
    # stderr to a file: communicate() on two pipes reads the raw descriptors and would
    # drop what the text wrapper already buffered past the first metric (half a line).
    with open(tmp_path / "stderr.log", "w+") as stderr:
        proc = subprocess.Popen([sys.executable, "-m", "workers.engine.jobs", str(run_dir)], cwd=ROOT,
                                env=ENV, stdout=subprocess.PIPE, stderr=stderr, text=True,
                                start_new_session=True)
        try:
            for line in proc.stdout:  # wait until training is under way
                if json.loads(line)["type"] == "metric":
                    break
            os.killpg(proc.pid, signal.SIGTERM)
            out = proc.stdout.read()  # the same wrapper: the rest, from a line boundary
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
        stderr.seek(0)
        err = stderr.read()
    assert proc.returncode == 143, err
    done = _events(out)[-1]
    assert done == {"type": "done", "status": "cancelled", "summary": {"step": done["summary"]["step"]}}
    last = run_dir / "checkpoints" / "last.pt"
    state = torch.load(last, weights_only=True)["state"]
    assert state["step"] == done["summary"]["step"] > 0

    # Resume to the end of the interrupted epoch: the first step is the next one.
    _write_job(run_dir, {"epochs": state["epoch"] + 1, "batch_size": 8}, resume_from=str(last))
    result = _run(run_dir)
    assert result.returncode == 0, result.stderr
    steps = [e["step"] for e in _events(result.stdout) if e["type"] == "metric"
             and e["split"] == "train" and "loss" in e["values"]]
    assert steps[0] == state["step"] + 1
    assert steps[-1] == (state["epoch"] + 1) * -(-1259 // 8)  # digits: 1,259 training samples


def test_a_graph_that_crashes_fails_with_the_error_on_stderr(tmp_path):
    graph = mlp_graph()
    graph["nodes"][2]["op"] = "NoSuchLayer"
    result = _run(_write_job(tmp_path / "run", {"epochs": 1}, graph=graph))
    assert result.returncode != 0
    assert "fc1" in result.stderr.splitlines()[-1]
    assert _events(result.stdout)[-1]["status"] == "failed"


def test_ddp_on_two_processes_matches_one_process(tmp_path):
    config = {"epochs": 2, "batch_size": 64, "optimizer": {"name": "sgd", "lr": 0.1, "momentum": 0.9}}
    dataset = {"kind": "moons", "options": {"n_samples": 1000}}  # 700 training samples: even shards
    graph = mlp_graph(shape=(2,), classes=2)
    single = _write_job(tmp_path / "one", config, graph=graph, dataset=dataset)
    double = _write_job(tmp_path / "two", config, graph=graph, dataset=dataset)
    assert _run(single).returncode == 0
    result = _run(double, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    assert _events(result.stdout)[-1]["status"] == "succeeded"  # rank 0 alone prints
    one, two = (torch.load(d / "checkpoints" / "last.pt", weights_only=True)["model"]
                for d in (single, double))
    assert one.keys() == two.keys()
    assert max(float((one[k] - two[k]).abs().max()) for k in one) <= 1e-5

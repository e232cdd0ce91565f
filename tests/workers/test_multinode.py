"""Two nodes (two torch.distributed.run launchers meeting at a c10d rendezvous, gloo) train
exactly like one node with two processes: same global batch, same seed, same losses."""
from __future__ import annotations

import json
import os
import subprocess

import pytest

from designer.runs.process import child_command, child_env
from tests.api import documents
from tests.workers.processes import ROOT, free_port

pytestmark = pytest.mark.integration

JOB = {"kind": "train", "run_id": 1, "graph": documents.tiny_cnn(), "dataset": {"kind": "digits", "options": {}},
       "config": {"epochs": 1, "batch_size": 128, "device": "cpu", "seed": 3, "system_every_s": 60},
       "inputs": [], "resources": {"queue": "cpu", "devices": 2}, "resume_from": None}


def prepare(folder) -> None:
    (folder / "checkpoints").mkdir(parents=True)
    (folder / "job.json").write_text(json.dumps(JOB))


def losses(outputs: list[str]) -> dict[int, float]:
    found = {}
    for line in "\n".join(outputs).splitlines():
        if line.startswith("{") and '"metric"' in line:
            event = json.loads(line)
            if event["split"] == "train" and "loss" in event["values"]:
                found[event["step"]] = event["values"]["loss"]
    return found


def launch(commands: list[list[str]]) -> list[str]:
    env = child_env({"OMP_NUM_THREADS": "1"})
    procs = [subprocess.Popen(c, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for c in commands]
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-3000:]
        outputs.append(out)
    return outputs


def test_two_nodes_train_like_one_node_with_two_processes(tmp_path, settings):
    one, two = tmp_path / "one-node", tmp_path / "two-nodes"
    prepare(one)
    prepare(two)
    single = losses(launch([child_command(one, 2)]))
    endpoint = f"127.0.0.1:{free_port()}"
    nodes = launch([child_command(two, 1, nodes=2, rendezvous=endpoint, rendezvous_id="run-1")
                    for _ in range(2)])
    # Global rank 0 (on whichever node the rendezvous made first) alone prints the events.
    assert sum(1 for out in nodes if '"metric"' in out) == 1
    paired = losses(nodes)
    assert sorted(paired) == sorted(single) and len(single) == 10  # steps of the global batch
    assert all(abs(paired[step] - single[step]) <= 1e-5 for step in single)
    assert (two / "checkpoints" / "last.pt").is_file()
    assert os.environ.get("WORLD_SIZE") is None  # nothing leaked into this process

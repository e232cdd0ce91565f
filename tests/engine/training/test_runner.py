"""The job runner's one place for failure, in process: status, event and exit code."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from workers.engine.jobs.events import EventWriter
from workers.engine.jobs.binding import check_input_shape
from workers.engine.jobs.kinds import JobError
from workers.engine.jobs.runner import StopFlag, execute

from .conftest import mlp_graph


def _job(run_dir, **fields):
    run_dir.mkdir(parents=True, exist_ok=True)
    job = {"kind": "train", "run_id": 3, "graph": mlp_graph(), "dataset": {"kind": "digits"},
           "config": {"epochs": 1}, "resume_from": None, **fields}
    (run_dir / "job.json").write_text(json.dumps(job))
    return run_dir


@pytest.mark.parametrize("fields, needle", [
    ({"config": {"epochs": 0, "optimizer": {"lr": 0}}}, "epochs: Input should be greater"),
    ({"config": {"optimizer": {"lr": 0}}}, "optimizer.lr"),
    ({"dataset": {"kind": "moons"}}, "Input 'x' has shape [1, 8, 8] but dataset 'moons' gives [2]"),
    ({"dataset": {"kind": "csv", "path": "/nonexistent.csv"}}, "does not exist"),
    ({"kind": "nope"}, "unknown job kind 'nope'; known kinds: "),
])
def test_bad_input_fails_with_exit_2_and_names_what_to_fix(tmp_path, sink, capsys, fields, needle):
    code = execute(_job(tmp_path / "run", **fields), sink, StopFlag())
    assert code == 2
    done = sink.events[-1]
    assert done["type"] == "done" and done["status"] == "failed" and needle in done["error"]
    assert needle in capsys.readouterr().err.splitlines()[-1]


def test_a_crash_fails_with_exit_1_and_the_traceback(tmp_path, sink, capsys):
    broken = tmp_path / "broken.pt"
    broken.write_bytes(b"not a checkpoint")
    code = execute(_job(tmp_path / "run", resume_from=str(broken)), sink, StopFlag())
    assert code == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and err.splitlines()[-1].startswith("error: ")
    assert sink.events[-1]["status"] == "failed"


def test_a_stop_asked_for_before_training_cancels_at_the_first_step(tmp_path, sink):
    stop = StopFlag()
    stop.set = True
    assert execute(_job(tmp_path / "run"), sink, stop) == 143
    assert sink.events[-1] == {"type": "done", "status": "cancelled", "summary": {"step": 1}}
    assert (tmp_path / "run" / "checkpoints" / "last.pt").is_file()


def test_input_shape_check_wants_exactly_one_input():
    graph = mlp_graph()
    check_input_shape(graph, [1, 8, 8], "digits")
    graph["nodes"].append({"id": "x2", "op": "Input", "params": {"shape": [3]}})
    with pytest.raises(JobError, match="exactly one Input node; it has 2"):
        check_input_shape(graph, [1, 8, 8], "digits")


def test_event_writer_sends_nan_as_null_and_one_line_per_event():
    stream = io.StringIO()
    writer = EventWriter(stream)
    writer.emit({"type": "metric", "values": {"loss": float("nan"), "lr": 0.1}})
    writer.emit({"type": "log", "message": "two\nlines"})
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    assert json.loads(lines[0])["values"] == {"loss": None, "lr": 0.1}


def test_event_writer_stops_the_job_once_when_nobody_reads_its_events():
    read, write = os.pipe()
    os.close(read)  # the worker that read the events was killed
    lost = []
    writer = EventWriter(os.fdopen(write, "w", encoding="utf-8", buffering=1), on_lost=lambda: lost.append(1))
    writer.emit({"type": "metric", "values": {"loss": 1.0}})
    writer.emit({"type": "log", "message": "dropped"})
    writer.close()
    assert lost == [1] and writer.lost


def test_a_job_whose_reader_is_gone_saves_last_checkpoint_and_exits_as_cancelled(tmp_path):
    """The job process itself (as a worker starts it): its reader disappears mid-training."""
    run_dir = _job(tmp_path / "run", config={"epochs": 50, "batch_size": 16})
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3]), "OMP_NUM_THREADS": "1"}
    with open(run_dir / "stderr.log", "wb") as stderr:
        child = subprocess.Popen([sys.executable, "-m", "workers.engine.jobs", str(run_dir)], env=env,
                                 stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL)
    for line in child.stdout:
        if json.loads(line)["type"] == "metric":
            break
    child.stdout.close()  # nobody reads any more: the next event meets a broken pipe
    assert child.wait(timeout=120) == 143
    assert (run_dir / "checkpoints" / "last.pt").is_file()
    assert "stopped reading this job's events" in (run_dir / "stderr.log").read_text()

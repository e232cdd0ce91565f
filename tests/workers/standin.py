"""A stand-in for `python -m workers.engine.jobs <run_dir>` that speaks the job protocol.

Used by the unit tests of the supervision and ingest path (a test double of
a subprocess). Its behaviour comes from job.json's config["standin"]:
steps, keys, sleep (s between steps), crash_at (step), checkpoint_every.
SIGTERM: write checkpoints/last.pt, print done/cancelled, exit 143.
"""
import json
import signal
import sys
import time
from pathlib import Path

run_dir = Path(sys.argv[1])
job = json.loads((run_dir / "job.json").read_text())
plan = job["config"].get("standin", {})
stop = False


def on_term(signum, frame):
    global stop
    stop = True


signal.signal(signal.SIGTERM, on_term)


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def save(step):
    (run_dir / "checkpoints").mkdir(exist_ok=True)
    (run_dir / "checkpoints" / "last.pt").write_text(json.dumps({"step": step}))
    emit({"type": "checkpoint", "path": "checkpoints/last.pt", "epoch": step, "step": step, "best": False})


start = 0
if job.get("resume_from"):
    start = json.loads(Path(job["resume_from"]).read_text())["step"] + 1
    emit({"type": "log", "level": "info", "message": f"resumed at {start}"})
print("a stray print from user code", flush=True)
emit({"type": "phase", "phase": "training", "epoch": 1, "epochs": 1, "extra": "dropped"})
for step in range(start, plan.get("steps", 10)):
    if stop:
        save(step - 1)
        emit({"type": "done", "status": "cancelled", "summary": {"step": step}})
        sys.exit(143)
    if step == plan.get("crash_at"):
        print("Traceback (most recent call last):\nValueError: the stand-in crashed on purpose", file=sys.stderr)
        sys.exit(1)
    emit({"type": "metric", "step": step, "epoch": 0, "split": "train", "time": 1.7e9 + step,
          "values": {f"k{i}": float(step * (i + 1)) for i in range(plan.get("keys", 2))}})
    if plan.get("checkpoint_every") and step % plan["checkpoint_every"] == 0:
        save(step)
    time.sleep(plan.get("sleep", 0))
emit({"type": "artifact", "kind": "confusion_matrix", "step": plan.get("steps", 10), "data": [[1, 0], [0, 1]]})
emit({"type": "done", "status": "succeeded", "summary": {"test_accuracy": 0.5}})

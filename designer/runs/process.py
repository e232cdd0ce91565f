"""The training child process: its command line, its process group, its end.

The child runs in its own session (start_new_session=True), so a signal for
the run (cancel) reaches every process of it — torch.distributed.run and
all its ranks — and a crash or kill of the child never touches the worker.
The worker never imports torch, so it never touches torch.cuda before forking.
This is the cold path; designer/runs/warm.py forks single-device children
from a pre-imported zygote with the same isolation.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings

from workers.priority import lower_priority

JOB_MODULE = "workers.engine.jobs"


def child_command(run_dir: Path, devices: int, nodes: int = 1, rendezvous: str = "",
                  rendezvous_id: str = "", node_rank: int = 0) -> list[str]:
    """One device: a plain process; several: torch.distributed.run (DDP).

    Several nodes: one torch.distributed.run per node, each started with the
    same rendezvous endpoint (`host:port` of node 0, where node 0's agent
    serves the c10d TCPStore the others meet at) and its own `node_rank`.
    The ranks are fixed by the gang (static rendezvous), not by the order the
    nodes arrive in: c10d's dynamic rendezvous ranks nodes by host name and
    pid, so global rank 0, the process that prints the job's events, could
    land on a worker that does not hold the run.
    """
    if nodes > 1:
        return [sys.executable, "-m", "torch.distributed.run", "--nnodes", str(nodes),
                "--nproc_per_node", str(devices), "--rdzv_backend", "static", "--rdzv_endpoint", rendezvous,
                "--rdzv_id", rendezvous_id, "--node_rank", str(node_rank), "--max_restarts", "0",
                "-m", JOB_MODULE, str(run_dir)]
    if devices > 1:
        return [sys.executable, "-m", "torch.distributed.run", "--standalone",
                "--nproc_per_node", str(devices), "-m", JOB_MODULE, str(run_dir)]
    return [sys.executable, "-m", JOB_MODULE, str(run_dir)]


def _die_with_worker():
    """A preexec function: the kernel sends the child SIGTERM when its worker dies.

    The child lives in its own session (so a cancel reaches all of it), which
    also means nothing else stops it when the worker is killed outright; it
    would train on unseen, its metrics going nowhere. With this it saves
    last.pt and exits, and the redelivered run resumes from there. The libc
    function is looked up here, before the fork: the forked child only calls it.
    """
    try:
        import ctypes

        prctl = ctypes.CDLL("libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):  # not Linux: the stale-child check on redelivery still applies
        return None

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM)

    return preexec


PR_SET_PDEATHSIG = 1


def job_preexec():
    """A cold job process's preexec function (run in the child after its setsid): it dies
    with its worker and runs at NETWEAVE_JOB_NICE (workers/priority.py), below the web
    process and the worker. A child forked by the zygote is given the same value with its request."""
    die, nice = _die_with_worker(), settings.NETWEAVE_JOB_NICE

    def preexec() -> None:
        if die is not None:
            die()
        lower_priority(nice)

    return preexec


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The worker's environment for a job process (or the zygote), plus `extra`."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **(extra or {})}
    # The child must find `workers.engine` whatever the worker's cwd is.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(settings.BASE_DIR), env.get("PYTHONPATH")]))
    return env


def start_child(command: list[str], run_dir: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    stderr = open(run_dir / "stderr.log", "ab")
    try:
        return subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL,
            cwd=str(settings.BASE_DIR), env=child_env(env), start_new_session=True,
            preexec_fn=job_preexec(),
        )
    finally:
        stderr.close()


def signal_group(pgid: int, sig: int) -> bool:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    return True


def group_alive(pgid: int) -> bool:
    return signal_group(pgid, 0)


def kill_group(pgid: int, grace: float, proc: subprocess.Popen | None = None) -> None:
    """SIGTERM the whole group (the child saves last.pt), SIGKILL after `grace` s."""
    if not signal_group(pgid, signal.SIGTERM):
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if proc is not None:
            proc.poll()  # reap our own child so the group can empty
        if not group_alive(pgid):
            return
        time.sleep(0.05)
    signal_group(pgid, signal.SIGKILL)


def is_training_child(pid: int, run_dir: Path) -> bool:
    """Is `pid` still the training child of `run_dir` (and not a reused pid)?

    A cold child names its run folder on its command line; a child forked
    by the zygote has the zygote's, but both write stderr to the run's log.
    """
    try:
        if str(run_dir).encode() in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0"):
            return True
        return os.readlink(f"/proc/{pid}/fd/2") == str(run_dir / "stderr.log")
    except OSError:
        return False


def tail(path: Path, limit: int = 8000) -> str:
    """The last `limit` characters of a log file, starting at a line boundary."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - limit))
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return ""
    if size > limit and "\n" in text:
        text = text.split("\n", 1)[1]
    return text


def describe_exit(returncode: int, stderr_tail: str) -> str:
    """A one-line error a person can act on: the exception line, or the signal."""
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"training process was killed by {name}"
    lines = [line.strip() for line in stderr_tail.splitlines() if line.strip()]
    last = lines[-1] if lines else "no error output"
    return f"training process exited with code {returncode}: {last}"[:2000]

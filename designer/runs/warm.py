"""Warm starts: the worker's zygote and the job children it forks.

Each worker process keeps one zygote (workers/engine/jobs/zygote.py), started
when the process starts and again whenever it is found dead. A single-device
job asks it for a child over a private Unix socket, handing over the child's
stdout (a pipe the supervisor reads) and stderr (the run's stderr.log); what
comes back behaves like the `subprocess.Popen` of a cold child for the parts
the supervisor uses (pid, stdout, poll, wait, returncode). When the zygote
cannot serve (disabled, still importing after NETWEAVE_WARM_WAIT, dead) the
job starts cold: slower, never wrong.
"""
from __future__ import annotations

import atexit
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings

from designer.runs.process import _die_with_worker, child_command, child_env, group_alive, start_child

log = logging.getLogger("netweave.runs.warm")

ZYGOTE_MODULE = "workers.engine.jobs.zygote"
LOST = "error: this worker's warm start process ended while the job ran"


class ForkedChild:
    """A job process forked by the zygote; its exit status comes over the connection."""

    def __init__(self, conn: socket.socket, pid: int, stdout, run_dir: Path):
        self.conn, self.pid, self.stdout, self.run_dir = conn, pid, stdout, run_dir
        self.returncode: int | None = None
        self.orphaned = False  # the zygote died first: only the process group is left to watch
        self.zygote_lost = False  # ... and the job ended without an exit status

    def poll(self) -> int | None:
        if self.returncode is None:
            self._receive(0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.returncode is None:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if self.orphaned:  # no message will come: look at the group now and then
                left = 0.1 if left is None else min(left, 0.1)
            self._receive(left)
            if self.returncode is None and deadline is not None and time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(f"job process {self.pid}", timeout)
        return self.returncode

    def _receive(self, timeout: float | None) -> None:
        if self.orphaned:
            if group_alive(self.pid):
                time.sleep(timeout or 0)
            else:
                self._lost()
            return
        self.conn.settimeout(timeout)
        try:
            data = self.conn.recv(4096)
        except (BlockingIOError, TimeoutError):
            return
        except OSError:
            data = b""
        if data:
            self.returncode = int(json.loads(data)["returncode"])
            self.conn.close()
        else:
            # The zygote died; the child got SIGTERM with it (PR_SET_PDEATHSIG)
            # and is saving last.pt: wait for its group to empty.
            self.orphaned = True
            self.conn.close()

    def _lost(self) -> None:
        with open(self.run_dir / "stderr.log", "a") as stderr:
            stderr.write(f"\n{LOST}\n")
        self.zygote_lost, self.returncode = True, 1


class Zygote:
    """One worker process's fork server: a child process with torch and the engine imported."""

    def __init__(self):
        # PR_SET_PDEATHSIG fires when the *thread* that started the zygote ends:
        # Celery's pool runs tasks (and worker_process_init) in its main thread.
        # One started from a short-lived thread dies with it and is started again.
        self.owner = os.getpid()
        self.folder = Path(tempfile.mkdtemp(prefix="netweave-zygote-"))  # mode 0700: ours alone
        self.path = self.folder / "socket"
        env = child_env()
        # numpy's OpenBLAS would start a thread pool at import; the zygote stays one
        # thread (a job's numpy work is data preparation; torch has its own threads).
        env.setdefault("OPENBLAS_NUM_THREADS", "1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", ZYGOTE_MODULE, str(self.path)], env=env,
            cwd=str(settings.BASE_DIR), stdin=subprocess.DEVNULL, start_new_session=True,
            preexec_fn=_die_with_worker())

    def alive(self) -> bool:
        return self.proc.poll() is None

    def connect(self, wait: float) -> socket.socket | None:
        """A connection once the zygote has imported everything (it binds only then)."""
        deadline = time.monotonic() + wait
        while self.alive():
            conn = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            try:
                conn.connect(str(self.path))
                return conn
            except (FileNotFoundError, ConnectionRefusedError):
                conn.close()
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.02)
        return None

    def fork(self, run_dir: Path, env: dict[str, str], wait: float) -> ForkedChild | None:
        conn = self.connect(wait)
        if conn is None:
            return None
        read, write = os.pipe()
        stderr = os.open(run_dir / "stderr.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        request = {"argv": [str(run_dir)], "env": env, "cwd": str(settings.BASE_DIR),
                   "nice": settings.NETWEAVE_JOB_NICE}
        try:
            socket.send_fds(conn, [json.dumps(request).encode()], [write, stderr])
            conn.settimeout(30)
            reply = json.loads(conn.recv(4096) or b"{}")
        except (OSError, ValueError) as exc:
            reply = {"error": str(exc)}
        finally:
            os.close(write)
            os.close(stderr)
        if "pid" not in reply:
            log.warning("the zygote did not fork a job for %s: %s", run_dir, reply.get("error", "no reply"))
            conn.close()
            os.close(read)
            return None
        return ForkedChild(conn, int(reply["pid"]), os.fdopen(read, "rb"), run_dir)

    def stop(self) -> None:
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


_zygote: Zygote | None = None


def zygote() -> Zygote:
    """This process's zygote, started (again) when there is none or it died."""
    global _zygote
    # A process forked from one with a zygote (Celery's pool) starts its own.
    if _zygote is None or _zygote.owner != os.getpid() or not _zygote.alive():
        if _zygote is not None and _zygote.owner == os.getpid():
            log.warning("the zygote (pid %s) ended with %s; starting another", _zygote.proc.pid,
                        _zygote.proc.returncode)
            _zygote.stop()
        _zygote = Zygote()
    return _zygote


def prestart(**_kwargs) -> None:
    """Start the zygote with the worker process, so that it is warm by the first job."""
    if settings.NETWEAVE_WARM_START:
        zygote()


@atexit.register
def shutdown(**_kwargs) -> None:
    global _zygote
    if _zygote is not None and _zygote.owner == os.getpid():
        _zygote.stop()
    _zygote = None


def start_job(run_dir: Path, devices: int, env: dict[str, str] | None = None):
    """The job's process: forked from the zygote (one device) or started cold."""
    env = env or {}
    if devices == 1 and settings.NETWEAVE_WARM_START:
        child = zygote().fork(run_dir, env, settings.NETWEAVE_WARM_WAIT)
        if child is not None:
            return child
        log.warning("run folder %s: no warm process to fork from; starting the job cold", run_dir)
    return start_child(child_command(run_dir, devices), run_dir, env)

"""``python -m workers.engine.jobs.zygote <socket>``: a warm fork server for job children.

Importing torch and the engine costs a training child seconds before its
first step. A zygote pays that once per worker: it imports everything a job
needs, then forks one child per request, and the child runs the same entry
point as ``python -m workers.engine.jobs <run_dir>`` (docs/contracts.md,
section 3) with the same isolation as a cold child:

- its own session and process group (a cancel signals the group);
- ``PR_SET_PDEATHSIG``: the child gets SIGTERM when the zygote dies, and the
  zygote gets it when its worker dies, so a job dies with its worker;
- stdout (the JSON lines) and stderr (``stderr.log``) are file descriptors the
  worker passes with the request (SCM_RIGHTS), stdin is /dev/null;
- its CPU priority: the request's ``nice`` (NETWEAVE_JOB_NICE), for the
  process and for its new session (workers/priority.py);
- a crash in a child is the child's own; the zygote only reports its exit.

The zygote never touches ``torch.cuda`` (CUDA cannot be forked) and runs no
torch operation, so no thread pool exists when it forks: it stays a single
thread. (numpy's OpenBLAS starts a pool when it loads unless
``OPENBLAS_NUM_THREADS=1``, which whoever starts the zygote sets.) ``CUDA_VISIBLE_DEVICES`` and other per-job variables arrive with the
request and are set in the child before anything reads them.

Protocol on an AF_UNIX SOCK_SEQPACKET socket, one connection per job:
request ``{"argv": [run_dir], "env": {...}, "cwd": path, "nice": n}`` with two fds
(stdout, stderr); replies ``{"pid": n}`` once forked and
``{"returncode": rc}`` when the child ended (negative: killed by a signal,
as ``subprocess`` reports it).
"""
from __future__ import annotations

import json
import os
import random
import selectors
import signal
import socket
import sys
import traceback

from workers.priority import lower_priority

PR_SET_PDEATHSIG = 1


def preload() -> None:
    """Import what a job needs, so that a forked child imports nothing of size."""
    import numpy  # noqa: F401
    import numpy.ma  # noqa: F401  (numpy.unique in the data split)
    import torch  # noqa: F401
    import torch._dynamo  # noqa: F401  (torch.optim imports it on first use, 1-2 s)
    import torch.distributed  # noqa: F401
    import torch.optim  # noqa: F401

    from .. import compile_graph  # noqa: F401  (the compiler, the registry, the ops)
    from .. import data, system, train  # noqa: F401
    from . import runner  # noqa: F401
    from ..tune import report  # noqa: F401  (a sweep's trial reports to Optuna: 1-2 s of imports)

    try:  # the trial's study storage: SQLAlchemy's PostgreSQL dialect and its driver, another 1-3 s
        import sqlalchemy.dialects.postgresql.psycopg  # noqa: F401
        import psycopg  # noqa: F401
    except ImportError:  # standalone mode on SQLite needs neither
        pass


def die_with_parent(expected_parent: int) -> None:
    """SIGTERM this process when its parent dies (Linux); exit if it already has."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the worker's stale-child check still applies
        return
    if os.getppid() != expected_parent:
        os._exit(1)


class Zygote:
    def __init__(self, path: str):
        self.pid = os.getpid()
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.listener.bind(path)  # bound only once preloaded: connecting means ready
        self.listener.listen(64)
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.listener, selectors.EVENT_READ, self._accept)
        self.waiting: dict[int, tuple[int, socket.socket]] = {}  # pidfd -> (pid, connection)

    def serve(self) -> None:
        while True:
            for key, _ in self.selector.select():
                key.data(key.fileobj)

    def _accept(self, listener: socket.socket) -> None:
        conn, _ = listener.accept()
        self.selector.register(conn, selectors.EVENT_READ, self._request)

    def _request(self, conn: socket.socket) -> None:
        self.selector.unregister(conn)  # one job per connection
        try:
            message, fds, _, _ = socket.recv_fds(conn, 65536, 4)
            if not message and not fds:  # closed unused: someone checked that we are ready
                conn.close()
                return
            request = json.loads(message)
            if len(fds) != 2 or not isinstance(request.get("argv"), list):
                raise ValueError("a request is {argv, env, cwd} with two fds (stdout, stderr)")
        except (OSError, ValueError) as exc:
            print(f"zygote: bad request: {exc}", file=sys.stderr, flush=True)
            conn.close()
            return
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            pid = os.fork()
        except OSError as exc:  # out of memory or processes: this job fails, the zygote lives
            pid = None
            _send(conn, {"error": f"cannot fork a job process: {exc}"})
        if pid == 0:
            self._child(request, fds, conn)
        for fd in fds:
            os.close(fd)
        if pid is None:
            conn.close()
            return
        pidfd = os.pidfd_open(pid)
        self.waiting[pidfd] = (pid, conn)
        self.selector.register(pidfd, selectors.EVENT_READ, self._reap)
        _send(conn, {"pid": pid})

    def _reap(self, pidfd: int) -> None:
        self.selector.unregister(pidfd)
        pid, conn = self.waiting.pop(pidfd)
        os.close(pidfd)
        _, status = os.waitpid(pid, 0)
        _send(conn, {"returncode": os.waitstatus_to_exitcode(status)})
        conn.close()

    def _child(self, request: dict, fds: list[int], conn: socket.socket) -> None:
        """In the forked child: become a job process and run the job; never returns."""
        code = 1
        try:
            os.setsid()
            lower_priority(int(request.get("nice") or 0))
            die_with_parent(self.pid)
            self._close_inherited(conn)
            null = os.open(os.devnull, os.O_RDONLY)
            for target, fd in ((0, null), (1, fds[0]), (2, fds[1])):
                os.dup2(fd, target)
                os.close(fd)
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, signal.SIG_DFL)
            os.environ.update({str(k): str(v) for k, v in (request.get("env") or {}).items()})
            os.chdir(request.get("cwd") or os.getcwd())
            _reseed()
            sys.argv = [runner_path(), *map(str, request["argv"])]
            from .runner import main

            code = main([str(a) for a in request["argv"]])
        except BaseException:  # noqa: BLE001 - whatever happens, the child ends here
            traceback.print_exc()
        finally:
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except (OSError, ValueError):
                    pass
            os._exit(code)

    def _close_inherited(self, conn: socket.socket) -> None:
        """The listener, every connection and pidfd belong to the zygote."""
        conn.close()
        for _, other in self.waiting.values():
            other.close()
        for key in list(self.selector.get_map().values()):  # the listener, pidfds, waiting requests
            fileobj = key.fileobj
            if isinstance(fileobj, int):
                os.close(fileobj)
            elif isinstance(fileobj, socket.socket):
                fileobj.close()
            else:
                os.close(fileobj.fileno())
        self.selector.close()


def _send(conn: socket.socket, message: dict) -> None:
    try:
        conn.send(json.dumps(message).encode())
    except OSError:  # the worker stopped listening: nothing to tell
        pass


def _reseed() -> None:
    """Forked children would share the zygote's random state; a cold child has its own."""
    import numpy as np
    import torch

    random.seed()
    np.random.seed(int.from_bytes(os.urandom(4), "little"))
    torch.seed()


def runner_path() -> str:
    from . import runner

    return runner.__file__


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m workers.engine.jobs.zygote <socket path>", file=sys.stderr)
        return 2
    # The worker started this process with PR_SET_PDEATHSIG already set (it
    # survives exec), so the zygote, and through it every child, dies with it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the worker decides when it stops
    preload()
    Zygote(argv[0]).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

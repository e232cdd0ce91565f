"""`make run`: Netweave on one machine with nothing else installed.

Migrates, collects the editor's static files when they are built, creates the
admin account on first start (password printed once), then runs uvicorn
(ASGI) and one Celery worker as child processes until Ctrl+C, which it passes
on to both.
"""
from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand

from designer.core.bootstrap import ADMIN, ensure_admin
from designer.env import envint, envstr


def web_command(host: str, port: int) -> list[str]:
    return [sys.executable, "-m", "uvicorn", "designer.asgi:application",
            "--host", host, "--port", str(port), "--log-level", "warning"]


def worker_command() -> list[str]:
    """The one Celery worker of standalone mode (the runs part owns what it listens to)."""
    from django.conf import settings

    from designer.runs.worker import worker_command as runs_worker

    # Both queues: on one machine the worker takes CPU and GPU runs alike;
    # it also runs the housekeeping schedule (no separate beat process).
    return runs_worker(concurrency=1, name="standalone@%h",
                       beat_schedule=str(Path(settings.VAR_DIR) / "celerybeat-schedule"))


def _die_with_parent() -> None:
    """Linux: a child gets SIGTERM if we are killed outright, so no server outlives us."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


PR_SET_PDEATHSIG = 1


class Command(BaseCommand):
    help = "Start Netweave standalone: web server and one worker, with an admin login."

    def handle(self, *args, **options):
        host = envstr("NETWEAVE_HOST", "127.0.0.1")
        port = envint("NETWEAVE_PORT", 8000, minimum=1)
        call_command("migrate", interactive=False, verbosity=0)
        # The editor's build (when there is one) and the API docs' assets, served by whitenoise.
        call_command("collectstatic", interactive=False, verbosity=0)
        password = ensure_admin()
        children = self.start({"web": web_command(host, port), "worker": worker_command()})
        self.announce(f"http://{host}:{port}/", password)
        return self.supervise(children)

    def announce(self, url: str, password: str | None) -> None:
        out = self.stdout
        out.write(f"Netweave is running at {url}")
        if password:
            out.write(f"Log in as {ADMIN} with password: {password}")
            out.write("This password is shown only this once; store it somewhere safe.")
        else:
            out.write(f"Log in as {ADMIN} (the account exists; forgot the password? "
                      f"run: .venv/bin/python manage.py changepassword {ADMIN})")
        if not url.startswith(("http://127.0.0.1:", "http://localhost:")):
            out.write("Browsing from another machine? Put the address you browse to in ALLOWED_HOSTS "
                      "(and http://address:port in CSRF_TRUSTED_ORIGINS), comma-separated.")
        out.write("Press Ctrl+C to stop.")
        out.flush()

    @staticmethod
    def start(commands: dict[str, list[str]]) -> dict[str, subprocess.Popen]:
        # Own sessions: the terminal's Ctrl+C reaches us alone, and we pass it on once.
        return {
            name: subprocess.Popen(cmd, start_new_session=True, preexec_fn=_die_with_parent)
            for name, cmd in commands.items()
        }

    def supervise(self, children: dict[str, subprocess.Popen]) -> None:
        received: list[int] = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda signum, frame: received.append(signum))
        while not received and all(child.poll() is None for child in children.values()):
            time.sleep(0.2)
        for child in children.values():
            if child.poll() is None:
                os.killpg(child.pid, received[0] if received else signal.SIGTERM)
        self.wait(children.values())
        if not received:
            died = [name for name, child in children.items() if child.returncode not in (0, None)]
            self.stderr.write(f"The {' and '.join(died) or 'child'} process stopped on its own; "
                              "stopped the rest too. Its output above says why.")
            sys.exit(1)
        self.stdout.write("Stopped.")

    @staticmethod
    def wait(children, grace: float = 20.0) -> None:
        deadline = time.monotonic() + grace
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()

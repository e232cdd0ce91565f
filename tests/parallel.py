"""`make test-python`: the suite in a few shards at once, each on its own databases.

Run one after another, the suite spends most of its time waiting: on workers starting, on
runs training in child processes, on Chromium. Over a serial run on the 2-core development
machine the load average stayed near 1.2 and pytest itself near a quarter of a core. So the
folders run side by side, each shard a pytest process of its own with:

- its own PostgreSQL database (the name from DATABASE_URL with the shard's name appended;
  pytest-django makes ``test_<that>``),
- its own Redis database (REDIS_URL's number plus the shard's index): its own Celery queues,
  and its own wake-ups (designer/runs/live.py names channels by database),
- its own var folder (uploads, keys, the standalone broker) under a temporary folder.

The engine's tests use neither service; the restart tests start private servers of their
own (tests/workers/private_services.py), so no shard stops what another uses.

At most three shards run at once (the machine's two cores are busy enough); the schemathesis
fuzz (tests/fuzz, ``NETWEAVE_FUZZ=1``) waits for the first of them to end, so it fills the time
the last shards run alone instead of adding its minute and a half after them.

Each line a shard prints is shown as it comes, prefixed with the shard's name; the exit status
is the first failing shard's. With arguments (``make test-python PYTEST_ARGS=...``) it is one
plain pytest run with those arguments, in the foreground.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[1]
# Balanced by a serial run's durations (2026-12-03, 2 cores): engine 330 s of CPU-bound work;
# workers 560 s, api 130 s and e2e 215 s mostly waiting on processes.
# The web shard takes every other folder (tests/api, tests/e2e, any new one): no test is left out.
# The shards start in this order, at most AT_ONCE at a time.
SHARDS = {"engine": ["tests/engine"], "workers": ["tests/workers"],
          "web": ["tests", "--ignore=tests/engine", "--ignore=tests/workers", "--ignore=tests/fuzz"],
          "fuzz": ["tests/fuzz"]}
SHARD_ENV = {"fuzz": {"NETWEAVE_FUZZ": "1"}}
AT_ONCE = 3


def shard_env(name: str, index: int, var_root: Path) -> dict[str, str]:
    env = {**os.environ, "NETWEAVE_VAR_DIR": str(var_root / name), "PYTHONUNBUFFERED": "1",
           **SHARD_ENV.get(name, {})}
    # Shards share the cores: torch's OpenMP pool of one thread a core in each would spin
    # against the others (tests that need another count set it themselves).
    env.setdefault("OMP_NUM_THREADS", "1")
    database = os.environ.get("DATABASE_URL", "")
    if database.startswith(("postgres://", "postgresql://")):
        parsed = urlparse(database)
        env["DATABASE_URL"] = urlunparse(parsed._replace(path=f"{parsed.path.rstrip('/')}_{name}"))
    redis = os.environ.get("REDIS_URL", "")
    if redis:
        parsed = urlparse(redis)
        number = int(parsed.path.strip("/") or 0) + index
        env["REDIS_URL"] = urlunparse(parsed._replace(path=f"/{number}"))
    return env


def _relay(name: str, stream, width: int) -> None:
    for line in iter(stream.readline, ""):
        sys.stdout.write(f"[{name:<{width}}] {line}")
        sys.stdout.flush()


def run_shards(shards: dict[str, list[str]], at_once: int = AT_ONCE) -> int:
    width = max(map(len, shards))
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="netweave-shards-") as var_root:
        waiting = list(enumerate(shards.items()))
        running: dict[str, subprocess.Popen] = {}
        relays: list[threading.Thread] = []
        codes: dict[str, int] = {}
        while waiting or running:
            while waiting and len(running) < at_once:
                index, (name, paths) = waiting.pop(0)
                running[name] = _start(name, paths, shard_env(name, index, Path(var_root)), width, relays)
            for name, proc in list(running.items()):  # each shard's end as it comes
                if proc.poll() is not None:
                    codes[name] = running.pop(name).returncode
                    print(f"[{name:<{width}}] exit {codes[name]} at {time.monotonic() - started:.0f} s", flush=True)
            time.sleep(0.5)
        for relay in relays:
            relay.join(timeout=5)
    print("shards: " + ", ".join(f"{name} {'passed' if codes[name] == 0 else f'FAILED (exit {codes[name]})'}"
                                 for name in shards)
          + f"; {time.monotonic() - started:.0f} s in all", flush=True)
    return next((code for code in codes.values() if code != 0), 0)


def _start(name: str, paths: list[str], env: dict[str, str], width: int,
           relays: list[threading.Thread]) -> subprocess.Popen:
    """One shard's pytest, its output relayed line by line under its name."""
    print(f"[{name:<{width}}] pytest {' '.join(paths)} (database {urlparse(env.get('DATABASE_URL', '')).path}"
          f", redis {urlparse(env.get('REDIS_URL', '')).path})", flush=True)
    proc = subprocess.Popen([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *paths], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    relays.append(threading.Thread(target=_relay, args=(name, proc.stdout, width), daemon=True))
    relays[-1].start()
    return proc


def main(argv: list[str]) -> int:
    if argv:
        return subprocess.call([sys.executable, "-m", "pytest", *argv], cwd=ROOT)
    return run_shards(SHARDS)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

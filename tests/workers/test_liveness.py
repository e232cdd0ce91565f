"""Whether a run's holder is alive decides between "duplicate delivery" and "resume"."""
import subprocess
import sys
import time

from designer.runs.lifecycle import pid_alive


def test_a_running_process_is_alive():
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert pid_alive(proc.pid)
    finally:
        proc.kill()
        proc.wait()


def test_a_zombie_is_not_alive():
    # A killed worker stays a zombie until its parent (or PID 1) reaps it:
    # taking that for a live holder dropped a redelivered run for good.
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 30
    while not open(f"/proc/{proc.pid}/stat").read().split(") ")[1].startswith("Z"):
        assert time.monotonic() < deadline, "the child never exited"
        time.sleep(0.05)
    try:
        assert not pid_alive(proc.pid)
    finally:
        proc.wait()
    assert not pid_alive(proc.pid)

"""`make deps` installs with uv from pip's own sources (tools/pip_sources.py)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tools.pip_sources import uv_args


def test_pips_indexes_and_find_links_become_uv_arguments():
    lines = ["global.index-url='https://mirror.example/simple'", ":env:.index-url='https://proxy.example/simple'",
             "global.extra-index-url='file:///opt/a/simple file:///opt/b/simple'",
             "install.extra-index-url='file:///opt/b/simple'", ":env:.find-links='/opt/wheels'",
             "global.find-links='/opt/wheels'", "global.timeout='60'", "global.cert='/etc/ssl/ca.crt'"]
    assert uv_args(lines) == ["--index-url", "https://proxy.example/simple",  # the environment's wins
                              "--extra-index-url", "file:///opt/a/simple", "--extra-index-url", "file:///opt/b/simple",
                              "--find-links", "/opt/wheels"]
    assert uv_args([]) == []


def test_it_reads_this_machines_pip_configuration(monkeypatch):
    monkeypatch.setenv("PIP_FIND_LINKS", "/nowhere/wheels")
    out = subprocess.run([sys.executable, "tools/pip_sources.py"], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1]).stdout.split()
    assert out[out.index("/nowhere/wheels") - 1] == "--find-links"

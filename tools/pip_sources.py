"""Print pip's package sources as uv arguments, so that `make deps` installs with uv from the
same places pip would: its index, extra indexes and find-links, from pip's configuration files
and PIP_* variables (`pip config list`). uv reads neither.

Run by the interpreter that has pip (the project's venv); prints nothing when pip has no sources
configured (uv then uses PyPI, as pip would).
"""
from __future__ import annotations

import shlex
import subprocess
import sys

OPTIONS = {"index-url": "--index-url", "extra-index-url": "--extra-index-url", "find-links": "--find-links"}


def uv_args(config_lines: list[str]) -> list[str]:
    """`pip config list` lines (``global.extra-index-url='a b'``, ``:env:.find-links='/x'``) as uv
    arguments. Extra indexes and find-links add up across pip's files and variables; of several
    index-urls the environment's wins, as in pip."""
    found: dict[str, list[str]] = {option: [] for option in OPTIONS.values()}
    for line in sorted(config_lines, key=lambda line: not line.startswith(":env:")):
        key, sep, value = line.partition("=")
        option = OPTIONS.get(key.rsplit(".", 1)[-1]) if sep else None
        if option is not None:
            found[option] += [source for source in " ".join(shlex.split(value)).split()
                              if source not in found[option]]
    return [arg for option, sources in found.items()
            for source in (sources[:1] if option == "--index-url" else sources) for arg in (option, source)]


def main() -> int:
    listed = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True)
    print(shlex.join(uv_args(listed.stdout.splitlines())))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Entry point: ``python -m workers.engine.jobs <run_dir>`` (see runner.py)."""
import sys

from .runner import main

sys.exit(main(sys.argv[1:]))

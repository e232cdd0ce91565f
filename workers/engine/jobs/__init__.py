"""The training child process: job.json in, JSON lines out (docs/contracts.md, section 3)."""

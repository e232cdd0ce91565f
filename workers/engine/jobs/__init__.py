"""Jobs: the registry of kinds and the child process that runs one (docs/contracts.md, section 3).

``list_jobs()`` names every kind a worker can run; importing this package
registers the built-in kinds (``catalogue.py``).
"""
from . import catalogue  # noqa: F401 - registers the built-in job kinds
from .kinds import (JobContext, JobError, JobKind, Pruned, Recipe, get_job, list_jobs, parse_job_config,
                    register_job)

__all__ = ["JobContext", "JobError", "JobKind", "Pruned", "Recipe", "get_job", "list_jobs",
           "parse_job_config", "register_job"]

"""The built-in job kinds: importing a kind's module registers it."""
from . import evaluate, train_job  # noqa: F401

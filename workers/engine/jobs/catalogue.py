"""The built-in job kinds: importing a kind's module registers it."""
from . import ensemble, evaluate, finetune, gan, train_job  # noqa: F401

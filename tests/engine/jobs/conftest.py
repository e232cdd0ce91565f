"""The job tests share the training tests' helpers: one thread, a recording sink."""
from tests.engine.training.conftest import RecordingSink, _one_thread, sink  # noqa: F401

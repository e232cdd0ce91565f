import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread():
    # The machine's cores are shared with other test runs.
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """The digits CNN trained for four epochs: an input run for the compress kind."""
    from .helpers import train_source

    return train_source(tmp_path_factory.mktemp("source"), epochs=4)

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread():
    # The machine's cores are shared with other test runs.
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)

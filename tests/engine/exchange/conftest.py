import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread():
    # The machine's cores are shared with other test runs; one thread keeps timings sane.
    torch.set_num_threads(1)

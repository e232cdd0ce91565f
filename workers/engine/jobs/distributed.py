"""Process placement: one process, or one of N started by ``torch.distributed.run``.

torchrun sets RANK, LOCAL_RANK and WORLD_SIZE; gloo serves the CPU and NCCL
the GPU. CUDA is touched only here, in the training child, which never forks
afterwards (loader workers on a GPU start with "spawn").
"""
from __future__ import annotations

import os
from datetime import timedelta

import torch
import torch.distributed as dist

from ..train import ConfigError, Placement


def _device(requested: str, local_rank: int) -> torch.device:
    cuda = torch.cuda.is_available()
    if requested == "cuda" and not cuda:
        raise ConfigError([{"node": None, "port": None, "field": "device",
                            "message": "this run needs a GPU (device 'cuda' or the gpu queue) but "
                                       "this worker has no usable GPU; it does not fall back to "
                                       "the CPU: launch on the cpu queue with device 'auto' or 'cpu'"}])
    if requested == "cpu" or not cuda:
        return torch.device("cpu")
    if local_rank >= torch.cuda.device_count():
        # NCCL refuses two processes on one GPU; say so before it does, less clearly.
        raise ConfigError([{"node": None, "port": None, "field": "devices",
                            "message": f"process {local_rank} has no GPU of its own: this worker "
                                       f"has {torch.cuda.device_count()}; ask for fewer devices"}])
    torch.cuda.set_device(local_rank)
    return torch.device("cuda", local_rank)


def setup_placement(requested_device: str) -> Placement:
    """Device and rank of this process; joins the process group under torchrun."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    device = _device(requested_device, int(os.environ.get("LOCAL_RANK", "0")))
    if world_size > 1:
        backend = "nccl" if device.type == "cuda" else "gloo"
        dist.init_process_group(backend, timeout=timedelta(minutes=10),
                                device_id=device if device.type == "cuda" else None)
    return Placement(device=device, rank=rank, world_size=world_size)


def teardown(clean: bool) -> None:
    """Leave the process group; wait for the others first when all ended together."""
    if not (dist.is_available() and dist.is_initialized()):
        return
    if clean:
        dist.barrier()
    dist.destroy_process_group()

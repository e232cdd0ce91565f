"""Data loaders that fetch whole batches by index and can skip ahead.

The same sampler serves one process and N: ``DistributedSampler`` with world
size 1 is a seeded shuffle, and with world size N each process takes every
N-th index of the same permutation, so N processes with batch B/N see the
same samples per step as one process with batch B. Batches are fetched with
one tensor indexing operation (``TensorSplit[list]``) instead of collating
samples one by one; resuming mid-epoch skips indices, not data.
"""
from __future__ import annotations

import signal
from collections.abc import Iterator

import torch
from torch.utils.data import BatchSampler, DataLoader, DistributedSampler

from ..data import TensorSplit


class SkipBatchSampler(BatchSampler):
    """A ``BatchSampler`` whose next pass starts after ``skip`` batches."""

    skip = 0

    def __iter__(self) -> Iterator[list[int]]:
        skip, self.skip = self.skip, 0
        for i, batch in enumerate(super().__iter__()):
            if i >= skip:
                yield batch


def _ignore_sigterm(worker_id: int) -> None:
    # A cancel signals the whole process group: loader workers must leave the
    # main process to checkpoint and shut them down, not die under it.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _loader(split: TensorSplit, batches, num_workers: int, cuda: bool) -> DataLoader:
    # Its own generator: otherwise each new iterator draws its workers' base
    # seed from the global RNG, and a run resumed mid-epoch would see other
    # dropout masks than the run it continues.
    extra = {"generator": torch.Generator().manual_seed(0)}
    if num_workers:
        # Forking after CUDA is initialised is unsafe: start workers fresh then.
        extra |= {"worker_init_fn": _ignore_sigterm, "persistent_workers": True,
                 "multiprocessing_context": "spawn" if cuda else None}
    return DataLoader(split, sampler=batches, batch_size=None, num_workers=num_workers,
                      pin_memory=cuda, **extra)


def train_loader(split: TensorSplit, batch_size: int, *, rank: int, world_size: int, seed: int,
                 num_workers: int, cuda: bool) -> tuple[DataLoader, DistributedSampler, SkipBatchSampler]:
    """The training loader, its sampler (``set_epoch``) and batch sampler (``skip``)."""
    sampler = DistributedSampler(split, num_replicas=world_size, rank=rank, shuffle=True, seed=seed)
    batches = SkipBatchSampler(sampler, batch_size, drop_last=False)
    return _loader(split, batches, num_workers, cuda), sampler, batches


class _Shard:
    """This process's share of an evaluation split: every N-th index, no padding."""

    def __init__(self, n: int, batch_size: int, rank: int, world_size: int):
        indices = list(range(rank, n, world_size))
        self.batches = [indices[i:i + batch_size] for i in range(0, len(indices), batch_size)]

    def __iter__(self):
        return iter(self.batches)

    def __len__(self) -> int:
        return len(self.batches)


def eval_loader(split: TensorSplit, batch_size: int, *, rank: int, world_size: int,
                num_workers: int, cuda: bool) -> DataLoader:
    """An evaluation loader over this process's shard (exact sums after ``all_reduce``)."""
    return _loader(split, _Shard(len(split), batch_size, rank, world_size), num_workers, cuda)


def to_device(batch: tuple[torch.Tensor, torch.Tensor], device: torch.device):
    x, y = batch
    return x.to(device, non_blocking=True), y.to(device, non_blocking=True)

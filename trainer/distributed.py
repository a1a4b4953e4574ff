"""Several processes, one training run: PyTorch's DistributedDataParallel under `torchrun`.

`torchrun --nproc_per_node=N $(which segue) train ...` starts N copies; each one finds its rank
in the environment torchrun sets, joins the process group (NCCL on GPUs, gloo on CPUs), trains
on its own shard of every global batch, and DDP averages the gradients so all copies keep the
same weights. Only rank 0 writes files and shows progress. Without torchrun everything here is
a no-op and the run is a plain single process.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class Ranks:
    rank: int = 0
    world: int = 1
    local: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world > 1


def start(device: torch.device) -> tuple[Ranks, torch.device]:
    """Join torchrun's process group when there is one; the device this process uses."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Ranks(), device
    ranks = Ranks(int(os.environ["RANK"]), world, int(os.environ.get("LOCAL_RANK", "0")))
    if device.type == "cuda":
        device = torch.device("cuda", ranks.local)
        torch.cuda.set_device(device)
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return ranks, device


def stop(ranks: Ranks) -> None:
    if ranks.distributed and dist.is_initialized():
        dist.destroy_process_group()


def agree(flag: bool, ranks: Ranks, device: torch.device) -> bool:
    """True on every rank when rank 0 says so (e.g. a wall-clock budget spent, or Ctrl-C)."""
    if not ranks.distributed:
        return flag
    value = torch.tensor([1.0 if flag and ranks.main else 0.0], device=device)
    dist.broadcast(value, src=0)
    return bool(value.item())


def barrier(ranks: Ranks) -> None:
    if ranks.distributed:
        dist.barrier()

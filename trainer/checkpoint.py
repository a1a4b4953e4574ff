"""Training checkpoints: everything `--resume` needs to go on exactly where a run stopped.

Model and optimizer state, the step, epoch and batch within it, the random generators, the loss
history and the elapsed time. Written atomically (a crash never leaves a broken checkpoint in
place of the last good one) and read with `torch.load(weights_only=True)`, which refuses to
execute anything a file might smuggle in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from segue.engine.atomic import atomic_path
from segue.engine.errors import InvalidValueError

CHECKPOINT = "checkpoint.pt"


def save_checkpoint(run_folder: Path, state: dict[str, Any]) -> Path:
    path = Path(run_folder) / CHECKPOINT
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as temp:
        torch.save(state, temp)
    return path


def load_checkpoint(run_folder: Path) -> dict[str, Any]:
    path = Path(run_folder) / CHECKPOINT
    if not path.is_file():
        raise InvalidValueError(f"nothing to resume: no checkpoint in '{run_folder}'")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many kinds for a file that is not a checkpoint
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise InvalidValueError(f"cannot resume from '{path}': {first}") from None

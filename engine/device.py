"""Where the model runs: `auto` picks the GPU when there is one, else the CPU."""

from __future__ import annotations

import torch

from .errors import InvalidValueError


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise InvalidValueError("--device cuda was asked for, but torch sees no CUDA GPU")
    if name not in ("cpu", "cuda"):
        raise InvalidValueError(f"device must be cpu, cuda or auto, not {name!r}")
    return torch.device(name)

"""Segue model files: safetensors weights with the full config and training metadata in its header.

One self-describing file, loaded without executing code (safetensors never unpickles), and
validated: a file that is not a Segue model is refused with a one-line reason.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from .atomic import atomic_path
from .config import ModelConfig, to_dict
from .model import SegueNet
from .modelheader import FORMAT, ModelFileError, first_line, model_path, read_header
from .version import SEGUE_VERSION


@dataclass
class LoadedModel:
    model: SegueNet
    config: ModelConfig
    metadata: dict[str, Any]  # preset, training summary, data summary, steps, segue version
    path: Path


def save_model(path: str | os.PathLike, model: SegueNet, metadata: dict[str, Any]) -> Path:
    """Write atomically (temp file, then rename) so a crash never leaves half a model."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = {
        "format": FORMAT,
        "config": json.dumps(to_dict(model.config)),
        "metadata": json.dumps({**metadata, "segue_version": SEGUE_VERSION}),
    }
    tensors = {name: t.detach().cpu().contiguous() for name, t in model.state_dict().items()}
    with atomic_path(path) as temp:
        save_file(tensors, temp, metadata=header)
    return path


def load_model(path: str | os.PathLike, device: str | torch.device = "cpu") -> LoadedModel:
    path = Path(path)
    header = read_header(path)
    where = f"cannot load model '{path}'"
    try:
        with safe_open(str(path), framework="pt", device="cpu") as handle:
            tensors = {name: handle.get_tensor(name) for name in handle.keys()}  # noqa: SIM118
    except (SafetensorError, OSError, ValueError) as error:
        raise ModelFileError(f"{where}: its weights cannot be read ({first_line(error)})") from None
    model = SegueNet(header.config)
    try:
        model.load_state_dict(tensors, strict=True)
    except RuntimeError as error:
        raise ModelFileError(
            f"{where}: its weights do not fit its config ({first_line(error)})"
        ) from None
    if not all(torch.isfinite(t).all() for t in tensors.values()):
        raise ModelFileError(f"{where}: its weights hold NaN or infinite values")
    return LoadedModel(model.to(device).eval(), header.config, header.metadata, path)


def open_model(name_or_path: str, device: str | torch.device = "cpu") -> LoadedModel:
    """A shipped model by preset name (`default`, `seed`) or a model file by path."""
    return load_model(model_path(name_or_path), device)

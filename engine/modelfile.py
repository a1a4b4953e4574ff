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

from segue import __version__

from .atomic import atomic_path
from .config import ModelConfig, model_config_from_dict, to_dict
from .model import SegueNet

FORMAT = "segue-model/1"


class ModelFileError(Exception):
    """A model file that cannot be used; str(err) is one line naming the file."""


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
        "metadata": json.dumps({**metadata, "segue_version": __version__}),
    }
    tensors = {name: t.detach().cpu().contiguous() for name, t in model.state_dict().items()}
    with atomic_path(path) as temp:
        save_file(tensors, temp, metadata=header)
    return path


def load_model(path: str | os.PathLike, device: str | torch.device = "cpu") -> LoadedModel:
    path = Path(path)
    where = f"cannot load model '{path}'"
    if not path.exists():
        raise ModelFileError(f"{where}: no such file")
    if not path.is_file():
        raise ModelFileError(f"{where}: not a file")
    try:
        with safe_open(str(path), framework="pt", device="cpu") as handle:
            header = handle.metadata() or {}
            tensors = {name: handle.get_tensor(name) for name in handle.keys()}  # noqa: SIM118
    except (SafetensorError, OSError, ValueError) as error:
        raise ModelFileError(f"{where}: not a safetensors file ({_first_line(error)})") from None
    if header.get("format") != FORMAT:
        raise ModelFileError(f"{where}: a safetensors file, but not a Segue model")
    try:
        config = model_config_from_dict(json.loads(header["config"]))
        metadata = json.loads(header.get("metadata", "{}"))
    except (KeyError, TypeError, ValueError) as error:
        raise ModelFileError(f"{where}: its config is invalid ({_first_line(error)})") from None
    model = SegueNet(config)
    try:
        model.load_state_dict(tensors, strict=True)
    except RuntimeError as error:
        raise ModelFileError(
            f"{where}: its weights do not fit its config ({_first_line(error)})"
        ) from None
    if not all(torch.isfinite(t).all() for t in tensors.values()):
        raise ModelFileError(f"{where}: its weights hold NaN or infinite values")
    return LoadedModel(model.to(device).eval(), config, metadata, path)


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0][:200] if text else type(error).__name__


def open_model(name_or_path: str, device: str | torch.device = "cpu") -> LoadedModel:
    """A shipped model by preset name (`default`, `seed`) or a model file by path."""
    return load_model(model_path(name_or_path), device)


def model_path(name_or_path: str | os.PathLike) -> Path:
    """The file of a shipped model (by preset name) or of a model file (by path)."""
    from segue.presets import available_presets, shipped_model_path

    shipped = [name for name in available_presets() if shipped_model_path(name).is_file()]
    if str(name_or_path) in shipped:
        return shipped_model_path(str(name_or_path))
    path = Path(name_or_path)
    if path.is_file():
        return path
    raise ModelFileError(
        f"unknown model {str(name_or_path)!r}: use a shipped model "
        f"({', '.join(shipped) or 'none'}) or the path of a .safetensors model file"
    )

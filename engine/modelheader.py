"""What a Segue model file says about itself, read without torch: its format, config and metadata.

So a command can refuse an unknown model, a file that is not one, or a clip it cannot use before
it pays for loading torch and the network (seconds on a laptop, far more on a busy machine).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safetensors import SafetensorError, safe_open

from segue.presets import available_presets, shipped_model_path

from .config import ModelConfig, model_config_from_dict
from .errors import SegueError

FORMAT = "segue-model/1"


class ModelFileError(SegueError):
    """A model file that cannot be used; str(err) is one line naming the file."""


@dataclass(frozen=True)
class ModelHeader:
    config: ModelConfig
    metadata: dict[str, Any]  # preset, training summary, data summary, steps, segue version


def read_header(path: str | os.PathLike) -> ModelHeader:
    """The config and metadata of a model file, checked; its weights are not read."""
    path = Path(path)
    where = f"cannot load model '{path}'"
    if not path.exists():
        raise ModelFileError(f"{where}: no such file")
    if not path.is_file():
        raise ModelFileError(f"{where}: not a file")
    try:
        with safe_open(str(path), framework="numpy") as handle:
            header = handle.metadata() or {}
    except (SafetensorError, OSError, ValueError) as error:
        raise ModelFileError(f"{where}: not a safetensors file ({first_line(error)})") from None
    if header.get("format") != FORMAT:
        raise ModelFileError(f"{where}: a safetensors file, but not a Segue model")
    try:
        config = model_config_from_dict(json.loads(header["config"]))
        metadata = json.loads(header.get("metadata", "{}"))
    except (KeyError, TypeError, ValueError) as error:
        raise ModelFileError(f"{where}: its config is invalid ({first_line(error)})") from None
    return ModelHeader(config, metadata)


def stored_parameters(path: str | os.PathLike) -> int:
    """How many numbers a model file's weights hold (every one a parameter: buffers are not
    stored), read from its header, without torch or the network."""
    with safe_open(str(path), framework="numpy") as handle:
        return sum(math.prod(handle.get_slice(key).get_shape()) for key in handle.keys())  # noqa: SIM118


def first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0][:200] if text else type(error).__name__


def model_path(name_or_path: str | os.PathLike) -> Path:
    """The file of a shipped model (by preset name) or of a model file (by path)."""
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

"""Named model configurations (`<name>.toml`) and the models Segue ships (`<name>.safetensors`)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from segue.engine.config import Preset, model_config_from_dict, train_config_from_dict

PRESETS_DIR = Path(__file__).resolve().parent


def available_presets() -> list[str]:
    return sorted(path.stem for path in PRESETS_DIR.glob("*.toml"))


def load_preset(name: str) -> Preset:
    """A shipped preset by name, or a preset file of your own by its path (`my.toml`)."""
    path = Path(name) if name.endswith(".toml") else PRESETS_DIR / f"{name}.toml"
    if not path.is_file():
        raise KeyError(f"unknown preset {name!r}: available are {', '.join(available_presets())}")
    data = tomllib.loads(path.read_text())
    return Preset(
        name=data["name"],
        intent=data["intent"],
        model=model_config_from_dict(data["model"]),
        train=train_config_from_dict(data.get("train", {})),
    )


def shipped_model_path(name: str) -> Path:
    """Where a preset's trained weights ship (absent for a preset never trained)."""
    return PRESETS_DIR / f"{name}.safetensors"

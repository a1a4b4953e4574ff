"""Named model configurations (`<name>.toml`) and the models Segue ships (`<name>.safetensors`):
data, found here and read by the engine (`engine/config.py`'s `load_preset`)."""

from __future__ import annotations

from pathlib import Path

PRESETS_DIR = Path(__file__).resolve().parent


def available_presets() -> list[str]:
    return sorted(path.stem for path in PRESETS_DIR.glob("*.toml"))


def preset_path(name: str) -> Path:
    """A shipped preset's file by name, or a preset file of your own by its path (`my.toml`)."""
    return Path(name) if name.endswith(".toml") else PRESETS_DIR / f"{name}.toml"


def shipped_model_path(name: str) -> Path:
    """Where a preset's trained weights ship (absent for a preset never trained)."""
    return PRESETS_DIR / f"{name}.safetensors"

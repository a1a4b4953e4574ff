"""Helpers the test files import (`from helpers import ...`): procedural clips, files, measures.

tests/ is on `sys.path` (`pythonpath` in pyproject.toml), as it is for serving.py and the other
modules here. Fixtures and hooks are in conftest.py and scheduling.py, not here.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import soundfile as sf


def procedural_clip(seconds: float, rate: int, style: str = "rock", seed: int = 1) -> np.ndarray:
    from segue.procedural import generate_song, song_spec

    return generate_song(song_spec(seed, style=style), seconds, rate)


def side_to_mid_db(stereo: np.ndarray) -> float:
    """How wide a stereo signal is: the side's power over the mid's, in dB."""
    left, right = stereo
    return float(10 * np.log10(np.mean((left - right) ** 2) / np.mean((left + right) ** 2)))


def write_clip(path: Path, samples: np.ndarray, rate: int, **kwargs) -> Path:
    sf.write(path, samples.T, rate, **kwargs)
    return path


def file_digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()

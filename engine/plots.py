"""Pictures a musician reads at a glance: waveform and spectrogram of a clip and what follows it."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from .atomic import atomic_path


def plot_continuation(
    clip: np.ndarray, continuation: np.ndarray, rate: int, path: str | os.PathLike, title: str = ""
) -> Path:
    """Waveform (clip then continuation, in two colours) above their joined spectrogram."""
    mono_clip, mono_next = clip.mean(axis=0), continuation.mean(axis=0)
    seam = len(mono_clip) / rate
    figure, (wave, spectrum) = plt.subplots(2, 1, figsize=(12, 6), sharex=True)
    wave.plot(np.arange(len(mono_clip)) / rate, mono_clip, color="tab:orange", lw=0.4, label="clip")
    wave.plot(
        seam + np.arange(len(mono_next)) / rate,
        mono_next,
        color="tab:purple",
        lw=0.4,
        label="continuation",
    )
    wave.set_ylabel("amplitude")
    wave.legend(loc="upper left")
    wave.set_title(title)
    joined = np.concatenate([mono_clip, mono_next])
    spectrum.specgram(joined, NFFT=2048, Fs=rate, noverlap=1536, cmap="magma", vmin=-120)
    spectrum.axvline(seam, color="white", lw=1, ls="--")
    spectrum.set_ylabel("frequency (Hz)")
    spectrum.set_xlabel("time (s)")
    return save_figure(figure, path, dpi=100)


def save_figure(figure: plt.Figure, path: str | os.PathLike, dpi: int) -> Path:
    """Write a PNG atomically (a viewer never shows half a picture) and free the figure."""
    path = Path(path)
    figure.tight_layout()
    try:
        with atomic_path(path) as temp:
            figure.savefig(temp, dpi=dpi, format="png")
    finally:
        plt.close(figure)
    return path

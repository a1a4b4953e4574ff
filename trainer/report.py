"""What a person watches while a model trains: listening samples and one picture of the run.

Every few epochs the run folder gets `samples/epoch-NNN/` with the validation input, the model's
continuation of it (through the same code `segue continue` uses) and the true continuation, as
mp3, and `progress.png`: the loss curves above the waveform and spectrogram of prediction
against truth.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.ticker import MaxNLocator

from segue.engine.audio import Audio, write_audio
from segue.engine.continuation import continue_clip
from segue.engine.model import SegueNet
from segue.engine.modelfile import LoadedModel
from segue.engine.plots import save_figure
from segue.engine.requests import ContinueSettings

SAMPLE_SEED = 0  # the same draw every epoch, so the samples show the model change, not the dice


def listening_sample(
    model: SegueNet, inputs: torch.Tensor, truth: torch.Tensor, folder: Path
) -> np.ndarray:
    """Write input, prediction and truth as mp3 in `folder`; return the prediction."""
    config = model.config
    was_training = model.training
    loaded = LoadedModel(model.eval(), config, {}, folder)
    clip = inputs.numpy()
    try:
        (prediction,) = continue_clip(
            loaded,
            Audio(clip, config.sample_rate),
            ContinueSettings(config.window_seconds, seed=SAMPLE_SEED),
        )
    finally:
        model.train(was_training)
    folder.mkdir(parents=True, exist_ok=True)
    for name, samples in (("input", clip), ("prediction", prediction), ("truth", truth.numpy())):
        write_audio(folder / f"{name}.mp3", samples, config.sample_rate)
    return prediction


def plot_progress(
    history: list[dict[str, float]],
    prediction: np.ndarray,
    truth: np.ndarray,
    rate: int,
    path: Path,
) -> Path:
    """Loss curves (training and validation, per epoch) above prediction vs truth."""
    figure, axes = plt.subplots(3, 2, figsize=(13, 9), gridspec_kw={"height_ratios": [2, 1, 2]})
    curves = figure.add_subplot(3, 1, 1)
    for axis in axes[0]:
        axis.remove()
    epochs = [entry["epoch"] for entry in history]
    for key, style in (("train_total", "-"), ("validation_total", "--")):
        values = [entry.get(key, np.nan) for entry in history]
        curves.plot(epochs, values, style, marker="o", label=key.replace("_", " "))
    curves.xaxis.set_major_locator(MaxNLocator(integer=True))
    curves.set_xlabel("epoch")
    curves.set_ylabel("loss")
    curves.legend()
    curves.grid(alpha=0.3)
    for column, (name, samples) in enumerate((("prediction", prediction), ("truth", truth))):
        mono = samples.mean(axis=0)
        axes[1, column].plot(np.arange(len(mono)) / rate, mono, lw=0.4)
        axes[1, column].set_title(name)
        axes[2, column].specgram(mono, NFFT=1024, Fs=rate, noverlap=768, cmap="magma", vmin=-120)
        axes[2, column].set_xlabel("time (s)")
    axes[1, 0].set_ylabel("amplitude")
    axes[2, 0].set_ylabel("frequency (Hz)")
    return save_figure(figure, path, dpi=90)

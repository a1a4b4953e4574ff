"""The spectral loss: on mel bands, a missing bass weighs as the ear (and `segue eval`) hears it."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from segue.engine.config import load_preset, train_config_from_dict
from segue.trainer.losses import Losses

RATE = 24000


def _pink_noise(seconds: float = 2.0) -> torch.Tensor:
    """[1, 1, samples] noise with -3 dB per octave, as music's long-term spectrum roughly has."""
    samples = round(seconds * RATE)
    white = torch.randn(1, 1, samples, generator=torch.Generator().manual_seed(0))
    frequencies = torch.fft.rfftfreq(samples, 1 / RATE)
    pink = torch.fft.irfft(torch.fft.rfft(white) / frequencies.clamp(min=20).sqrt(), n=samples)
    return 0.5 * pink / pink.abs().max()


def _band(samples: torch.Tensor, low: float, high: float) -> torch.Tensor:
    spectrum = torch.fft.rfft(samples)
    frequencies = torch.fft.rfftfreq(samples.shape[-1], 1 / RATE)
    spectrum[..., (frequencies < low) | (frequencies >= high)] = 0
    return torch.fft.irfft(spectrum, n=samples.shape[-1])


def _losses(**changes) -> Losses:
    train = load_preset("default").train
    config = dataclasses.replace(train, spectral_crop_seconds=None, **changes)
    return Losses(config, RATE, torch.Generator().manual_seed(0))


def test_mel_bands_weigh_a_missing_bass_more_than_linear_bins_do() -> None:
    """Linear bins give everything below 300 Hz under 3 % of the loss: a decoder can leave the
    bass and kick a blur and barely pay. On mel bands the same loss of bass costs more than
    twice as much, relative to a loss of everything above 3 kHz."""
    music = _pink_noise()
    no_bass, no_highs = _band(music, 300, RATE), _band(music, 0, 3000)
    ratios = {}
    for mels in ((), (128, 32, 8)):
        losses = _losses(stft_sizes=(2048, 512, 128), stft_mels=mels)
        ratios[mels] = float(losses.spectral(no_bass, music) / losses.spectral(no_highs, music))
    assert ratios[(128, 32, 8)] > 2 * ratios[()], ratios
    assert float(_losses(stft_mels=(128, 32, 8)).spectral(music, music)) < 1e-6


def test_one_number_of_mel_bands_per_fft_size() -> None:
    """Refused when the preset is read, before any song is preprocessed, and on any config."""
    with pytest.raises(ValueError, match="one number of mel bands per size"):
        _losses(stft_sizes=(2048, 512, 128), stft_mels=(128, 32))
    with pytest.raises(ValueError, match="one number of mel bands per size"):
        train_config_from_dict({"batch_size": 4, "learning_rate": 1e-3, "stft_mels": [128]})

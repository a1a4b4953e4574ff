"""Honest baselines for `segue eval`: what a model must beat, and what it cannot beat.

Each is a function (input [channels, samples], frames to make, rate, rng) -> [channels, frames]
float32, the continuation a trivial system would play. All but the truth are brought to the
input's loudness (BS.1770), as `segue continue` brings a model's output there:

- silence: nothing at all;
- noise: white noise;
- drone: noise with the mean magnitude spectrum of the input's last 2 s (random phase) and its
  stereo image: the input's colour with no notes and no beat, what a regression model that
  averages all futures plays;
- loop: the input's last bar (4 beats at its estimated tempo) repeated, crossfaded at each
  repeat: the input's own pulse and harmony, and nothing new;
- truth: what really followed (the ceiling for most measures).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import librosa
import numpy as np

from segue.engine.continuation import smooth_seam
from segue.engine.loudness import SILENT_LUFS
from segue.engine.stereo import mid_side

from .metrics import beat_period, loudness

DRONE_SECONDS = 2.0
DRONE_FFT = 2048
BEATS_PER_BAR = 4
LOOP_CROSSFADE_S = 0.01
LOOP_FALLBACK_S = 2.0  # the length looped when no tempo is found

Baseline = Callable[[np.ndarray, int, int, np.random.Generator], np.ndarray]


def silence(before: np.ndarray, frames: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    return np.zeros((before.shape[0], frames), dtype=np.float32)


def noise(before: np.ndarray, frames: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    white = rng.standard_normal((before.shape[0], frames)).astype(np.float32)
    return at_loudness(white, before, rate)


def drone(before: np.ndarray, frames: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    """Noise shaped to the mean magnitude spectrum of the input's last 2 s; a stereo input's
    mid and side are shaped each, so that the drone has the input's stereo image. Two unrelated
    noises, one per channel, lose 3 dB of a mono input's level in the mono downmix that every
    spectral measure hears, and that lower level alone took 0.19 dB off the drone's log-mel
    distance on the held-out songs."""
    stereo = before.shape[0] == 2
    tail = mid_side(before) if stereo else before
    tail = tail[:, -round(DRONE_SECONDS * rate) :]
    hop = DRONE_FFT // 4
    shape = np.abs(librosa.stft(tail, n_fft=DRONE_FFT, hop_length=hop)).mean(axis=-1)  # [C, F]
    white = rng.standard_normal((before.shape[0], frames)).astype(np.float32)
    spectrum = librosa.stft(white, n_fft=DRONE_FFT, hop_length=hop)
    phases = spectrum / np.maximum(np.abs(spectrum), 1e-12)
    shaped = librosa.istft(phases * shape[..., None], hop_length=hop, length=frames)
    return at_loudness((mid_side(shaped) if stereo else shaped).astype(np.float32), before, rate)


def loop(before: np.ndarray, frames: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    """The input's last bar, repeated; each repeat's end crossfades into the audio that led
    into the bar, so the repeats join smoothly; the join with the input is smoothed as
    `segue continue` smooths a model's."""
    bar = beat_period(before, rate, BEATS_PER_BAR)
    length = round((bar if bar else LOOP_FALLBACK_S) * rate)
    fade = round(LOOP_CROSSFADE_S * rate)
    length = min(length, before.shape[1] - fade)
    unit = before[:, -length:].copy()
    ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
    lead_in = before[:, -length - fade : -length]
    unit[:, -fade:] = unit[:, -fade:] * (1.0 - ramp) + lead_in * ramp
    repeated = np.tile(unit, (1, math.ceil(frames / length)))[:, :frames]
    joined = smooth_seam(before, repeated, rate)
    return at_loudness(joined.astype(np.float32), before, rate)


def truth_of(true_continuation: np.ndarray) -> Baseline:
    """The truth as a baseline: what really followed, untouched."""

    def truth(before: np.ndarray, frames: int, rate: int, rng: np.random.Generator) -> np.ndarray:
        return true_continuation[:, :frames]

    return truth


def at_loudness(samples: np.ndarray, reference: np.ndarray, rate: int) -> np.ndarray:
    """`samples` with the loudness of `reference` (silence stays silence)."""
    target, current = loudness(reference, rate), loudness(samples, rate)
    if target <= SILENT_LUFS or current <= SILENT_LUFS:
        return samples
    return samples * np.float32(10.0 ** ((target - current) / 20.0))


BASELINES: dict[str, Baseline] = {"silence": silence, "noise": noise, "drone": drone, "loop": loop}
"""The baselines made from the input alone; `truth_of` adds the truth, per pair."""

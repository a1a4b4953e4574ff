"""The clip's beat, so that a continuation repeats in whole beats and stays on the DAW's grid.

The predictor picks a repetition period from its own logits; trained on a few tempos, it
favours their periods whatever the clip's (on held-out real music the shipped model looped
3.5 or 6.4 beats as often as 4). Restricting its choice to whole numbers of the clip's beat
keeps the groove; powers of two of it (1, 2, 4, 8 beats) keep the bar. librosa's tempo
estimate would do, but importing librosa costs over 3 s, more than a whole `segue continue`;
this is the same idea (the autocorrelation of a spectral-flux onset envelope, weighted toward
moderate tempi) in a few lines of numpy. `segue eval` keeps librosa as the judge, so the
engine is not graded by its own estimator.
"""

from __future__ import annotations

import numpy as np

ONSET_FFT = 1024
ONSET_HOP = 256
SLOWEST_BPM = 50.0
FASTEST_BPM = 220.0
TREND_SECONDS = 0.33  # the onset envelope's slow trend, removed: swells are not beats
PRIOR_BPM = 120.0  # the centre of the tempo prior, one octave wide (as librosa's)
MIN_PERIODICITY = 0.15  # autocorrelation at the beat over that at zero lag: below, no beat
# (white noise: 0.04 to 0.05; held-out real music: 0.3 to 0.7)
REFINE_SEARCH = 0.03  # how far (a share) a refined beat may lie from the estimate
REFINE_REACH = 0.7  # the longest lag refined on, as a share of the clip: enough pairs to trust
MIN_ONSET_STRENGTH = 0.005  # mean onset envelope below which nothing is struck (a held tone:
# 0.003; noise 0.012; real music 0.016 to 0.073; procedural songs 0.06 to 0.14)


def onset_envelope(samples: np.ndarray, rate: int) -> np.ndarray:
    """How much new energy each frame brings: the positive log-spectral flux of the mono mix
    (brought to one level first, so a quiet clip has the same beat as a loud one), one value
    per ONSET_HOP samples, with its slow trend removed."""
    mono = np.asarray(samples, dtype=np.float32).reshape(-1, samples.shape[-1]).mean(axis=0)
    rms = float(np.sqrt(np.mean(np.square(mono, dtype=np.float64)))) if mono.size else 0.0
    if mono.shape[0] < ONSET_FFT + ONSET_HOP or rms < 1e-8:
        return np.zeros(0, dtype=np.float32)
    mono = mono * np.float32(0.1 / rms)
    frames = np.lib.stride_tricks.sliding_window_view(mono, ONSET_FFT)[::ONSET_HOP]
    magnitude = np.abs(np.fft.rfft(frames * np.hanning(ONSET_FFT).astype(np.float32), axis=-1))
    level = np.log1p(1000.0 * magnitude)
    flux = np.maximum(np.diff(level, axis=0), 0.0).mean(axis=1)
    span = 2 * round(TREND_SECONDS * rate / ONSET_HOP / 2) + 1  # odd: centred
    trend = np.convolve(flux, np.ones(span) / span, mode="same")
    return np.maximum(flux - trend, 0.0)


def beat_seconds(samples: np.ndarray, rate: int) -> float | None:
    """Seconds per beat of [..., frames] audio, or None where no steady pulse stands out."""
    envelope = onset_envelope(samples, rate)
    if envelope.size < 8 or envelope.mean() < MIN_ONSET_STRENGTH:
        return None
    envelope = envelope - envelope.mean()
    spectrum = np.fft.rfft(envelope, n=2 * envelope.size)
    autocorrelation = np.fft.irfft(np.abs(spectrum) ** 2)[: envelope.size]
    frames_per_second = rate / ONSET_HOP
    lags = np.arange(envelope.size) / frames_per_second  # seconds
    inside = (lags >= 60.0 / FASTEST_BPM) & (lags <= 60.0 / SLOWEST_BPM)
    if inside.sum() < 3 or autocorrelation[0] <= 0:
        return None
    prior = np.exp(-0.5 * np.log2(np.maximum(lags, 1e-9) * PRIOR_BPM / 60.0) ** 2)
    # A beat's double is a pulse too: crediting it settles 3:2 confusions (a 135 bpm clip read
    # as 90) in favour of the period whose multiples also repeat.
    doubled = autocorrelation[np.minimum(2 * np.arange(envelope.size), envelope.size - 1)]
    weighted = np.where(inside, (autocorrelation + 0.5 * doubled) * prior, -np.inf)
    peak = int(np.argmax(weighted))
    if autocorrelation[peak] / autocorrelation[0] < MIN_PERIODICITY:
        return None
    a, b, c = autocorrelation[peak - 1 : peak + 2]
    bend = a - 2 * b + c
    offset = float(np.clip(0.5 * (a - c) / bend, -0.5, 0.5)) if bend < 0 else 0.0
    return (peak + offset) / frames_per_second


def refined_beat(samples: np.ndarray, rate: int, beat: float) -> float:
    """`beat` (seconds) made precise by the clip's own onsets: the autocorrelation peak of the
    onset envelope near 8 (or 4, or 2) beats, whichever fits the clip, divided by that count.
    A peak's position is read to a fraction of a frame either way, so the longer lag gives a
    beat 8 times as precise: on held-out songs 0.1-0.5 % off librosa's tempo became 0.1 %
    or less, and a continuation that jumps 16 beats back lands on the clip's beat."""
    envelope = onset_envelope(samples, rate)
    if envelope.size < 8:
        return beat
    envelope = envelope - envelope.mean()
    autocorrelation = np.fft.irfft(np.abs(np.fft.rfft(envelope, n=2 * envelope.size)) ** 2)
    frames_per_beat = beat * rate / ONSET_HOP
    for beats in (8, 4, 2):
        low = int(beats * frames_per_beat * (1 - REFINE_SEARCH))
        high = int(np.ceil(beats * frames_per_beat * (1 + REFINE_SEARCH))) + 1
        if low < 1 or high + 1 >= REFINE_REACH * envelope.size:
            continue
        peak = low + int(np.argmax(autocorrelation[low:high]))
        a, b, c = autocorrelation[peak - 1 : peak + 2]
        bend = a - 2 * b + c
        offset = float(np.clip(0.5 * (a - c) / bend, -0.5, 0.5)) if bend < 0 else 0.0
        return (peak + offset) * ONSET_HOP / rate / beats
    return beat


def beat_lags(unit_frames: float, shortest: int, longest: int) -> np.ndarray:
    """The repetition periods, in latent frames, of 1, 2, 4, 8, ... units, a unit being a beat
    or (where a beat is no whole number of frames) two or four of them (`BeatGrid`): a beat, a
    half bar, a bar, two bars in 4/4 (a period of 3 beats read the held-out songs at 3/4 or 4/3
    of their tempo). A mask over shortest..longest, all False where the unit fits none of them."""
    lags = np.arange(shortest, longest + 1)
    units = np.round(lags / unit_frames)
    whole = (units >= 1) & (np.abs(lags - units * unit_frames) <= 0.5)
    power_of_two = np.log2(np.maximum(units, 1)) % 1 == 0
    return whole & power_of_two

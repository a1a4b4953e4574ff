"""Give a continuation the clip's tonal balance: a smooth matching EQ, as a mastering engineer
would set one by ear between two takes.

A prediction drifts in colour: the model's guess at the future averages what it is unsure of,
and an average is duller than any one future (on held-out real music a 20-minute model's
continuations had 4 to 17 dB too little above 3 kHz while its reconstructions had the input's
highs). Loudness matching cannot fix a tilt. The long-term spectrum of what follows a clip is
close to the clip's own, so each window's band powers are brought to the clip's, with gains
that are smooth over frequency, bounded, and constant over time (an EQ, not a gate).
"""

from __future__ import annotations

import numpy as np

TONE_FFT = 2048
TONE_BANDS_PER_OCTAVE = 3
TONE_LOWEST_HZ = 40.0
MAX_TONE_DB = 12.0  # no band is moved further: a wrong guess stays a small one
TONE_FLOOR = 1e-10  # band power below this counts as empty: its gain stays 0 dB


def _band_edges(rate: int) -> np.ndarray:
    """Third-octave band edges from TONE_LOWEST_HZ to Nyquist, in Hz."""
    octaves = np.log2(rate / 2 / TONE_LOWEST_HZ)
    count = int(np.ceil(octaves * TONE_BANDS_PER_OCTAVE))
    return TONE_LOWEST_HZ * 2.0 ** (np.arange(count + 1) / TONE_BANDS_PER_OCTAVE)


def _frames(samples: np.ndarray) -> np.ndarray:
    """[..., frames] -> [..., chunks, TONE_FFT] at 50 % overlap (a view, no copy)."""
    view = np.lib.stride_tricks.sliding_window_view(samples, TONE_FFT, axis=-1)
    return view[..., :: TONE_FFT // 2, :]


def band_powers(samples: np.ndarray, rate: int) -> np.ndarray:
    """Mean power per third-octave band of [..., channels, frames] audio (channels summed):
    [..., bands]."""
    if samples.shape[-1] < TONE_FFT:
        pad = [(0, 0)] * (samples.ndim - 1) + [(0, TONE_FFT - samples.shape[-1])]
        samples = np.pad(samples, pad)
    chunks = _frames(samples) * np.hanning(TONE_FFT).astype(np.float32)
    power = (np.abs(np.fft.rfft(chunks, axis=-1)) ** 2).mean(axis=-2).sum(axis=-2)
    edges = _band_edges(rate)
    band = np.digitize(np.fft.rfftfreq(TONE_FFT, 1.0 / rate), edges) - 1  # -1: below them
    out = np.zeros((*power.shape[:-1], len(edges) - 1))
    for index in range(len(edges) - 1):
        inside = band == index
        if inside.any():
            out[..., index] = power[..., inside].mean(axis=-1)
    return out


def match_tone(samples: np.ndarray, reference: np.ndarray, rate: int) -> np.ndarray:
    """Equalise [channels, frames] `samples` so that their band powers follow `reference`'s
    (from `band_powers`): per-band gains within +-MAX_TONE_DB, interpolated smoothly over
    log-frequency, applied with an STFT whose overlap-add gives the input back at 0 dB."""
    own = band_powers(samples, rate)
    usable = (own > TONE_FLOOR) & (reference > TONE_FLOOR)
    ratio = np.maximum(reference, TONE_FLOOR) / np.maximum(own, TONE_FLOOR)
    gain_db = np.where(usable, 10.0 * np.log10(ratio), 0.0)
    gain_db = np.clip(gain_db, -MAX_TONE_DB, MAX_TONE_DB)
    edges = _band_edges(rate)
    centres = np.sqrt(edges[:-1] * edges[1:])
    frequencies = np.fft.rfftfreq(TONE_FFT, 1.0 / rate)
    curve_db = np.interp(np.log2(np.maximum(frequencies, 1.0)), np.log2(centres), gain_db)
    return _apply_gains(samples, (10.0 ** (curve_db / 20.0)).astype(np.float32))


def _apply_gains(samples: np.ndarray, gains: np.ndarray) -> np.ndarray:
    """Multiply each STFT bin by its gain; sqrt-Hann analysis and synthesis at 50 % overlap
    sum to one, so unit gains return the input (the edges are padded, then cut)."""
    hop = TONE_FFT // 2
    frames = samples.shape[-1]
    blocks = -(-frames // hop) + 2
    padded = np.zeros((*samples.shape[:-1], blocks * hop), dtype=np.float32)
    padded[..., hop : hop + frames] = samples
    window = np.sqrt(np.hanning(TONE_FFT + 1)[:-1]).astype(np.float32)  # periodic
    spectra = np.fft.rfft(_frames(padded) * window, axis=-1) * gains
    chunks = np.fft.irfft(spectra, n=TONE_FFT, axis=-1).astype(np.float32) * window
    out = np.zeros((*samples.shape[:-1], blocks, hop), dtype=np.float32)
    out[..., :-1, :] += chunks[..., :hop]  # chunk j covers blocks j and j + 1
    out[..., 1:, :] += chunks[..., hop:]
    return out.reshape(*samples.shape[:-1], -1)[..., hop : hop + frames]

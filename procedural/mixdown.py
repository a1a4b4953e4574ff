"""The mixdown: buses panned and sent to a room (and a dub echo), then mastered.

Why: the model learns from stereo mixes, so the songs need a believable stereo image, a
room around the instruments and a level like released music, made the same way for every
style from the style's gains and sends.
"""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING

import numpy as np
from scipy import fft as sp_fft

if TYPE_CHECKING:
    from segue.procedural.styles.base import Style

# Stereo placement (-1 left .. 1 right), reverb send and echo send of every mix bus.
BUSES: dict[str, tuple[float, float, float]] = {
    "kick": (0.0, 0.03, 0.0),
    "snare": (-0.08, 0.2, 0.0),
    "hats": (0.35, 0.05, 0.0),
    "cymbal": (-0.3, 0.12, 0.0),
    "perc_l": (-0.55, 0.15, 0.0),
    "perc_r": (0.55, 0.15, 0.0),
    "congas": (-0.25, 0.12, 0.0),
    "toms": (0.1, 0.18, 0.0),
    "bass": (0.0, 0.0, 0.0),
    "chords": (-0.4, 0.25, 0.0),
    "keys": (0.4, 0.2, 0.0),
    "lead": (0.15, 0.25, 0.0),
}
BUS_NAMES = tuple(BUSES)
BUS_INDEX = {name: i for i, name in enumerate(BUS_NAMES)}


@functools.lru_cache(maxsize=4)
def _reverb_spectra(rate: int, n_fft: int, t60: float) -> np.ndarray:
    """Spectra of a stereo room (decaying, darkened noise), cached per FFT size."""
    from scipy import signal  # imported late: it costs a second, and only rooms need it

    rng = np.random.default_rng(7)
    n = int(min(t60, 2.0) * rate)
    t = np.arange(n) / rate
    pre = int(0.02 * rate)
    ir = rng.standard_normal((2, n)) * np.exp(-6.9 * t / t60)
    sos = signal.butter(1, [180, min(4500.0, 0.4 * rate)], "bandpass", fs=rate, output="sos")
    ir = signal.sosfilt(sos, ir, axis=1)
    ir /= np.sqrt(np.sum(ir**2, axis=1, keepdims=True))
    ir = np.pad(ir, ((0, 0), (pre, 0))).astype(np.float32)
    spectra = sp_fft.rfft(ir, n_fft, axis=1)
    spectra.flags.writeable = False
    return spectra


def _master(x: np.ndarray, rate: int) -> np.ndarray:
    """Bring the mix to about -16 dBFS RMS and soft-limit peaks to stay under 0.9."""
    ceiling, knee = 0.9, 0.55
    x = x - x.mean(axis=1, keepdims=True)
    rms = float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if x.size else 0.0
    if rms < 1e-9:
        return np.zeros_like(x, dtype=np.float32)
    peak = float(np.max(np.abs(x)))
    # Aim for -16 dBFS, but never push peaks more than ~6 dB into the limiter.
    gain = min(10 ** (-16 / 20) / rms, 2.0 * ceiling / peak)
    y = x * np.float32(gain)
    mag = np.abs(y)
    over = mag > knee
    if np.any(over):
        squashed = knee + (ceiling - knee) * np.tanh((mag[over] - knee) / (ceiling - knee))
        y[over] = np.sign(y[over]) * squashed
    fade = min(y.shape[1] // 2, int(0.005 * rate))
    if fade:
        ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
        y[:, :fade] *= ramp
        y[:, -fade:] *= ramp[::-1]
    return np.clip(y, -ceiling, ceiling).astype(np.float32)


def mixdown(bank: np.ndarray, n: int, rate: int, style: Style, sixteenth: float) -> np.ndarray:
    """Pan, send and sum the buses in one matrix product, add echo and room, master.

    `bank` holds one mono row per bus (BUS_NAMES), at least `n` samples long; `sixteenth`
    is the song's sixteenth note in seconds, which times the echo.
    """
    # Rows: left, right, reverb send, echo send; one column per bus.
    weights = np.zeros((4, len(BUS_NAMES)), dtype=np.float32)
    for i, name in enumerate(BUS_NAMES):
        pan, rev, ech = BUSES[name]
        gain = style.gains.get(name, 0.3)
        angle = (pan + 1) * math.pi / 4
        ech = 0.35 if name in style.echo else ech
        weights[:, i] = (math.cos(angle), math.sin(angle), rev * style.reverb, ech)
        weights[:, i] *= gain
    bus = weights @ bank[:, :n]
    out, send, echo = bus[:2], bus[2], bus[3]
    if style.echo:  # dub echo: dotted eighths bouncing left and right
        delay = round(3 * sixteenth * rate)
        for i in range(1, 6):
            shift = i * delay
            if shift >= n:
                break
            out[i % 2, shift:] += np.float32(0.5**i) * echo[: n - shift]
            send[shift:] += np.float32(0.3 * 0.5**i) * echo[: n - shift]
    t60 = style.room_t60
    ir_len = int((min(t60, 2.0) + 0.02) * rate)
    n_fft = sp_fft.next_fast_len(n + ir_len, real=True)
    spectra = _reverb_spectra(rate, n_fft, t60)
    wet = sp_fft.irfft(sp_fft.rfft(send, n_fft)[None, :] * spectra, n_fft, axis=1)
    out += wet[:, :n]
    return _master(out, rate)

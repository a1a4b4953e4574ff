"""The instruments: a small additive synth that renders one note at a time.

Why: the songs need bass, chords and leads that sound like different instruments at almost
no cost. A voice is a static spectrum (read from a wavetable) or a plucked one whose upper
harmonics die first, with an envelope, optional vibrato, chorus and drive. Each style holds
the voices it plays; the pad here is the one voice two styles share.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

_TABLE = 8192  # samples in one wavetable period


@dataclass(frozen=True)
class Voice:
    """A small additive synth: harmonics k**-tilt, brightness that decays like a filter."""

    tilt: float = 1.0  # amplitude of harmonic k is k**-tilt
    even: float = 1.0  # weight of even harmonics (0 gives a hollow, square-like tone)
    max_hz: float = 5000.0  # highest partial
    max_harmonics: int = 16
    decay: float = 0.0  # 1/s amplitude decay of the whole note
    bright: float = 0.0  # extra 1/s decay per harmonic number (pluck / filter envelope)
    attack: float = 0.005
    release: float = 0.05
    vibrato: float = 0.0  # cents, fading in after the attack
    detune: float = 0.0  # cents between two oscillators (chorus)
    drive: float = 0.0  # tanh saturation, 0 = clean


# A slow, chorused pad: techno's breakdowns and choruses, the ballad's bed.
PAD = Voice(tilt=1.5, max_hz=4000, max_harmonics=12, attack=0.35, release=0.5, detune=12.0)


@functools.lru_cache(maxsize=64)
def _wavetable(voice: Voice, n_harm: int) -> np.ndarray:
    """One period of a static spectrum, so sustained voices cost one lookup per sample."""
    x = np.arange(_TABLE) * (2 * np.pi / _TABLE)
    table = sum(
        k**-voice.tilt * (voice.even if k % 2 == 0 else 1.0) * np.sin(k * x)
        for k in range(1, n_harm + 1)
    )
    table = np.asarray(table, dtype=np.float32)
    table.flags.writeable = False
    return table


def render_note(voice: Voice, midi: float, n_hold: int, rate: int) -> np.ndarray:
    """Render one note at unit velocity: held for n_hold samples, then released."""
    freq = 440.0 * 2.0 ** ((midi - 69) / 12)
    n_rel = int(voice.release * rate)
    n = n_hold + n_rel
    t = np.arange(n, dtype=np.float32) / np.float32(rate)
    n_harm = max(1, min(voice.max_harmonics, int(min(voice.max_hz, 0.45 * rate) // freq)))
    detunes = (0.0,) if voice.detune == 0 else (-voice.detune / 2, voice.detune / 2)
    out = np.zeros(n, dtype=np.float32)
    step = np.exp(-voice.bright * t) if voice.bright else None
    for cents in detunes:
        f = freq * 2.0 ** (cents / 1200)
        cycles = f * np.arange(n, dtype=np.float64) / rate  # float64: long notes stay in tune
        if voice.vibrato:
            depth = (2.0 ** (voice.vibrato / 1200) - 1) / (2 * np.pi)
            cycles += depth * f / 5.5 * np.minimum(1.0, t / 0.35) * np.sin(2 * np.pi * 5.5 * t)
        frac = (cycles - np.floor(cycles)).astype(np.float32)
        if step is None:  # static spectrum: read it from a wavetable
            out += _wavetable(voice, n_harm)[(frac * _TABLE).astype(np.int32) % _TABLE]
            continue
        phase = frac * np.float32(2 * np.pi)
        env = np.ones(n, dtype=np.float32)
        for k in range(1, n_harm + 1):
            amp = k**-voice.tilt * (voice.even if k % 2 == 0 else 1.0)
            out += np.float32(amp) * env * np.sin(np.float32(k) * phase)
            env *= step
    if voice.decay:
        out *= np.exp(np.float32(-voice.decay) * t)
    n_att = min(n_hold, max(1, int(voice.attack * rate)))
    out[:n_att] *= np.linspace(0.0, 1.0, n_att, dtype=np.float32)
    if n_rel:
        out[n_hold:] *= np.linspace(1.0, 0.0, n_rel, dtype=np.float32) ** 2
    if voice.drive:
        out = np.tanh(np.float32(voice.drive) * out / (np.max(np.abs(out)) + 1e-9))
    peak = np.max(np.abs(out)) + 1e-9
    return out / np.float32(peak)

"""The drum kit: one-shots synthesised once per sample rate (and tuning), then reused.

Why: drums are most of what makes a groove audible, and synthesising each hit per note
would cost far more than mixing a cached one-shot in by slicing.
"""

from __future__ import annotations

import functools

import numpy as np


def _finish(x: np.ndarray, rate: int) -> np.ndarray:
    """Peak-normalise a one-shot, fade its tail, and freeze it so the cache stays intact."""
    x = np.asarray(x, dtype=np.float64)
    fade = min(len(x), int(0.005 * rate))
    if fade:
        x[-fade:] *= np.linspace(1.0, 0.0, fade)
    x = (x / (np.max(np.abs(x)) + 1e-12)).astype(np.float32)
    x.flags.writeable = False
    return x


class _Kit:
    """Shared tools for synthesising one-shots at one sample rate."""

    def __init__(self, rate: int, seed: int) -> None:
        self.rate = rate
        self.nyq = 0.45 * rate
        self.rng = np.random.default_rng(seed)  # fixed: the kit is the same for every song

    def t(self, seconds: float) -> np.ndarray:
        return np.arange(int(seconds * self.rate)) / self.rate

    def noise(self, seconds: float) -> np.ndarray:
        return self.rng.standard_normal(int(seconds * self.rate))

    def band(self, x: np.ndarray, lo: float | None, hi: float | None, order: int = 2) -> np.ndarray:
        from scipy import signal  # imported late: it costs a second, and only kits need it

        if lo is not None and hi is not None and hi < self.nyq:
            sos = signal.butter(order, [lo, hi], "bandpass", fs=self.rate, output="sos")
        elif lo is not None:
            lo = min(lo, self.nyq * 0.8)
            sos = signal.butter(order, lo, "highpass", fs=self.rate, output="sos")
        else:
            hi = min(hi or self.nyq, self.nyq)
            sos = signal.butter(order, hi, "lowpass", fs=self.rate, output="sos")
        return signal.sosfilt(sos, x)

    def sweep(self, seconds: float, f0: float, f1: float, tau: float) -> np.ndarray:
        """Phase of a sine gliding exponentially from f0 to f1 (kick and tom pitch drop)."""
        t = self.t(seconds)
        return 2 * np.pi * (f1 * t + (f0 - f1) * tau * (1 - np.exp(-t / tau)))

    def metal(self, seconds: float) -> np.ndarray:
        """Six detuned square waves, the classic drum-machine cymbal source."""
        t = self.t(seconds)
        freqs = (205.3, 304.4, 369.6, 522.7, 540.0, 800.0)
        return sum(np.sign(np.sin(2 * np.pi * f * 1.7 * t + i)) for i, f in enumerate(freqs))

    def sine(self, seconds: float, freq: float, tau: float) -> np.ndarray:
        t = self.t(seconds)
        return np.sin(2 * np.pi * freq * t) * np.exp(-t / tau)


@functools.lru_cache(maxsize=4)
def _cymbals(rate: int) -> dict[str, np.ndarray]:
    """Unpitched one-shots (hats, cymbals, claps, scrapes), synthesised once per rate."""
    k = _Kit(rate, 20240601)
    kit: dict[str, np.ndarray] = {}
    t = k.t(0.3)
    bursts = sum(np.where(t >= d, np.exp(-(t - d) / 0.004), 0.0) for d in (0.0, 0.011, 0.022))
    tail = np.where(t >= 0.03, np.exp(-(t - 0.03) / 0.07), 0.0)
    kit["clap"] = k.band(k.noise(0.3), 900, 5000) * (bursts + 0.8 * tail)
    t = k.t(0.12)
    kit["hat"] = k.band(0.6 * k.metal(0.12) + k.noise(0.12), 6000, None, 3) * np.exp(-t / 0.025)
    t = k.t(0.7)
    kit["hat_open"] = k.band(0.6 * k.metal(0.7) + k.noise(0.7), 5500, None, 3) * np.exp(-t / 0.2)
    t = k.t(1.6)
    kit["crash"] = k.band(0.5 * k.metal(1.6) + k.noise(1.6), 3000, None, 2) * np.exp(-t / 0.45)
    t = k.t(0.9)
    kit["ride"] = k.band(k.metal(0.9), 2500, None, 2) * np.exp(-t / 0.35) + 0.6 * k.sine(
        0.9, 3150, 0.2
    )
    for name, seconds in (("guiro_long", 0.16), ("guiro_short", 0.06)):
        t = k.t(seconds)
        ratchet = 0.5 + 0.5 * np.sign(np.sin(2 * np.pi * 75 * t))
        env = np.minimum(1.0, t / 0.01) * np.exp(-t / (seconds * 0.7))
        kit[name] = k.band(k.noise(seconds), 2000, 7000) * ratchet * env
    t = k.t(0.12)
    kit["shaker"] = k.band(k.noise(0.12), 5000, None) * (t / 0.015) * np.exp(1 - t / 0.015)
    return {name: _finish(x, rate) for name, x in kit.items()}


@functools.lru_cache(maxsize=32)
def _pitched(rate: int, tune: int) -> dict[str, np.ndarray]:
    """Pitched drums and percussion, tuned `tune` semitones from A so they sit in the key."""
    k = _Kit(rate, 20240602)
    r = 2.0 ** (tune / 12)
    kit: dict[str, np.ndarray] = {}
    t = k.t(0.45)
    click = k.band(k.noise(0.45), 1500, None) * np.exp(-t / 0.004)
    body = np.sin(k.sweep(0.45, 160 * r, 55 * r, 0.03)) * np.exp(-t / 0.13)
    kit["kick"] = np.tanh(1.8 * body) + 0.25 * click
    t = k.t(0.6)
    body = np.sin(k.sweep(0.6, 130 * r, 55 * r, 0.035)) * np.exp(-t / 0.22)
    click = k.band(k.noise(0.6), 1000, None) * np.exp(-t / 0.006)
    kit["kick_909"] = np.tanh(2.2 * body) + 0.45 * click  # the click cuts through the hats
    t = k.t(0.4)
    kit["kick_soft"] = np.sin(k.sweep(0.4, 110 * r, 55 * r, 0.04)) * np.exp(-t / 0.12)
    t = k.t(0.3)
    body = 0.6 * k.sine(0.3, 220 * r, 0.05) + 0.3 * k.sine(0.3, 330 * r, 0.03)
    kit["snare"] = body + 0.7 * k.band(k.noise(0.3), 1200, 9000) * np.exp(-t / 0.09)
    t = k.t(0.1)
    kit["rim"] = (
        k.sine(0.1, 1760 * r, 0.008)
        + 0.5 * k.sine(0.1, 440 * r, 0.015)
        + 0.4 * k.band(k.noise(0.1), 2000, None) * np.exp(-t / 0.004)
    )
    kit["clave"] = k.sine(0.12, 2637 * r, 0.03) + 0.15 * k.sine(0.12, 5274 * r, 0.01)
    t = k.t(0.35)
    bell = sum(
        np.sin(2 * np.pi * f * r * h * t) / h
        for f in (659.0, 880.0)
        for h in (1, 3, 5)
        if f * r * h < k.nyq
    )
    kit["cowbell"] = k.band(bell, 450, 5000) * (0.6 * np.exp(-t / 0.015) + 0.4 * np.exp(-t / 0.16))
    skin = k.band(k.noise(0.35), 800, 4000) * np.exp(-t / 0.006)
    conga = np.sin(k.sweep(0.35, 360 * r, 330 * r, 0.02)) * np.exp(-t / 0.12)
    kit["conga"] = conga + 0.2 * skin
    tumba = np.sin(k.sweep(0.35, 240 * r, 220 * r, 0.02)) * np.exp(-t / 0.14)
    kit["tumba"] = tumba + 0.2 * skin
    slap = k.band(k.noise(0.35), 900, 6000) * np.exp(-t / 0.018)
    kit["slap"] = slap + 0.5 * k.sine(0.35, 440 * r, 0.03)
    kit["mute"] = k.sine(0.35, 330 * r, 0.02) + 0.3 * skin
    t = k.t(0.3)
    kit["timbale"] = (
        k.sine(0.3, 660 * r, 0.12)
        + 0.5 * k.sine(0.3, 990 * r, 0.08)
        + 0.6 * k.band(k.noise(0.3), 2500, None) * np.exp(-t / 0.01)
    )
    for name, f1 in (("tom_hi", 220.0), ("tom_mid", 165.0), ("tom_lo", 110.0)):
        t = k.t(0.5)
        tom = np.sin(k.sweep(0.5, f1 * r * 1.18, f1 * r, 0.05)) * np.exp(-t / 0.22)
        kit[name] = tom + 0.15 * k.band(k.noise(0.5), 800, 5000) * np.exp(-t / 0.01)
    return {name: _finish(x, rate) for name, x in kit.items()}


def drum_kit(rate: int, key: int) -> dict[str, np.ndarray]:
    """The whole kit for a song, its drums tuned to the tonic (kick on the root)."""
    tune = (key - 9 + 6) % 12 - 6  # the kit is built in A; move it at most a tritone
    return {**_cymbals(rate), **_pitched(rate, tune)}

"""Seeded procedural music: multi-instrument songs in five styles, rendered with numpy.

Why: the test-suite and the model that ships with Segue need plenty of music whose tempo,
key and style are known, without committing audio or downloading data sets. Each song is
built the way a band plays: a drum pattern per style with fills and crashes at section
changes, a bass line on the chord roots, a comping voice on a chord progression in a key,
and a lead line made of a motif that repeats with variation over 8-bar phrases. Voices are
cheap additive/subtractive synths with envelopes; drum one-shots are synthesised once per
sample rate and reused, and every note is mixed in by slicing, so a minute renders in well
under a second on one core.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from scipy import fft as sp_fft

STYLES: tuple[str, ...] = ("rock", "reggae", "salsa", "techno", "ballad")

_U64 = 2**64
_MAJOR = (0, 2, 4, 5, 7, 9, 11)
_MINOR = (0, 2, 3, 5, 7, 8, 10)

# Seed-stream labels, so each part of a song draws from its own independent generator.
_S_SPEC, _S_FORM, _S_GROOVE, _S_MOTIF, _S_PHRASE, _S_HUMAN, _S_LIBRARY = range(7)


@dataclass(frozen=True)
class _Style:
    """Everything that makes a style sound like itself, apart from the pattern code."""

    tempo: tuple[float, float]
    minor_odds: float
    major_progressions: tuple[tuple[int, ...], ...]
    minor_progressions: tuple[tuple[int, ...], ...]
    swing: tuple[float, float]  # how late odd sixteenths land, in sixteenths
    humanise: float  # timing jitter, seconds (standard deviation)
    reverb: float  # send scale
    echo: tuple[str, ...] = ()  # buses sent to a dub echo
    gains: dict[str, float] = field(default_factory=dict)


_STYLES: dict[str, _Style] = {
    "rock": _Style(
        tempo=(100.0, 140.0),
        minor_odds=0.4,
        major_progressions=((0, 4, 5, 3), (0, 0, 3, 4), (0, 5, 3, 4), (0, 3, 0, 4)),
        minor_progressions=((0, 5, 2, 6), (0, 0, 6, 5), (0, 3, 6, 0), (0, 5, 6, 0)),
        swing=(0.0, 0.0),
        humanise=0.004,
        reverb=0.7,
        gains={
            "kick": 0.5,
            "snare": 1.0,
            "hats": 0.27,
            "cymbal": 0.54,
            "toms": 0.73,
            "bass": 0.26,
            "chords": 0.17,
            "lead": 0.14,
        },
    ),
    "reggae": _Style(
        tempo=(70.0, 90.0),
        minor_odds=0.5,
        major_progressions=((0, 3, 0, 4), (0, 3, 4, 0), (0, 5, 3, 4)),
        minor_progressions=((0, 3, 0, 3), (0, 6, 0, 3), (0, 5, 6, 0)),
        swing=(0.15, 0.3),
        humanise=0.005,
        reverb=0.9,
        echo=("snare", "chords"),
        gains={
            "kick": 0.46,
            "snare": 0.6,
            "hats": 0.29,
            "cymbal": 0.27,
            "toms": 0.36,
            "bass": 0.16,
            "chords": 0.54,
            "keys": 0.15,
            "lead": 0.08,
        },
    ),
    "salsa": _Style(
        tempo=(160.0, 200.0),
        minor_odds=0.6,
        major_progressions=((0, 3, 4, 3), (0, 4, 0, 4), (0, 1, 4, 0)),
        minor_progressions=((0, 3, 4, 0), (4, 0, 4, 0), (3, 4, 0, 0), (0, 6, 5, 4)),
        swing=(0.0, 0.0),
        humanise=0.004,
        reverb=0.8,
        gains={
            "kick": 0.7,
            "perc_l": 0.8,
            "perc_r": 1.0,
            "congas": 0.97,
            "cymbal": 0.4,
            "toms": 0.7,
            "bass": 0.8,
            "keys": 0.63,
            "lead": 0.5,
        },
    ),
    "techno": _Style(
        tempo=(120.0, 135.0),
        minor_odds=0.8,
        major_progressions=((0, 0, 0, 3), (0, 4, 0, 4), (0, 0, 5, 0)),
        minor_progressions=((0, 0, 0, 0), (0, 0, 5, 6), (0, 6, 0, 5), (0, 0, 3, 0)),
        swing=(0.0, 0.12),
        humanise=0.0,
        reverb=0.8,
        gains={
            "kick": 0.22,
            "snare": 0.51,
            "hats": 0.31,
            "cymbal": 0.27,
            "perc_r": 1.0,
            "bass": 0.22,
            "chords": 0.28,
            "keys": 0.14,
            "lead": 0.12,
        },
    ),
    "ballad": _Style(
        tempo=(60.0, 80.0),
        minor_odds=0.4,
        major_progressions=((0, 5, 3, 4), (0, 4, 5, 3), (0, 3, 0, 4), (0, 2, 3, 4)),
        minor_progressions=((0, 5, 2, 6), (0, 3, 6, 2), (0, 5, 3, 4)),
        swing=(0.0, 0.08),
        humanise=0.006,
        reverb=1.6,
        gains={
            "kick": 0.38,
            "snare": 1.0,
            "hats": 0.29,
            "cymbal": 0.43,
            "toms": 0.8,
            "perc_r": 0.5,
            "bass": 0.12,
            "chords": 0.12,
            "keys": 0.11,
            "lead": 0.1,
        },
    ),
}

# Stereo placement (-1 left .. 1 right), reverb send and echo send of every mix bus.
_BUSES: dict[str, tuple[float, float, float]] = {
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
_BUS_NAMES = tuple(_BUSES)
_BUS_INDEX = {name: i for i, name in enumerate(_BUS_NAMES)}


@dataclass(frozen=True)
class SongSpec:
    """What a song is: style, tempo, key and the seed that draws everything else.

    `progression` holds the chord roots as scale degrees (0 = tonic), one chord per bar,
    repeating; empty means "draw one for the style from the seed". Songs are in 4/4.
    """

    style: str
    bpm: float
    key: int
    minor: bool
    seed: int
    progression: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.style not in _STYLES:
            raise ValueError(f"unknown style {self.style!r}; expected one of {STYLES}")
        if not 20.0 <= self.bpm <= 400.0:
            raise ValueError(f"bpm {self.bpm} outside 20..400")
        if not 0 <= self.key < 12:
            raise ValueError(f"key {self.key} is not a semitone 0..11")
        if any(not 0 <= d < 7 for d in self.progression):
            raise ValueError(f"progression {self.progression} must hold scale degrees 0..6")

    @property
    def beats_per_bar(self) -> int:
        """Every style is generated in 4/4; exposed so callers need not hard-code it."""
        return 4

    @property
    def beat_seconds(self) -> float:
        return 60.0 / self.bpm

    @property
    def bar_seconds(self) -> float:
        return self.beats_per_bar * 60.0 / self.bpm


def _rng(seed: int, *stream: int) -> np.random.Generator:
    """An independent generator per (seed, stream...), never the global random state."""
    return np.random.default_rng(np.random.SeedSequence([seed % _U64, *stream]))


def song_spec(seed: int, style: str | None = None, bpm: float | None = None) -> SongSpec:
    """Draw the style (if None), a tempo in the style's usual range (if None), key and mode."""
    rng = _rng(seed, _S_SPEC)
    drawn_style = STYLES[int(rng.integers(len(STYLES)))]
    style = drawn_style if style is None else style
    if style not in _STYLES:
        raise ValueError(f"unknown style {style!r}; expected one of {STYLES}")
    cfg = _STYLES[style]
    drawn_bpm = float(round(rng.uniform(*cfg.tempo)))
    key = int(rng.integers(12))
    minor = bool(rng.random() < cfg.minor_odds)
    options = cfg.minor_progressions if minor else cfg.major_progressions
    progression = options[int(rng.integers(len(options)))]
    return SongSpec(
        style=style,
        bpm=drawn_bpm if bpm is None else float(bpm),
        key=key,
        minor=minor,
        seed=seed,
        progression=progression,
    )


# --------------------------------------------------------------------------- drum kit


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


def _drum_kit(rate: int, key: int) -> dict[str, np.ndarray]:
    """The whole kit for a song, its drums tuned to the tonic (kick on the root)."""
    tune = (key - 9 + 6) % 12 - 6  # the kit is built in A; move it at most a tritone
    return {**_cymbals(rate), **_pitched(rate, tune)}


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


# ------------------------------------------------------------------------------ voices


@dataclass(frozen=True)
class _Voice:
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


@functools.lru_cache(maxsize=64)
def _wavetable(voice: _Voice, n_harm: int) -> np.ndarray:
    """One period of a static spectrum, so sustained voices cost one lookup per sample."""
    x = np.arange(_TABLE) * (2 * np.pi / _TABLE)
    table = sum(
        k**-voice.tilt * (voice.even if k % 2 == 0 else 1.0) * np.sin(k * x)
        for k in range(1, n_harm + 1)
    )
    table = np.asarray(table, dtype=np.float32)
    table.flags.writeable = False
    return table


_TABLE = 8192


def _synth(voice: _Voice, midi: float, n_hold: int, rate: int) -> np.ndarray:
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


_BASS = {
    "rock": _Voice(tilt=1.1, max_hz=3000, decay=1.5, bright=4.0, attack=0.003, release=0.03),
    "reggae": _Voice(tilt=2.2, max_hz=1200, max_harmonics=5, decay=0.4, attack=0.012, release=0.06),
    "salsa": _Voice(tilt=1.4, max_hz=2500, decay=1.8, bright=5.0, attack=0.004, release=0.05),
    "techno": _Voice(
        tilt=1.0, max_hz=4000, decay=3.0, bright=14.0, attack=0.002, release=0.02, drive=1.5
    ),
    "ballad": _Voice(tilt=1.9, max_hz=1500, max_harmonics=6, decay=0.6, attack=0.015, release=0.12),
}
_GUITAR = _Voice(
    tilt=1.0,
    max_hz=6000,
    max_harmonics=24,
    decay=0.9,
    bright=2.0,
    attack=0.004,
    release=0.08,
    drive=3.0,
)
_MUTED_GUITAR = _Voice(
    tilt=1.0,
    max_hz=5000,
    max_harmonics=20,
    decay=9.0,
    bright=8.0,
    attack=0.003,
    release=0.03,
    drive=2.5,
)
_SKANK = _Voice(
    tilt=0.9, max_hz=7000, max_harmonics=24, decay=14.0, bright=6.0, attack=0.002, release=0.03
)
_ORGAN = _Voice(tilt=0.8, even=0.7, max_hz=5000, max_harmonics=8, attack=0.006, release=0.02)
_PIANO = _Voice(
    tilt=1.1, max_hz=7000, max_harmonics=20, decay=2.2, bright=2.5, attack=0.002, release=0.08
)
_STAB = _Voice(
    tilt=1.0,
    max_hz=7000,
    max_harmonics=24,
    decay=6.0,
    bright=9.0,
    attack=0.002,
    release=0.04,
    detune=14.0,
)
_PAD = _Voice(tilt=1.5, max_hz=4000, max_harmonics=12, attack=0.35, release=0.5, detune=12.0)
_EPIANO = _Voice(
    tilt=2.0, max_hz=5000, max_harmonics=10, decay=1.6, bright=3.0, attack=0.003, release=0.25
)
_LEADS = {
    "rock": _Voice(
        tilt=1.0, max_hz=6000, max_harmonics=20, attack=0.01, release=0.06, vibrato=25.0, drive=2.0
    ),
    "reggae": _Voice(
        tilt=1.2, even=0.35, max_hz=5000, max_harmonics=12, attack=0.02, release=0.06, vibrato=15.0
    ),
    "salsa": _Voice(
        tilt=0.9, max_hz=7000, max_harmonics=20, attack=0.03, release=0.05, vibrato=12.0, drive=1.2
    ),
    "techno": _Voice(
        tilt=1.0,
        even=0.1,
        max_hz=6000,
        max_harmonics=16,
        decay=5.0,
        bright=4.0,
        attack=0.002,
        release=0.05,
    ),
    "ballad": _Voice(
        tilt=2.2, max_hz=4000, max_harmonics=8, attack=0.06, release=0.2, vibrato=18.0
    ),
}

# --------------------------------------------------------------------------- harmony


def _semitone(spec: SongSpec, degree: int, raised_v: bool = False) -> int:
    """Semitones above the tonic of a scale degree (any octave)."""
    scale = _MINOR if spec.minor else _MAJOR
    octave, step = divmod(degree, 7)
    semis = scale[step] + 12 * octave
    if raised_v and step == 6:  # the leading tone of harmonic minor over a major V
        semis += 1
    return semis


def _raised(spec: SongSpec, root: int) -> bool:
    """Minor-key V chords are major (harmonic minor) in salsa and ballads."""
    return spec.minor and root == 4 and spec.style in ("salsa", "ballad")


def _chord(spec: SongSpec, root: int, tones: Sequence[int] = (0, 2, 4)) -> list[int]:
    """Semitones above the tonic of a diatonic chord on `root` (stacked thirds)."""
    raised = _raised(spec, root)
    return [_semitone(spec, root + t, raised) for t in tones]


def _voicing(spec: SongSpec, semis: Sequence[int], centre: int) -> list[int]:
    """Close-position MIDI notes near `centre`, so chord changes move by small steps."""
    notes = []
    for s in semis:
        pitch = (spec.key + s) % 12
        notes.append(centre - 6 + (pitch - (centre - 6)) % 12)
    return sorted(set(notes))


# ---------------------------------------------------------------------------- melody

_Note = tuple[int, int, int]  # onset in sixteenths within a 2-bar cell, length, scale degree

# Per style: probability of a note on (bar downbeat, half bar, beat, 8th offbeat, 16th)
# and the longest note in sixteenths.
_LEAD_RHYTHM = {
    "rock": ((0.95, 0.7, 0.55, 0.45, 0.08), 8),
    "reggae": ((0.6, 0.5, 0.4, 0.55, 0.1), 6),
    "salsa": ((0.8, 0.5, 0.5, 0.6, 0.1), 6),
    "techno": ((0.9, 0.6, 0.5, 0.5, 0.3), 3),
    "ballad": ((0.95, 0.6, 0.4, 0.3, 0.0), 12),
}


def _motif(rng: np.random.Generator, style: str, start: int) -> list[_Note]:
    """A 2-bar melodic idea: a rhythm weighted to the metre and a mostly stepwise contour."""
    probs, longest = _LEAD_RHYTHM[style]
    span = 16 if style == "techno" else 32  # techno riffs are one bar, played twice
    onsets = []
    for p in range(span - 2):
        level = 0 if p % 16 == 0 else 1 if p % 8 == 0 else 2 if p % 4 == 0 else 3
        level = 4 if p % 2 else level
        if rng.random() < probs[level]:
            onsets.append(p)
    if not onsets or onsets[0] > 4:
        onsets.insert(0, int(rng.choice([0, 2, 4])))
    while len(onsets) < 3:
        extra = int(rng.integers(1, span - 2))
        if extra not in onsets:
            onsets = sorted([*onsets, extra])
    steps = np.array([-3, -2, -1, 0, 1, 2, 3, 4])
    weights = np.array([0.05, 0.15, 0.3, 0.08, 0.27, 0.1, 0.03, 0.02])
    notes: list[_Note] = []
    degree = start
    for i, p in enumerate(onsets):
        nxt = onsets[i + 1] if i + 1 < len(onsets) else span
        dur = min(nxt - p, longest)
        if dur > 1 and rng.random() < 0.25:
            dur = max(1, dur // 2)  # detached note: room to breathe
        if i:  # a walk with gravity: the further from home, the likelier it turns back
            pull = weights * np.exp(-0.3 * np.abs(degree + steps - start))
            degree = int(np.clip(degree + rng.choice(steps, p=pull / pull.sum()), -2, 9))
        notes.append((p, dur, degree))
    if span == 16:
        notes += [(p + 16, d, g) for p, d, g in notes]
    return notes


def _vary(rng: np.random.Generator, cell: list[_Note], ending: int | None) -> list[_Note]:
    """Repeat a motif with a recognisable change: a sequence step, new tail, or rhythm nudge."""
    notes = list(cell)
    choice = rng.random()
    if choice < 0.3:  # sequence: the second half moves by a scale step
        shift = int(rng.choice([-1, 1, 2]))
        notes = [(p, d, g + shift if p >= 16 else g) for p, d, g in notes]
    elif choice < 0.6 and len(notes) > 2:  # new tail
        p, d, g = notes[-1]
        notes[-1] = (p, d, g + int(rng.choice([-2, -1, 1, 2])))
    elif len(notes) > 3:  # drop or nudge a weak note
        i = int(rng.integers(1, len(notes)))
        p, d, g = notes[i]
        if p % 4 and rng.random() < 0.5:
            del notes[i]
        elif i + 1 < len(notes) and notes[i + 1][0] > p + 1 and d > 1:
            notes[i] = (p + 1, d - 1, g)
    if ending is not None and notes:
        p, d, g = notes[-1]
        target = min((ending + 7 * o for o in (-1, 0, 1)), key=lambda e: abs(e - g))
        notes[-1] = (p, max(d, min(8, 32 - p)), target)
    return notes


def _phrase(rng: np.random.Generator, motif: list[_Note]) -> list[list[_Note]]:
    """Four 2-bar cells of an 8-bar phrase: statement, answer, restatement, cadence."""
    half_cadence = int(rng.choice([4, 1]))
    return [
        motif,
        _vary(rng, motif, half_cadence),
        motif if rng.random() < 0.6 else _vary(rng, motif, None),
        _vary(rng, motif, 0),
    ]


# ------------------------------------------------------------------------------ song


_FORMS = (
    ("verse", "chorus"),
    ("verse", "verse", "chorus"),
    ("verse", "chorus", "break", "chorus"),
    ("verse", "chorus", "verse", "chorus", "break", "chorus"),
)


class _Song:
    """Collects hits and notes into mono buses, then mixes them to normalised stereo."""

    def __init__(self, spec: SongSpec, seconds: float, rate: int) -> None:
        self.spec = spec
        self.cfg = _STYLES[spec.style]
        self.rate = rate
        self.n = round(seconds * rate)
        self.s16 = spec.beat_seconds / 4
        self.n_bars = max(1, math.ceil(seconds / spec.bar_seconds) + 1)
        self.length = self.n + int(2.0 * rate)
        self.bank = np.zeros((len(_BUS_NAMES), self.length), dtype=np.float32)
        self.kit = _drum_kit(rate, spec.key)
        self.human = _rng(spec.seed, _S_HUMAN)
        self.groove = _rng(spec.seed, _S_GROOVE)
        self.swing = float(self.groove.uniform(*self.cfg.swing))
        self.notes: dict[tuple[_Voice, float, int], np.ndarray] = {}
        self.progression = spec.progression or _default_progression(spec)
        self.groove_choice = _groove(self.groove, spec.style)
        motif_rng = _rng(spec.seed, _S_MOTIF)
        self.motifs = {
            "verse": _motif(motif_rng, spec.style, int(motif_rng.choice([0, 4, 7]))),
            "chorus": _motif(motif_rng, spec.style, int(motif_rng.choice([4, 7]))),
        }
        self.phrases: dict[int, list[list[_Note]]] = {}

    def phrase(self, section: str, number: int) -> list[list[_Note]]:
        """The 8-bar phrase of a section, drawn from its own stream so it is stable."""
        if number not in self.phrases:
            rng = _rng(self.spec.seed, _S_PHRASE, number)
            self.phrases[number] = _phrase(rng, self.motifs[section])
        return self.phrases[number]

    # timing ------------------------------------------------------------------------
    def when(self, bar: int, pos: float) -> float:
        """Seconds of a sixteenth position in a bar, with the style's swing."""
        swing = self.swing if int(pos) % 2 == 1 else 0.0
        return (bar * 16 + pos + swing) * self.s16

    def _start(self, seconds: float) -> int:
        if self.cfg.humanise:
            seconds += float(self.human.normal(0.0, self.cfg.humanise))
        return round(seconds * self.rate)

    def _vel(self, vel: float) -> float:
        return vel * min(1.2, max(0.75, 1 + 0.08 * float(self.human.standard_normal())))

    def _add(self, bus: str, start: int, wave: np.ndarray, gain: float) -> None:
        buf = self.bank[_BUS_INDEX[bus]]
        if start < 0:
            wave, start = wave[-start:], 0
        end = min(self.length, start + len(wave))
        if end > start:
            buf[start:end] += np.float32(gain) * wave[: end - start]

    # events ------------------------------------------------------------------------
    def hit(self, bus: str, sample: str, bar: int, pos: float, vel: float = 1.0) -> None:
        self._add(bus, self._start(self.when(bar, pos)), self.kit[sample], self._vel(vel))

    def note(
        self,
        bus: str,
        voice: _Voice,
        bar: int,
        pos: float,
        dur: float,
        midi: float,
        vel: float = 1.0,
        delay: float = 0.0,
    ) -> None:
        n_hold = max(1, round(dur * self.s16 * self.rate))
        key = (voice, midi, n_hold)
        wave = self.notes.get(key)
        if wave is None:
            wave = self.notes[key] = _synth(voice, midi, n_hold, self.rate)
        start = self._start(self.when(bar, pos) + delay)
        self._add(bus, start, wave, self._vel(vel))

    def chord(
        self,
        bus: str,
        voice: _Voice,
        bar: int,
        pos: float,
        dur: float,
        notes: Sequence[int],
        vel: float = 1.0,
        strum: float = 0.0,
    ) -> None:
        scale = vel / math.sqrt(len(notes))
        for i, midi in enumerate(notes):
            self.note(bus, voice, bar, pos, dur, midi, scale, delay=i * strum)

    # harmony helpers ---------------------------------------------------------------
    def root(self, bar: int) -> int:
        return self.progression[bar % len(self.progression)]

    def bass_midi(self, degree: int) -> int:
        """A root in the bass register, within a tritone of the tonic as bassists play."""
        tonic = 36 + self.spec.key - (12 if self.spec.key > 7 else 0)
        semis = _semitone(self.spec, degree, _raised(self.spec, degree))
        return tonic + (semis - 12 if semis > 6 else semis)

    # mixdown -----------------------------------------------------------------------
    def mix(self) -> np.ndarray:
        """Pan, send and sum the buses in one matrix product, add echo and room, master."""
        n = self.n
        cfg = self.cfg
        # Rows: left, right, reverb send, echo send; one column per bus.
        weights = np.zeros((4, len(_BUS_NAMES)), dtype=np.float32)
        for i, name in enumerate(_BUS_NAMES):
            pan, rev, ech = _BUSES[name]
            gain = cfg.gains.get(name, 0.3)
            angle = (pan + 1) * math.pi / 4
            ech = 0.35 if name in cfg.echo else ech
            weights[:, i] = (math.cos(angle), math.sin(angle), rev * cfg.reverb, ech)
            weights[:, i] *= gain
        bus = weights @ self.bank[:, :n]
        out, send, echo = bus[:2], bus[2], bus[3]
        if cfg.echo:  # dub echo: dotted eighths bouncing left and right
            delay = round(3 * self.s16 * self.rate)
            for i in range(1, 6):
                shift = i * delay
                if shift >= n:
                    break
                out[i % 2, shift:] += np.float32(0.5**i) * echo[: n - shift]
                send[shift:] += np.float32(0.3 * 0.5**i) * echo[: n - shift]
        t60 = 2.0 if self.spec.style == "ballad" else 1.2
        ir_len = int((min(t60, 2.0) + 0.02) * self.rate)
        n_fft = sp_fft.next_fast_len(n + ir_len, real=True)
        spectra = _reverb_spectra(self.rate, n_fft, t60)
        wet = sp_fft.irfft(sp_fft.rfft(send, n_fft)[None, :] * spectra, n_fft, axis=1)
        out += wet[:, :n]
        return _master(out, self.rate)


def _default_progression(spec: SongSpec) -> tuple[int, ...]:
    cfg = _STYLES[spec.style]
    options = cfg.minor_progressions if spec.minor else cfg.major_progressions
    return options[int(_rng(spec.seed, _S_SPEC, 1).integers(len(options)))]


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


# -------------------------------------------------------------------------- patterns


def _form(spec: SongSpec, n_bars: int) -> list[tuple[str, int, int]]:
    """(section, bar within section, section number) for every bar: intro, then a form."""
    rng = _rng(spec.seed, _S_FORM)
    order = _FORMS[int(rng.integers(len(_FORMS)))]
    bars = [("intro", i, 0) for i in range(4)]
    k = 0
    while len(bars) < n_bars:
        k += 1
        bars += [(order[(k - 1) % len(order)], i, k) for i in range(8)]
    return bars[:n_bars]


def _fill(song: _Song, bar: int, style: str) -> None:
    """A drum fill over the last two beats, so section changes are audible."""
    kind = int(song.groove.integers(3))
    if style == "salsa":
        for p in range(8, 16):
            song.hit("perc_r", "timbale", bar, p, 0.5 + 0.04 * p)
        song.hit("perc_r", "timbale", bar, 14, 1.0)
        return
    if style == "techno":
        for p in range(8, 16):
            song.hit("snare", "clap" if p % 2 else "snare", bar, p, 0.3 + 0.06 * (p - 8))
        return
    soft = 0.6 if style == "ballad" else 1.0
    if kind == 0:
        for p, drum in zip(range(8, 16, 2), ("snare", "tom_hi", "tom_mid", "tom_lo"), strict=True):
            song.hit("toms" if drum.startswith("tom") else "snare", drum, bar, p, soft)
    elif kind == 1:
        for p in range(8, 16):
            drum = "snare" if p < 12 else ("tom_hi", "tom_mid", "tom_lo", "tom_lo")[(p - 12)]
            song.hit("toms" if drum.startswith("tom") else "snare", drum, bar, p, soft * 0.8)
    else:
        for p in (8, 10, 11, 12, 14):
            song.hit("snare", "snare", bar, p, soft * (0.7 + 0.05 * p / 2))


def _drums(song: _Song, bar: int, section: str, index: int) -> None:
    """One bar of the style's drum pattern, with crashes and fills at section edges."""
    style = song.spec.style
    last = section != "intro" and index == 7
    first = section != "intro" and index == 0
    g = song.groove_choice
    if first and style != "salsa":
        song.hit("cymbal", "crash", bar, 0, 0.6 if style == "ballad" else 1.0)
    body_end = 8 if last else 16
    if style == "rock":
        if section != "break":
            for p in (0, 8, *g["rock_kick"]):
                if p < body_end or p == 8:
                    song.hit("kick", "kick", bar, p, 1.0 if p in (0, 8) else 0.8)
            for p in (4, 12):
                if p < body_end:
                    song.hit("snare", "snare", bar, p)
        else:
            song.hit("kick", "kick", bar, 0, 0.9)
        ride = section == "chorus"
        for p in range(0, body_end, 2):
            accent = 1.0 if p % 4 == 0 else 0.45
            song.hit("hats", "ride" if ride else "hat", bar, p, accent * (0.8 if ride else 1.0))
    elif style == "reggae":
        song.hit("kick", "kick", bar, 8, 1.0)
        song.hit("snare", "snare" if section == "chorus" else "rim", bar, 8, 0.9)
        for p in range(0, body_end):
            vel = 0.85 if p % 4 == 0 else 0.4 if p % 2 == 0 else 0.2
            song.hit("hats", "hat", bar, p, vel)
        if bar % 2 == 1 and not last:
            song.hit("hats", "hat_open", bar, 14, 0.5)
    elif style == "salsa":
        clave = g["clave"][bar % 2]
        for p in clave:
            song.hit("perc_l", "clave", bar, p, 0.9)
        for p in range(0, body_end, 4):
            song.hit("perc_r", "cowbell", bar, p, 1.0 if p % 8 == 0 else 0.85)
            if section == "chorus":
                song.hit("perc_r", "cowbell", bar, p + 2, 0.45)
        for p, drum, vel in (
            (0, "mute", 0.5),
            (4, "slap", 0.9),
            (6, "mute", 0.4),
            (8, "mute", 0.5),
            (12, "conga", 1.0),
            (14, "conga", 0.7),
        ):
            if p < body_end:
                drum = "tumba" if p == 14 and bar % 2 else drum
                song.hit("congas", drum, bar, p, vel)
        for p, drum in (
            (0, "guiro_long"),
            (4, "guiro_short"),
            (6, "guiro_short"),
            (8, "guiro_long"),
            (12, "guiro_short"),
            (14, "guiro_short"),
        ):
            song.hit("perc_l", drum, bar, p, 0.5)
        if section != "break":
            song.hit("kick", "kick_soft", bar, 0, 1.0)
    elif style == "techno":
        kick = section != "break" or index >= 6
        for p in range(0, 16, 4):
            if kick and p < body_end:
                song.hit("kick", "kick_909", bar, p)
            song.hit("hats", "hat_open", bar, p + 2, 0.5)
        if section != "intro" or index >= 2:
            for p in (4, 12):
                if p < body_end:
                    song.hit("snare", "clap", bar, p, 0.9)
        for p in range(16):
            if section == "chorus" or p % 2 == 0:
                song.hit("hats", "hat", bar, p, 0.35 if p % 2 == 0 else 0.2)
        for p in g["techno_perc"]:
            song.hit("perc_r", "rim", bar, p, 0.7)
    else:  # ballad
        if section != "intro" and section != "break":
            for p in (0, *g["ballad_kick"]):
                song.hit("kick", "kick_soft", bar, p, 1.0 if p == 0 else 0.7)
            for p in (4, 12):
                if p < body_end:
                    song.hit("snare", "snare" if section == "chorus" else "rim", bar, p, 0.8)
        step = 2 if section == "chorus" else 4
        for p in range(0, body_end, step):
            song.hit("hats", "hat", bar, p, 0.8 if p % 4 == 0 else 0.5)
        if section in ("verse", "chorus"):
            for p in range(0, 16, 2):
                song.hit("perc_r", "shaker", bar, p, 0.6 if p % 4 == 0 else 0.4)
    if last:
        _fill(song, bar, style)


_BASS_PATTERNS: dict[str, tuple[tuple[tuple[int, int, str], ...], ...]] = {
    # (sixteenth, length, what): R root, 3/5/6/8 chord-relative scale steps,
    # N next chord's root (an anticipation), A the step leading to the next root.
    "rock": (
        (*((p, 2, "R") for p in range(0, 14, 2)), (14, 2, "A")),
        (
            (0, 3, "R"),
            (3, 1, "R"),
            (6, 2, "R"),
            (8, 3, "R"),
            (11, 1, "5"),
            (12, 2, "8"),
            (14, 2, "A"),
        ),
        ((0, 6, "R"), (6, 2, "R"), (8, 4, "5"), (12, 2, "R"), (14, 2, "A")),
    ),
    "reggae": (
        ((2, 2, "R"), (4, 4, "R"), (10, 2, "5"), (12, 2, "8"), (14, 2, "5")),
        ((3, 1, "R"), (4, 2, "R"), (6, 2, "3"), (8, 5, "5"), (14, 2, "R")),
        ((2, 1, "R"), (3, 3, "R"), (8, 2, "5"), (10, 2, "6"), (12, 4, "R")),
    ),
    "salsa": (  # tumbao: nothing on one, the 2-and and the anticipated root on four
        ((6, 5, "5"), (12, 9, "N")),
        ((6, 5, "R"), (12, 9, "N")),
        ((6, 3, "5"), (10, 2, "8"), (12, 9, "N")),
    ),
    "techno": (  # between the kicks, never just before one (it would mask the kick)
        ((2, 1, "R"), (6, 1, "R"), (10, 1, "R"), (14, 1, "R")),
        ((2, 1, "R"), (5, 1, "R"), (6, 1, "R"), (10, 1, "R"), (13, 1, "8"), (14, 1, "R")),
        ((2, 1, "R"), (6, 1, "8"), (10, 1, "R"), (14, 1, "8")),
    ),
    "ballad": (
        ((0, 8, "R"), (8, 8, "R")),
        ((0, 12, "R"), (12, 4, "5")),
        ((0, 6, "R"), (6, 2, "5"), (8, 8, "R")),
    ),
}

_STEPS = {"R": 0, "3": 2, "5": 4, "6": 5, "8": 7}


def _bass(song: _Song, bar: int, section: str) -> None:
    style = song.spec.style
    pattern = song.groove_choice["bass"]
    root, nxt = song.root(bar), song.root(bar + 1)
    if style == "techno" and section == "break":
        pattern = ((0, 16, "R"),)
    for p, dur, what in pattern:
        if what == "N":
            degree = nxt
        elif what == "A":
            degree = nxt - 1 if nxt > root else nxt + 1
        else:
            degree = root + _STEPS[what]
        midi = song.bass_midi(degree % 7) + (12 if degree >= 7 else 0)
        vel = 1.0 if p % 4 == 0 else 0.75 if p % 2 == 0 else 0.6
        song.note("bass", _BASS[style], bar, p, dur, midi, vel)


_MONTUNO = (0, 2, 3, 5, 6, 8, 10, 11, 13, 14)  # eighths over two bars; 7 and 15 anticipate


def _comping(song: _Song, bar: int, section: str, index: int) -> None:
    """The chord instrument: power chords, skank, montuno, stab or pad by style."""
    spec, style = song.spec, song.spec.style
    root = song.root(bar)
    triad = _chord(spec, root)
    if style == "rock":
        low = song.bass_midi(root) + 24
        power = [low, low + triad[2] - triad[0], low + 12]  # root, diatonic fifth, octave
        if section in ("verse", "intro"):
            for p in range(0, 16, 2):
                song.chord("chords", _MUTED_GUITAR, bar, p, 1.5, power, 0.9 if p % 4 == 0 else 0.5)
        else:
            for p, dur in song.groove_choice["strum"]:
                song.chord("chords", _GUITAR, bar, p, dur, power, 1.0, strum=0.006)
    elif style == "reggae":
        notes = _voicing(spec, triad, 68)
        song.chord("chords", _SKANK, bar, 4, 1, notes, 1.0, strum=0.004)
        song.chord("chords", _SKANK, bar, 12, 1, notes, 1.0, strum=0.004)
        if song.groove_choice["double_skank"]:
            song.chord("chords", _SKANK, bar, 13, 1, notes, 0.6, strum=0.004)
        organ = _voicing(spec, triad, 62)
        for p in (2, 6, 10, 14):
            song.chord("keys", _ORGAN, bar, p, 1, organ, 0.6)
    elif style == "salsa":
        cycle = bar % 2
        tones = _chord(spec, root)
        nxt_tones = _chord(spec, song.root(bar + 1))
        for e in range(8):
            eighth = cycle * 8 + e
            anticipate = eighth in (7, 15)
            if eighth not in _MONTUNO and not anticipate:
                continue
            src = nxt_tones if anticipate else tones
            tone = src[(0, 2, 1, 2, 0, 1, 2, 1)[e]]
            low = 60 + (spec.key + tone) % 12 - (12 if (spec.key + tone) % 12 > 7 else 0)
            song.chord("keys", _PIANO, bar, 2 * e, 1.5, [low, low + 12], 0.7 if e % 2 else 1.0)
    elif style == "techno":
        notes = _voicing(spec, _chord(spec, root, (0, 2, 4, 7)), 62)
        if section != "break":
            for p in song.groove_choice["stab"]:
                song.chord("chords", _STAB, bar, p, 1, notes, 0.9)
        if section in ("break", "chorus"):
            song.chord("keys", _PAD, bar, 0, 16, notes, 0.8)
    else:  # ballad: sustained pad plus a broken-chord electric piano
        pad = _voicing(spec, _chord(spec, root, (0, 2, 4, 6 if spec.minor else 8)), 64)
        song.chord("chords", _PAD, bar, 0, 16, pad, 0.8)
        base = song.bass_midi(root) + 24
        third, fifth = triad[1] - triad[0], triad[2] - triad[0]
        up = [base, base + fifth, base + 12, base + 12 + third, base + 12 + fifth]
        arp = [*up, up[3], up[2], up[1]]  # up and back down the chord, in eighths
        for e, midi in enumerate(arp):
            song.note("keys", _EPIANO, bar, 2 * e, 4, midi, 0.9 if e % 2 == 0 else 0.7)


def _lead(song: _Song, bar: int, section: str, index: int, number: int) -> None:
    """The melody: the section's motif, phrased over 8 bars and fitted to the chords."""
    if section in ("intro", "break"):
        return
    spec, style = song.spec, song.spec.style
    cells = song.phrase(section, number)
    cell = cells[(index // 2) % 4]
    root = song.root(bar)
    chord_steps = {(root + t) % 7 for t in (0, 2, 4)}
    raised = _raised(spec, root)
    tonic = 60 + spec.key - (12 if spec.key > 7 else 0)
    half = (index % 2) * 16
    for p, dur, degree in cell:
        if not half <= p < half + 16:
            continue
        if (p % 8 == 0 or dur >= 6) and degree % 7 not in chord_steps:
            degree = min(
                (degree + d for d in (-1, 1, -2, 2) if (degree + d) % 7 in chord_steps),
                key=lambda g: abs(g - degree),
            )
        midi = tonic + _semitone(spec, degree, raised)
        song.note("lead", _LEADS[style], bar, p - half, dur, midi, 1.0 if p % 4 == 0 else 0.85)


def _groove(rng: np.random.Generator, style: str) -> dict[str, Any]:
    """Per-song choices among each style's pattern variants."""

    def pick(options: Sequence[Any]) -> Any:
        return options[int(rng.integers(len(options)))]

    three_two = ((0, 6, 12), (4, 8))
    return {
        "bass": pick(_BASS_PATTERNS[style]),
        "rock_kick": pick(((), (10,), (6,), (10, 14))),
        "strum": pick(
            (
                ((0, 6), (6, 2), (8, 6), (14, 2)),
                ((0, 10), (10, 6)),
                ((0, 3), (3, 3), (6, 4), (10, 6)),
            )
        ),
        "double_skank": bool(rng.random() < 0.4),
        "clave": pick((three_two, three_two[::-1])),
        "stab": pick(((3, 6, 10), (2, 7, 10, 14), (3, 7, 11, 14), (0, 3, 6, 10))),
        "techno_perc": pick(((3, 11), (6, 14), (7, 10, 13), ())),
        "ballad_kick": pick(((10,), (8,), (6, 10))),
    }


def generate_song(spec: SongSpec, seconds: float, rate: int = 22050) -> np.ndarray:
    """Stereo float32 array shaped [2, round(seconds*rate)], peak <= 0.9, deterministic."""
    if seconds < 0:
        raise ValueError(f"seconds must be >= 0, got {seconds}")
    if rate < 8000:
        raise ValueError(f"rate {rate} is too low to hold the hats and cymbals")
    song = _Song(spec, seconds, rate)
    if song.n == 0:
        return np.zeros((2, 0), dtype=np.float32)
    for bar, (section, index, number) in enumerate(_form(spec, song.n_bars)):
        _drums(song, bar, section, index)
        _bass(song, bar, section)
        _comping(song, bar, section, index)
        _lead(song, bar, section, index, number)
    return song.mix()


def _bpm_label(bpm: float) -> str:
    return f"{round(bpm)}" if abs(bpm - round(bpm)) < 1e-6 else f"{bpm:.1f}"


def write_library(
    directory: Path, songs: int, seed: int = 0, seconds: float = 60.0, rate: int = 22050
) -> list[Path]:
    """Write `songs` FLAC songs cycling through STYLES, each spec seeded from (seed, index)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(songs):
        style = STYLES[index % len(STYLES)]
        song_seed = int(
            np.random.SeedSequence([seed % _U64, _S_LIBRARY, index]).generate_state(1, np.uint64)[0]
        )
        spec = song_spec(song_seed, style=style)
        audio = generate_song(spec, seconds, rate)
        path = directory / f"{index:03d}-{style}-{_bpm_label(spec.bpm)}bpm.flac"
        sf.write(path, audio.T, rate, format="FLAC", subtype="PCM_16")
        paths.append(path)
    return paths

"""The procedural songs must behave like music: steady tempo, style grooves, a key, highs.

They stand in for committed audio in the suite and train the shipped model, so these tests
listen the way a simple beat tracker and key finder would: an onset-strength envelope
(positive spectral flux in log-spaced bands) for pulse and groove, and a chroma of the whole
song for the tonal centre.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import re

import numpy as np
import pytest
import soundfile as sf
from numpy.lib.stride_tricks import sliding_window_view

from segue.procedural import STYLES, SongSpec, generate_song, song_spec, write_library

RATE = 22050
SECONDS = 20.0
SEEDS = (0, 1)
HOP = 256
N_FFT = 1024
FPS = RATE / HOP
# The usual tempo of each style, as the generator promises to draw it.
TEMPI = {
    "rock": (100, 140),
    "reggae": (70, 90),
    "salsa": (160, 200),
    "techno": (120, 135),
    "ballad": (60, 80),
}

# How much stronger the eighth-note grid is than the sixteenths between, at the least.
# Styles differ in how busy their sixteenths are; each bound sits about midway between what
# the songs measure at their tempo (rock 9-19, reggae 2.6-3.6, salsa 8.6-13, techno 1.7-8,
# ballad 5-7) and what they measure rendered twice as fast (at most 3.4, 1.7, 2.5, 1.2, 3.2).
SIXTEENTH_CONTRAST = {"rock": 5.0, "reggae": 2.1, "salsa": 5.0, "techno": 1.45, "ballad": 4.0}


@functools.cache
def _song(style: str, seed: int) -> tuple[SongSpec, np.ndarray]:
    """One shared rendering per (style, seed): the analyses below all reuse it."""
    spec = song_spec(seed, style)
    return spec, generate_song(spec, SECONDS, RATE)


# ------------------------------------------------------------------------------ analysis


def _onset_envelope(
    audio: np.ndarray, low: float = 40.0, high: float = RATE / 2, bands: int = 8
) -> np.ndarray:
    """Positive spectral flux of log band energies, one value per hop (>= 0)."""
    mono = audio.mean(axis=0)
    frames = sliding_window_view(np.pad(mono, N_FFT // 2), N_FFT)[::HOP]
    power = np.abs(np.fft.rfft(frames * np.hanning(N_FFT), axis=1)) ** 2
    freqs = np.fft.rfftfreq(N_FFT, 1 / RATE)
    edges = np.geomspace(low, high, bands + 1)
    energy = np.stack(
        [
            power[:, (freqs >= lo) & (freqs < hi)].sum(axis=1)
            for lo, hi in itertools.pairwise(edges)
        ],
        axis=1,
    )
    flux = np.maximum(np.diff(np.log1p(1e3 * energy), axis=0), 0.0).mean(axis=1)
    return np.concatenate([[0.0], flux])


def _autocorrelation(envelope: np.ndarray) -> np.ndarray:
    x = envelope - envelope.mean()
    spectrum = np.fft.rfft(x, 2 * len(x))
    r = np.fft.irfft(np.abs(spectrum) ** 2)[: len(x)]
    return r / r[0]


def _at(r: np.ndarray, lag: float) -> float:
    """Autocorrelation at a fractional lag (linear interpolation)."""
    i = int(lag)
    return float((1 - (lag - i)) * r[i] + (lag - i) * r[i + 1])


def _tempo_near(envelope: np.ndarray, bpm: float) -> float:
    """The tempo whose beat lags (1 to 4 beats) best match the envelope's periodicity.

    The search spans 0.8x to 1.25x the expected tempo. It deliberately stops short of half
    and double: the autocorrelation of any bar-periodic groove also peaks at two beats and,
    when beats are split in eighths, at half a beat. Which octave is the beat is checked
    separately, from where the onsets fall (`_pattern`).
    """
    r = _autocorrelation(envelope)
    candidates = np.arange(0.8 * bpm, 1.25 * bpm, 0.05)
    scores = [np.mean([_at(r, k * 60 / c * FPS) for k in (1, 2, 3, 4)]) for c in candidates]
    return float(candidates[int(np.argmax(scores))])


def _pattern(envelope: np.ndarray, bpm: float, bars: slice = slice(None)) -> np.ndarray:
    """Average onset strength at each of the 16 sixteenths of a bar (mean 1).

    Songs start on a downbeat at t = 0, so the grid is known; each slot takes the strongest
    onset within half a sixteenth of its time, which tolerates swing and humanisation.
    """
    step = 60 / bpm / 4 * FPS
    n = int((len(envelope) - step) / step) // 16 * 16
    slots = np.array(
        [
            envelope[max(0, round((i - 0.5) * step)) : round((i + 0.5) * step)].max()
            for i in range(n)
        ]
    )
    per_bar = slots.reshape(-1, 16)[bars]
    pattern = per_bar.mean(axis=0)
    return pattern / pattern.mean()


def _groove(style: str, seed: int, *band: float) -> np.ndarray:
    """The bar pattern of a shared song, optionally from one frequency band (low, high)."""
    spec, audio = _song(style, seed)
    envelope = _onset_envelope(audio, *band, 1) if band else _onset_envelope(audio)
    return _pattern(envelope, spec.bpm)


def _chroma(audio: np.ndarray) -> np.ndarray:
    """Spectral magnitude of the whole song folded onto the 12 pitch classes (0 = C)."""
    mono = audio.mean(axis=0)
    magnitude = np.abs(np.fft.rfft(mono))
    freqs = np.fft.rfftfreq(len(mono), 1 / RATE)
    keep = (freqs >= 40) & (freqs <= 2000)
    classes = np.round(12 * np.log2(freqs[keep] / 440) + 69).astype(int) % 12
    return np.bincount(classes, weights=magnitude[keep], minlength=12)


def _dbfs(audio: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(np.square(audio, dtype=np.float64)))))


# --------------------------------------------------------------------------------- specs


def test_song_spec_draws_every_style_in_its_tempo_range() -> None:
    specs = [song_spec(seed) for seed in range(60)]
    assert {s.style for s in specs} == set(STYLES)
    assert {s.minor for s in specs} == {True, False}
    assert len({s.key for s in specs}) >= 8
    for s in specs:
        lo, hi = TEMPI[s.style]
        assert lo <= s.bpm <= hi, s
        assert 0 <= s.key < 12
        assert s.progression and all(0 <= d < 7 for d in s.progression)
    assert song_spec(5) == song_spec(5)


def test_song_spec_honours_style_and_tempo() -> None:
    for style in STYLES:
        spec = song_spec(11, style)
        assert spec.style == style
        assert TEMPI[style][0] <= spec.bpm <= TEMPI[style][1]
    assert song_spec(11, "salsa", bpm=93.5).bpm == 93.5
    assert song_spec(11, "salsa", bpm=93.5).beats_per_bar == 4
    with pytest.raises(ValueError):
        song_spec(1, "polka")
    with pytest.raises(ValueError):
        SongSpec(style="rock", bpm=120, key=12, minor=False, seed=0)


# ------------------------------------------------------------------------------- signals


@pytest.mark.parametrize("style", STYLES)
def test_every_style_renders_stereo_within_headroom(style: str) -> None:
    _, audio = _song(style, 0)
    assert audio.shape == (2, round(SECONDS * RATE))
    assert audio.dtype == np.float32
    assert np.all(np.isfinite(audio))
    assert np.max(np.abs(audio)) <= 0.9
    assert -18.0 <= _dbfs(audio) <= -14.0, "loudness should be musical, around -16 dBFS"
    # Instruments are panned, so the channels differ but still belong together.
    left, right = audio
    assert 0.3 < np.corrcoef(left, right)[0, 1] < 0.99


@pytest.mark.parametrize(("seconds", "rate"), [(1.2345, 16000), (3.0, 44100), (0.0, 22050)])
def test_length_follows_seconds_and_rate(seconds: float, rate: int) -> None:
    audio = generate_song(song_spec(4, "rock"), seconds, rate)
    assert audio.shape == (2, round(seconds * rate))
    assert audio.dtype == np.float32
    if audio.size:
        assert 0.1 < np.max(np.abs(audio)) <= 0.9


def test_same_spec_same_audio_and_seeds_differ() -> None:
    spec = song_spec(21, "reggae")
    first = generate_song(spec, 4.0)
    assert np.array_equal(first, generate_song(spec, 4.0))
    assert np.array_equal(first, generate_song(song_spec(21, "reggae"), 4.0))
    other_seed = generate_song(dataclasses.replace(spec, seed=22), 4.0)
    assert not np.allclose(first, other_seed, atol=1e-3)
    other_style = generate_song(dataclasses.replace(spec, style="techno"), 4.0)
    assert not np.allclose(first, other_style, atol=1e-3)


# ---------------------------------------------------------------------------------- pulse


@pytest.mark.parametrize("style", STYLES)
def test_pulse_is_at_the_spec_tempo(style: str) -> None:
    for seed in SEEDS:
        spec, audio = _song(style, seed)
        envelope = _onset_envelope(audio)
        assert _tempo_near(envelope, spec.bpm) == pytest.approx(spec.bpm, rel=0.01), spec
        # The octave. At the right tempo onsets gather on the eighth-note grid and the
        # sixteenths between are weak; a song running twice as fast puts its offbeat eighths
        # there. Half time cannot be told this way (its sixteenths would be our thirty-
        # seconds, and they are empty anyway); test_styles_differ_in_groove catches it.
        pattern = _pattern(envelope, spec.bpm)
        contrast = pattern[0::2].mean() / pattern[1::2].mean()
        assert contrast > SIXTEENTH_CONTRAST[style], (spec, pattern.round(2))


def test_tempo_estimate_follows_the_spec() -> None:
    """The tempo check can tell songs apart that differ by only 8% in tempo."""
    base = song_spec(3, "rock")
    slow = dataclasses.replace(base, bpm=112.0)
    fast = dataclasses.replace(base, bpm=121.0)
    slow_tempo = _tempo_near(_onset_envelope(generate_song(slow, SECONDS)), 116.0)
    fast_tempo = _tempo_near(_onset_envelope(generate_song(fast, SECONDS)), 116.0)
    assert slow_tempo == pytest.approx(112.0, rel=0.01)
    assert fast_tempo == pytest.approx(121.0, rel=0.01)


def test_styles_differ_in_groove() -> None:
    """Reggae's one drop, techno's four on the floor: the grooves are told apart on the grid."""
    patterns = {style: [_groove(style, seed) for seed in SEEDS] for style in STYLES}
    for p in patterns["reggae"]:  # one drop: beat one left empty, everything lands on three
        assert p[0] < 0.8 and p[8] > 2.0 * p[0], p.round(2)
    for style in STYLES:
        if style != "reggae":  # every other style plays the downbeat
            for p in patterns[style]:
                assert p[0] > 1.0, (style, p.round(2))
    # Four on the floor: in the kick's band, techno hits every beat alike; reggae does not.
    kicks = {s: [_groove(s, seed, 30.0, 160.0) for seed in SEEDS] for s in ("techno", "reggae")}
    for p in kicks["techno"]:
        assert p[0::4].min() > 0.7 * p[0::4].max(), p.round(2)
    for p in kicks["reggae"]:
        assert p[0::4].min() < 0.5 * p[0::4].max(), p.round(2)

    def similarity(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.corrcoef(a[0::2], b[0::2])[0, 1])  # on the eighth-note grid

    reggae, techno = patterns["reggae"], patterns["techno"]
    within = similarity(reggae[0], reggae[1])
    across = np.mean([similarity(r, t) for r in reggae for t in techno])
    assert across < within - 0.3, (within, across)


@pytest.mark.parametrize("style", STYLES)
def test_bars_repeat_their_pattern(style: str) -> None:
    """Each bar's groove resembles the song's average bar: a pattern, not random hits."""
    spec, audio = _song(style, 0)
    envelope = _onset_envelope(audio)
    average = _pattern(envelope, spec.bpm)
    bars = len(envelope) // round(spec.bar_seconds * FPS)
    similarity = [
        np.corrcoef(_pattern(envelope, spec.bpm, slice(i, i + 1)), average)[0, 1]
        for i in range(bars - 1)
    ]
    assert np.median(similarity) > 0.8, np.round(similarity, 2)


# ---------------------------------------------------------------------------- spectrum


@pytest.mark.parametrize("style", STYLES)
def test_highs_are_present(style: str) -> None:
    for seed in SEEDS:
        _, audio = _song(style, seed)
        power = np.abs(np.fft.rfft(audio.mean(axis=0))) ** 2
        freqs = np.fft.rfftfreq(audio.shape[1], 1 / RATE)
        share = power[freqs > 3000].sum() / power.sum()
        assert 0.01 < share < 0.3, f"{style}: {share:.3%} of the energy above 3 kHz"


@pytest.mark.parametrize("style", STYLES)
def test_chroma_points_at_the_key(style: str) -> None:
    for seed in SEEDS:
        spec, audio = _song(style, seed)
        relative = 3 if spec.minor else 9  # tonic of the relative major / minor
        allowed = {spec.key, (spec.key + 7) % 12, (spec.key + relative) % 12}
        assert int(np.argmax(_chroma(audio))) in allowed, spec


def test_chroma_moves_with_the_key() -> None:
    spec = song_spec(2, "ballad")
    peaks = []
    for key in (0, 5):
        audio = generate_song(dataclasses.replace(spec, key=key), SECONDS)
        peaks.append((int(np.argmax(_chroma(audio))) - key) % 12)
    assert peaks[0] == peaks[1]
    assert peaks[0] in {0, 7, 3 if spec.minor else 9}


# ------------------------------------------------------------------------------- library


def test_write_library_writes_named_readable_flacs(tmp_path) -> None:
    paths = write_library(tmp_path / "songs", songs=6, seed=3, seconds=2.0)
    assert len(paths) == 6
    pattern = re.compile(r"^(\d{3})-([a-z]+)-(\d+)bpm\.flac$")
    styles = []
    for index, path in enumerate(paths):
        assert path.parent == tmp_path / "songs"
        match = pattern.match(path.name)
        assert match, path.name
        assert int(match[1]) == index
        style, bpm = match[2], int(match[3])
        assert style in STYLES
        assert TEMPI[style][0] <= bpm <= TEMPI[style][1]
        styles.append(style)
        audio, rate = sf.read(path, dtype="float32")
        assert rate == RATE
        assert audio.shape == (2 * RATE, 2)
        assert 0.1 < np.max(np.abs(audio)) <= 0.9 + 1 / 32768
    assert set(styles) == set(STYLES)
    again = write_library(tmp_path / "again", songs=2, seed=3, seconds=2.0)
    assert [p.name for p in again] == [p.name for p in paths[:2]]
    assert np.array_equal(sf.read(again[1])[0], sf.read(paths[1])[0])
    other = write_library(tmp_path / "other", songs=5, seed=4, seconds=2.0)
    assert [p.name for p in other] != [p.name for p in paths[:5]]

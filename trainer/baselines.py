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
- jukebox: the input's own beats rearranged (the "Infinite Jukebox"): each beat followed by
  its successor or, half the time, by the successor of a beat that sounds like it: full band,
  as clean as the clip, in time, and newer than a loop, with no network at all;
- truth: what really followed (the ceiling for most measures).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import librosa
import numpy as np

from segue.engine.finishing import smooth_seam
from segue.engine.loudness import SILENT_LUFS
from segue.engine.render import play_runs
from segue.engine.stereo import mid_side

from .metrics import BEATS_PER_BAR, ONSET_HOP, beat_period, loudness, mono, onset_envelope

DRONE_SECONDS = 2.0
DRONE_FFT = 2048
LOOP_CROSSFADE_S = 0.01
LOOP_FALLBACK_S = 2.0  # the length looped when no tempo is found
JUKEBOX_JUMP = 0.5  # the chance, at each beat, of jumping to a like beat's successor: on the
# held-out songs, a copy score of 0.68 against the loop's 0.73 (0.3: 0.79; 0.7: 0.61)
JUKEBOX_NEIGHBOURS = 3  # the jump (and the start) goes to one of this many likest beats
JUKEBOX_MIN_BEATS = 8  # fewer beats found than this: fixed segments instead
JUKEBOX_FALLBACK_S = 0.5  # their length
JUKEBOX_CROSSFADE_S = 0.008  # equal-power, centred on each jump
JUKEBOX_FEATURE_HOP = 512

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


def jukebox(before: np.ndarray, frames: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    """The input's beats, replayed in a new order (`jukebox_runs`), crossfaded at each jump,
    the join with the input smoothed as `segue continue` smooths a model's."""
    out = play_runs(
        before, jukebox_runs(before, frames, rate, rng), round(JUKEBOX_CROSSFADE_S * rate)
    )
    joined = smooth_seam(before, out, rate)
    return at_loudness(joined, before, rate)


def jukebox_runs(
    before: np.ndarray, frames: int, rate: int, rng: np.random.Generator
) -> list[tuple[int, int]]:
    """Which stretches of the input the jukebox plays, in order, `frames` in all: (start, end)
    sample by sample, each run a stretch of whole successive beats; a new run starts at each
    jump. The first starts where, in a beat most like the input's unfinished last one, that
    one stops; then each beat is followed by its successor or (JUKEBOX_JUMP, and always where
    it has none) by the successor of one of the JUKEBOX_NEIGHBOURS beats most like it, which
    are neither itself nor next to it. The beats are librosa's beat tracker's on the input's
    onset envelope at the loop's tempo; where it finds too few, fixed JUKEBOX_FALLBACK_S
    segments."""
    margin = round(JUKEBOX_CROSSFADE_S * rate)  # room for a crossfade on each side of a beat
    bounds = _beat_bounds(before, rate, margin)
    features = _beat_features(before, rate)
    hop = JUKEBOX_FEATURE_HOP

    def describe(start: int, end: int) -> np.ndarray:
        return features[:, start // hop : max(end // hop, start // hop + 1)].mean(axis=1)

    beats = np.stack([describe(a, b) for a, b in itertools.pairwise(bounds)])
    scale = beats.std(axis=0) + 1e-6
    beats = (beats - beats.mean(axis=0)) / scale
    # The input's unfinished last beat is matched, over the part of it heard, with the opening
    # of each earlier beat: the continuation starts at that point of one of the likest.
    count = len(bounds) - 1
    heard = before.shape[1] - bounds[-1]
    starts = bounds[:-1] + heard
    ends = bounds[np.minimum(np.searchsorted(bounds, starts, side="right"), count)]
    fits = ends - starts >= margin  # room for the first crossfade
    starts = starts[fits] if fits.any() else bounds[1:-1]  # else: from a beat, out of phase
    openings = np.stack([describe(start - heard, start) for start in starts])
    tail = describe(bounds[-1], before.shape[1])
    first = starts[_one_of_likest(np.linalg.norm((openings - tail) / scale, axis=1), rng)]
    current = int(np.searchsorted(bounds, first, side="right")) - 1
    runs = [[first, bounds[current + 1]]]
    played = runs[0][1] - runs[0][0]
    while played < frames:
        if current + 1 < count and rng.random() >= JUKEBOX_JUMP:
            current += 1
            runs[-1][1] = bounds[current + 1]
        else:
            likest = np.linalg.norm(beats[: count - 1] - beats[current], axis=1)
            likest[max(0, current - 1) : current + 2] = np.inf  # itself and its neighbours
            current = _one_of_likest(likest, rng) + 1
            runs.append([bounds[current], bounds[current + 1]])
        played += bounds[current + 1] - bounds[current]
    runs[-1][1] -= played - frames
    return [(start, end) for start, end in runs]


def _beat_bounds(before: np.ndarray, rate: int, margin: int) -> np.ndarray:
    """The input's beats (samples), `margin` clear of its ends (room for a crossfade), the
    last one less than a beat before its end (where the tracker stopped early, the grid goes on
    at the median beat); fixed segments, at least JUKEBOX_MIN_BEATS, where too few are found."""
    length = before.shape[1]
    period = beat_period(before, rate)  # the loop's tempo: one estimate for both
    beats = np.zeros(0, dtype=int)
    if period:
        envelope = onset_envelope(before, rate)
        _, beats = librosa.beat.beat_track(
            onset_envelope=envelope, sr=rate, hop_length=ONSET_HOP, bpm=60.0 / period
        )
        beats = beats * ONSET_HOP
        beats = beats[(beats >= margin) & (beats <= length - margin)]
        beats = beats[np.diff(beats, prepend=-length) >= 2 * margin]
    if len(beats) < JUKEBOX_MIN_BEATS:
        step = min(JUKEBOX_FALLBACK_S * rate, (length - 2 * margin) / JUKEBOX_MIN_BEATS)
        return np.round(np.arange(length - margin, margin - 1, -step)[::-1]).astype(int)
    period = int(np.median(np.diff(beats)))
    return np.concatenate([beats, np.arange(beats[-1] + period, length - margin + 1, period)])


def _beat_features(before: np.ndarray, rate: int) -> np.ndarray:
    """What a beat sounds like, frame by frame: its chroma (harmony) over its MFCCs (timbre)."""
    y = mono(before)
    hop = JUKEBOX_FEATURE_HOP
    chroma = librosa.feature.chroma_stft(y=y, sr=rate, hop_length=hop, tuning=0.0)
    mfcc = librosa.feature.mfcc(y=y, sr=rate, hop_length=hop, n_mfcc=13)
    return np.concatenate([chroma, mfcc])


def _one_of_likest(distances: np.ndarray, rng: np.random.Generator) -> int:
    """The index of one of the JUKEBOX_NEIGHBOURS smallest finite distances, drawn evenly."""
    order = np.argsort(distances)
    order = order[np.isfinite(distances[order])][:JUKEBOX_NEIGHBOURS]
    return int(rng.choice(order))


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


BASELINES: dict[str, Baseline] = {
    "silence": silence,
    "noise": noise,
    "drone": drone,
    "loop": loop,
    "jukebox": jukebox,
}
"""The baselines made from the input alone; `truth_of` adds the truth, per pair."""

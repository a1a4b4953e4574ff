"""How good a continuation is, in measures a musician would recognise, all phase-invariant.

A continuation is never expected to be the true one sample for sample (nobody can know the
phase of what comes next), so every measure compares spectra, envelopes or statistics, never
waveforms. Each is a pure function of float32 ``[channels, samples]`` arrays at one `rate`
(the prediction, the truth that really followed, the input that came before) and says in its
docstring what failure it catches. `MEASURES` is the one table of them: name, unit, and which
direction is better. librosa computes the mel spectrograms, onset envelopes, tempi and chroma.
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import combinations

import librosa
import numpy as np
import scipy.linalg

from segue.engine.audio import loudness_db
from segue.engine.loudness import SILENT_LUFS

FLOOR_DB = -80.0  # log spectra are floored here (dB re full scale): silence is -80, not -inf
MEL_RESOLUTIONS = ((2048, 80), (1024, 64), (512, 40))  # (FFT size, mel bands), hop = FFT / 4
FRAME_MELS = 32  # few bands, so that a few hundred frames fit a full covariance
FRAME_REGULARISER_DB2 = 0.1  # added to each covariance's diagonal (dB^2): keeps sqrtm stable
BEATS_PER_BAR = 4  # a bar: the lag a tempo is read at, the length the loop baseline loops
ONSET_HOP = 128  # onset envelope hop (5.8 ms at 22.05 kHz): fine enough for 1 % tempo
PULSE_LAGS_S = (0.2, 2.0)  # where a pulse is looked for: 30 to 300 beats per minute
PULSE_PRESENT = 0.2  # a pulse clarity below this is no pulse (noise: about 0.1; music: 0.3-0.9)
PULSE_FLOOR = 0.05  # added to both pulse clarities, so a pulseless truth does not divide by 0
CHROMA_FFT = 4096  # 5.4 Hz bins at 22.05 kHz: semitones apart from about 90 Hz up
HIGH_HZ = 3000.0  # "high frequencies" start here: presence, cymbals, air
HIGH_FLOOR = 1e-6  # -60 dB: the smallest high-frequency share told apart
BAND_HZ = 10000.0  # "the top of the band": what a 24 kHz model (12 kHz Nyquist) barely reaches
BAND_FLOOR = 1e-7  # the smallest share above BAND_HZ told apart (silence: not -inf)
FLATNESS_HZ = (100.0, 5000.0)  # where grain shows: notes' partials, not the air above them
FLATNESS_FRAME_S = 0.046  # FFT length, rounded to a power of two: 1024 at 22.05, 2048 at 44.1 kHz
SEAM_CONTEXT_S = 1.0  # audio each side of the join that the seam measure looks at
SEAM_FFT = 512
COPY_SEGMENT_S = 2.0  # stretches of the prediction matched against the input


# --------------------------------------------------------------------------- features

_MEMO: OrderedDict[tuple, object] = OrderedDict()
_MEMO_SIZE = 64


def _memoised(function: Callable) -> Callable:
    """Remember a feature of recent clips: the truth and the input are scored against many
    systems and variations, their features are computed once. Keyed by the samples' bytes."""

    @functools.wraps(function)
    def wrapper(samples: np.ndarray, rate: int, *args, **kwargs):
        data = np.ascontiguousarray(samples)
        digest = hashlib.blake2b(data.view(np.uint8), digest_size=16).digest()
        key = (function.__name__, digest, data.shape, data.dtype.str, rate, args)
        key += tuple(sorted(kwargs.items()))
        if key in _MEMO:
            _MEMO.move_to_end(key)
            return _MEMO[key]
        value = function(samples, rate, *args, **kwargs)
        if isinstance(value, np.ndarray):
            value.flags.writeable = False  # shared: nobody may change a remembered feature
        _MEMO[key] = value
        while len(_MEMO) > _MEMO_SIZE:
            _MEMO.popitem(last=False)
        return value

    return wrapper


def mono(samples: np.ndarray) -> np.ndarray:
    """The channels' mean, float32 1-D (what every spectral measure hears)."""
    samples = np.asarray(samples, dtype=np.float32)
    return samples if samples.ndim == 1 else samples.mean(axis=0)


@_memoised
def log_mel(
    samples: np.ndarray, rate: int, n_fft: int = 2048, n_mels: int = 64, hop: int | None = None
) -> np.ndarray:
    """Log-mel spectrogram in dB re full scale, floored at FLOOR_DB: [n_mels, frames].

    The STFT is divided by its window's sum so that the level does not depend on `n_fft`.
    """
    y = mono(samples)
    hop = hop or n_fft // 4
    spectrum = np.abs(librosa.stft(y, n_fft=n_fft, hop_length=hop)) / (n_fft / 2)
    mel = librosa.feature.melspectrogram(S=spectrum**2, sr=rate, n_mels=n_mels, norm=None)
    return librosa.power_to_db(mel, ref=1.0, amin=10.0 ** (FLOOR_DB / 10.0), top_db=None)


@_memoised
def onset_envelope(samples: np.ndarray, rate: int) -> np.ndarray:
    """librosa's onset strength (positive log-mel flux), one value every ONSET_HOP samples."""
    y = mono(samples)
    if not np.any(y):
        return np.zeros(1 + len(y) // ONSET_HOP, dtype=np.float32)
    return librosa.onset.onset_strength(y=y, sr=rate, hop_length=ONSET_HOP)


def _autocorrelation(envelope: np.ndarray) -> np.ndarray:
    centred = envelope - envelope.mean()
    return librosa.autocorrelate(centred)


@_memoised
def beat_period(samples: np.ndarray, rate: int, beats: int = 1) -> float | None:
    """Seconds per `beats` beats: librosa's tempo of the onset envelope, refined to the
    autocorrelation peak nearest that many beats (parabolic interpolation). None when there
    are no onsets at all (silence)."""
    envelope = onset_envelope(samples, rate)
    if not np.any(envelope > 0):
        return None
    bpm = float(librosa.feature.tempo(onset_envelope=envelope, sr=rate, hop_length=ONSET_HOP)[0])
    if not bpm > 0:
        return None
    ac = _autocorrelation(envelope)
    guess = beats * 60.0 * rate / (ONSET_HOP * bpm)
    low, high = max(1, math.floor(guess * 0.95) - 1), math.ceil(guess * 1.05) + 1
    if high >= len(ac) - 1:
        return beats * 60.0 / bpm
    lag = low + int(np.argmax(ac[low : high + 1]))
    a, b, c = ac[lag - 1], ac[lag], ac[lag + 1]
    bend = a - 2 * b + c
    offset = 0.5 * (a - c) / bend if bend < 0 else 0.0
    return (lag + float(np.clip(offset, -0.5, 0.5))) * ONSET_HOP / rate


def tempo_bpm(samples: np.ndarray, rate: int) -> float | None:
    """Beats per minute of the onset envelope (None for silence), read off the peak a bar of
    BEATS_PER_BAR beats away: a peak's place is read to a fraction of a frame either way, so a
    bar's lag reads the beat four times as precisely as a beat's. Read at one beat, the real
    continuations of held-out songs, sequenced at one tempo throughout, were 0.12 % off their
    inputs (median; up to 0.5 %), as far as any system; read at a bar, 0.01 %."""
    period = beat_period(samples, rate, BEATS_PER_BAR)
    return None if period is None else 60.0 * BEATS_PER_BAR / period


@_memoised
def pulse_clarity(samples: np.ndarray, rate: int) -> float:
    """How strongly the onsets repeat: the highest normalised autocorrelation of the onset
    envelope at a lag of 0.2 to 2 s (about 0 for noise or a drone, 0.3 to 0.9 for a beat)."""
    envelope = onset_envelope(samples, rate)
    ac = _autocorrelation(envelope)
    if ac[0] <= 0:
        return 0.0
    low, high = (round(s * rate / ONSET_HOP) for s in PULSE_LAGS_S)
    part = ac[low : min(high, len(ac) - 1) + 1]
    return float(max(0.0, part.max() / ac[0])) if len(part) else 0.0


@_memoised
def high_share(
    samples: np.ndarray, rate: int, hz: float = HIGH_HZ, floor: float = HIGH_FLOOR
) -> float:
    """The share of the power above `hz` (floored at `floor`)."""
    y = mono(samples)
    power = np.abs(librosa.stft(y, n_fft=2048, hop_length=512)) ** 2
    frequencies = librosa.fft_frequencies(sr=rate, n_fft=2048)
    total = float(power.sum())
    if total <= 0:
        return floor
    return max(floor, float(power[frequencies >= hz].sum()) / total)


@_memoised
def flatness_db(samples: np.ndarray, rate: int) -> float:
    """How noise-like the sound is: the median over frames of the spectral flatness (geometric
    over arithmetic mean of the power, in dB) between 100 Hz and 5 kHz. 0 dB is white noise;
    notes, whose partials stand far above what lies between them, are well below (real music:
    -13 to -25 dB; noise shaped to its spectrum, 3 to 5 dB above that). The FFT spans the same
    time (FLATNESS_FRAME_S) at every rate, so the figure means the same at 22.05 and at
    48 kHz; power is floored at FLOOR_DB."""
    n_fft = 2 ** round(math.log2(FLATNESS_FRAME_S * rate))
    spectrum = np.abs(librosa.stft(mono(samples), n_fft=n_fft, hop_length=n_fft // 4))
    frequencies = librosa.fft_frequencies(sr=rate, n_fft=n_fft)
    band = (frequencies >= FLATNESS_HZ[0]) & (frequencies <= FLATNESS_HZ[1])
    flatness = librosa.feature.spectral_flatness(
        S=spectrum[band] / (n_fft / 2), power=2.0, amin=10.0 ** (FLOOR_DB / 10.0)
    )
    return float(10.0 * np.log10(np.median(flatness)))


@_memoised
def harmony(samples: np.ndarray, rate: int) -> np.ndarray:
    """Which pitch classes stand out: the power of each of the 12 (librosa's chroma filters,
    A440 tuning for every clip) as a share of all twelve, averaged over the clip, divided by
    the share white noise would give it, and mean-removed: about zero for noise, zero for
    silence."""
    y = mono(samples)
    if not np.any(y):
        return np.zeros(12)
    filters = librosa.filters.chroma(sr=rate, n_fft=CHROMA_FFT, tuning=0.0)
    power = np.abs(librosa.stft(y, n_fft=CHROMA_FFT, hop_length=CHROMA_FFT // 4)) ** 2
    chroma = filters @ power  # [12, frames]
    shares = chroma / np.maximum(chroma.sum(axis=0, keepdims=True), 1e-20)
    flat = filters.sum(axis=1) / filters.sum()
    relative = shares.mean(axis=1) / flat
    return relative - relative.mean()


@_memoised
def loudness(samples: np.ndarray, rate: int) -> float:
    """Integrated loudness (LUFS, BS.1770), silence counted as SILENT_LUFS."""
    value = loudness_db(samples, rate)
    return max(SILENT_LUFS, value) if math.isfinite(value) else SILENT_LUFS


# --------------------------------------------------------------------------- measures


def log_mel_distance(prediction: np.ndarray, truth: np.ndarray, rate: int) -> float:
    """How close to the truth, frame by frame: the mean absolute difference (dB) of log-mel
    spectrograms at three resolutions (2048/1024/512-point FFTs). Catches everything that
    differs, so it rewards the average of all futures (a blur) more than any one plausible
    future: read it with the frame and pulse measures."""
    distances = []
    for n_fft, n_mels in MEL_RESOLUTIONS:
        a, b = log_mel(prediction, rate, n_fft, n_mels), log_mel(truth, rate, n_fft, n_mels)
        frames = min(a.shape[1], b.shape[1])
        distances.append(float(np.mean(np.abs(a[:, :frames] - b[:, :frames]))))
    return float(np.mean(distances))


def frame_distance(prediction: np.ndarray, truth: np.ndarray, rate: int) -> float:
    """Are the prediction's sounds like the truth's, in any order: the Fréchet distance
    between Gaussians fitted to the log-mel frames (32 bands) of each, as sqrt(FD / bands),
    a dB-like number. A drone or a blur, whose frames barely change while the truth's move
    with every note and hit, cannot pass it; nor can the wrong timbre."""
    a = log_mel(prediction, rate, 2048, FRAME_MELS).T
    b = log_mel(truth, rate, 2048, FRAME_MELS).T
    regulariser = FRAME_REGULARISER_DB2 * np.eye(FRAME_MELS)
    mean_a, mean_b = a.mean(axis=0), b.mean(axis=0)
    cov_a = np.cov(a, rowvar=False) + regulariser
    cov_b = np.cov(b, rowvar=False) + regulariser
    root = scipy.linalg.sqrtm(cov_a @ cov_b)
    root = np.real(root)
    fd = float(np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a + cov_b - 2.0 * root))
    return math.sqrt(max(fd, 0.0) / FRAME_MELS)


def fold_octaves(ratio: float) -> float:
    """A tempo ratio folded by factors of 2 into [1/sqrt(2), sqrt(2)]: half or double time
    is the same pulse."""
    return 2.0 ** (math.log2(ratio) - round(math.log2(ratio)))


MAX_TEMPO_ERROR = 100.0 * (math.sqrt(2.0) - 1.0)  # the worst a folded ratio can be: 41.4 %


def tempo_error(prediction: np.ndarray, before: np.ndarray, rate: int) -> float:
    """Does the continuation keep the input's tempo: the relative difference (%) between the
    tempo of the prediction's onsets and the input's, half and double time folded together.
    A tempo is only read where there is a pulse (clarity of at least PULSE_PRESENT; without
    one, librosa's estimate is its prior's 120 bpm): a continuation without one scores the
    worst possible, 41.4 %; an input without one has no tempo to keep, and gives NaN (the pair
    is then left out of this measure)."""
    if pulse_clarity(before, rate) < PULSE_PRESENT:
        return math.nan
    played = tempo_bpm(prediction, rate)
    if played is None or pulse_clarity(prediction, rate) < PULSE_PRESENT:
        return MAX_TEMPO_ERROR
    return 100.0 * abs(fold_octaves(played / tempo_bpm(before, rate)) - 1.0)


def pulse_error(prediction: np.ndarray, truth: np.ndarray, rate: int) -> float:
    """Is there a beat as strong as the truth's: |log2| of the ratio of pulse clarities
    (onset-envelope autocorrelation peak, each plus PULSE_FLOOR), prediction to truth.
    0 is as pulsed as the truth, 1 half (or twice) as pulsed. A drone or noise has none."""
    ratio = (pulse_clarity(prediction, rate) + PULSE_FLOOR) / (
        pulse_clarity(truth, rate) + PULSE_FLOOR
    )
    return abs(math.log2(ratio))


def high_frequency_error(prediction: np.ndarray, truth: np.ndarray, rate: int) -> float:
    """Is it muffled (or harsh): |difference| in dB between the share of power above 3 kHz
    in the prediction and in the truth."""
    return abs(10.0 * math.log10(high_share(prediction, rate) / high_share(truth, rate)))


def band_error(prediction: np.ndarray, truth: np.ndarray, rate: int) -> float:
    """Does it reach the top of the band: |difference| in decades between the shares of power
    above 10 kHz of the prediction and the truth, at the song's own rate. A model that
    makes 24 kHz audio stops dead at 12 kHz, where a 44.1 kHz song still has cymbals and air
    to 16-20 kHz; at 22.05 kHz (the other measures' rate) nobody would hear the difference."""
    return abs(
        math.log10(high_share(prediction, rate, BAND_HZ, BAND_FLOOR))
        - math.log10(high_share(truth, rate, BAND_HZ, BAND_FLOOR))
    )


def flatness_error(prediction: np.ndarray, truth: np.ndarray, rate: int) -> float:
    """Is it as clean as the truth: |difference| in dB of the median spectral flatness over
    100 Hz-5 kHz (`flatness_db`), at the song's own rate. Grainy, noisy output is flatter
    than music (noise shaped to the clip's spectrum: several dB); so is silence. Absolute, so
    that a grainy pair and an over-tonal one cannot cancel in the mean over pairs."""
    return abs(flatness_db(prediction, rate) - flatness_db(truth, rate))


def chroma_similarity(prediction: np.ndarray, truth: np.ndarray, rate: int) -> float:
    """Same harmony: the cosine between the mean-removed mean chromas (pitch-class profiles)
    of prediction and truth. 1 is the same chords and key, a transposed copy scores lower,
    noise (no pitch class stands out) about 0 on average, silence exactly 0."""
    a, b = harmony(prediction, rate), harmony(truth, rate)
    norm = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(a @ b) / norm if norm > 1e-12 else 0.0


def loudness_difference(prediction: np.ndarray, truth: np.ndarray, rate: int) -> float:
    """As loud as the truth: |LUFS(prediction) - LUFS(truth)| in dB (LU). Scored at the song's
    rate, where every system's loudness was matched: white noise brought there to the input's
    loudness loses half its power, and 3 LU, when resampled to 22.05 kHz."""
    return abs(loudness(prediction, rate) - loudness(truth, rate))


def seam_jump(prediction: np.ndarray, before: np.ndarray, rate: int) -> float:
    """Is there a click or a jolt at the join: the biggest log-mel flux (mean |change| in dB
    between consecutive short frames, 512-point FFT) across the join of input and prediction,
    divided by the input's own 95th-percentile flux over its last second. About 1 or below
    for a seamless join; a click, a gap or a sudden change of sound scores several times that."""
    context = round(SEAM_CONTEXT_S * rate)
    head, tail = mono(before)[-context:], mono(prediction)[:context]
    hop = SEAM_FFT // 4
    spectrum = log_mel(np.concatenate([head, tail]), rate, SEAM_FFT, 40, hop)
    flux = np.abs(np.diff(spectrum, axis=1)).mean(axis=0)  # flux[t]: frame t to t + 1
    centres = np.arange(1, spectrum.shape[1]) * hop  # the later frame's centre sample
    seam = len(head)
    near = np.abs(centres - seam) <= SEAM_FFT // 2 + hop
    inside = centres + SEAM_FFT // 2 < seam
    if not near.any() or not inside.any():
        return 0.0
    typical = max(float(np.percentile(flux[inside], 95)), 1e-3)
    return float(flux[near].max()) / typical


def copy_score(prediction: np.ndarray, before: np.ndarray, rate: int) -> float:
    """How much of the continuation is a copy of the input: each 2-s stretch of the
    prediction's log-mel (each band's mean over the stretch removed, so only its movement in
    time counts) is correlated with every equally long stretch of the input's; the score is the
    mean over stretches of the best correlation. A loop scores near 1, new material lower,
    noise near 0. Music repeats itself, so the truth's own score is the reference."""
    hop = 512
    a, b = log_mel(prediction, rate, 2048, 64, hop), log_mel(before, rate, 2048, 64, hop)
    length = min(round(COPY_SEGMENT_S * rate / hop), a.shape[1], b.shape[1])
    if length < 2:
        return 0.0
    candidates = _normalised_patches(np.lib.stride_tricks.sliding_window_view(b, length, axis=1))
    starts = range(0, a.shape[1] - length + 1, max(1, length // 2))
    stretches = _normalised_patches(np.stack([a[:, s : s + length] for s in starts], axis=1))
    best = (stretches @ candidates.T).max(axis=1)
    return float(best.mean())


def _normalised_patches(patches: np.ndarray) -> np.ndarray:
    """[bands, n, length] -> [n, bands*length], each band's mean removed, unit norm (or 0)."""
    centred = patches - patches.mean(axis=-1, keepdims=True)
    flat = centred.transpose(1, 0, 2).reshape(centred.shape[1], -1)
    norms = np.linalg.norm(flat, axis=1, keepdims=True)
    return np.divide(flat, norms, out=np.zeros_like(flat), where=norms > 1e-9)


def variation_spread(
    variations: Sequence[np.ndarray], truth: np.ndarray, rate: int
) -> tuple[float, float]:
    """How different K variations are from each other: (the mean pairwise log-mel distance
    between them, in dB; that divided by their mean log-mel distance to the truth). For a
    model that draws from the real spread of futures the ratio is near 1 (the truth is one more
    draw); a model that plays the same thing every time scores 0."""
    if len(variations) < 2:
        raise ValueError("the spread of variations needs two or more")
    spread = np.mean(
        [log_mel_distance(a, b, rate) for a, b in combinations(variations, 2)], dtype=float
    )
    to_truth = np.mean([log_mel_distance(v, truth, rate) for v in variations], dtype=float)
    return float(spread), float(spread / to_truth) if to_truth > 0 else 0.0


# --------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class Case:
    """One continuation to score: what came before, what really followed, what was played."""

    before: np.ndarray
    truth: np.ndarray
    prediction: np.ndarray
    rate: int


@dataclass(frozen=True)
class Measure:
    name: str  # the key in JSON
    label: str  # the table's column
    unit: str
    better: str  # "lower", "higher", or "truth" (closest to the truth's own score)
    function: Callable[[np.ndarray, np.ndarray, int], float] | None  # (prediction, reference)
    reference: str  # "truth" or "before": what the prediction is compared with
    what: str  # one line: what it catches
    native: bool = False  # scored at the song's own rate (as played), not at one for all

    @property
    def arrow(self) -> str:
        return {"lower": "↓", "higher": "↑", "truth": "≈T"}[self.better]

    @property
    def per_continuation(self) -> bool:
        """False for the measures of K variations together (`variation_spread`)."""
        return self.function is not None

    def score(self, case: Case) -> float:
        return float(self.function(case.prediction, getattr(case, self.reference), case.rate))


MEASURES: tuple[Measure, ...] = (
    Measure("mel_distance", "mel", "dB", "lower", log_mel_distance, "truth",
            "log-mel distance to the truth (3 resolutions)"),
    Measure("frame_distance", "frames", "dB", "lower", frame_distance, "truth",
            "Fréchet distance of log-mel frame statistics: drones and blur fail"),
    Measure("tempo_error", "tempo", "%", "lower", tempo_error, "before",
            "tempo off the input's, half/double time folded"),
    Measure("pulse_error", "pulse", "oct", "lower", pulse_error, "truth",
            "|log2| of pulse clarity relative to the truth's: no beat fails"),
    Measure("high_frequency_error", "highs", "dB", "lower", high_frequency_error, "truth",
            "share of power above 3 kHz vs the truth's: muffled output fails"),
    Measure("band_error", "band", "dec", "lower", band_error, "truth",
            "share of power above 10 kHz vs the truth's, at the song's rate", native=True),
    Measure("flatness_error", "flatness", "dB", "lower", flatness_error, "truth",
            "spectral flatness (100 Hz-5 kHz) vs the truth's, at the song's rate: grain",
            native=True),
    Measure("chroma_similarity", "chroma", "cos", "higher", chroma_similarity, "truth",
            "harmony (mean-removed chroma) like the truth's"),
    Measure("loudness_difference", "loud", "LU", "lower", loudness_difference, "truth",
            "|loudness - the truth's|, at the song's rate (where it was matched)", native=True),
    Measure("seam_jump", "seam", "x", "lower", seam_jump, "before",
            "spectral jump at the join, in units of the input's own flux"),
    Measure("copy_score", "copy", "corr", "truth", copy_score, "before",
            "how much is a copy of the input (the truth's score is the target)"),
    Measure("variation_spread", "spread", "dB", "higher", None, "truth",
            "mean log-mel distance between variations"),
    Measure("spread_ratio", "spread/T", "", "higher", None, "truth",
            "that spread over the variations' distance to the truth (about 1 is ideal)"),
)  # fmt: skip


def score_case(case: Case, native: Case | None = None) -> dict[str, float]:
    """Every per-continuation measure of one case; the `native` measures score `native`, the
    same continuation at the song's own rate, where one is given."""
    return {
        m.name: m.score(native if m.native and native is not None else case)
        for m in MEASURES
        if m.per_continuation
    }

"""What happens to a continuation once it is rendered, as ordered lists of small steps.

Each step takes samples ([channels, frames]) and the clip's current section (what they are
matched to) and returns samples; `finished` runs a list in order. The decoder's windows get
`DECODED`: no DC, the clip's stereo image, its tonal balance, its loudness; a continuation
played from the clip's own beats gets `PLAYED`: a gentle tone match and the loudness. Either
way the end is the same two steps: joined to the clip without a click (`smooth_seam`), and
kept under full scale (`soft_clip_peaks`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .audio import loudness_db
from .loudness import SILENT_LUFS
from .stereo import match_width, width_profile
from .tone import match_tone, power_spectrum

SEAM_SECONDS = 0.004  # the time over which a step at the join decays away
SEAM_DECAYS = 25  # time constants after which the rest of the step (e^-25) is below 1e-10
MAX_GAIN_DB = 30.0
SOFT_CLIP_KNEE = 0.9  # -0.9 dBFS: where peaks start to bend
CLIP_TONE_DB = 3.0  # the bound of the matching EQ on a continuation played from the clip: the
# clip's pitches are its own already, but an arrangement of some of its bars leans to their
# notes; a gentle EQ to the whole section's spectrum gives back its harmony (held-out pairs:
# chroma 0.80 -> 0.88; 18 dB, the decoder's bound, 0.90 at more grain, flatness 0.4 -> 0.8 dB)
CLIP_TONE_PASSES = (1 / 12,)  # the semitone pass alone: the clip's tilt is its own already


@dataclass(frozen=True)
class Section:
    """The clip's current section, as a continuation is matched to it: its loudness (LUFS),
    power spectrum (`tone.power_spectrum`) and, for the decoder, its stereo image."""

    rate: int
    loudness_db: float
    tone: np.ndarray
    width: np.ndarray | None = None

    @classmethod
    def of(cls, samples: np.ndarray, rate: int, image: bool = False) -> Section:
        width = width_profile(samples, rate) if image else None
        return cls(rate, loudness_db(samples, rate), power_spectrum(samples), width)


Step = Callable[[np.ndarray, Section], np.ndarray]


def without_dc(samples: np.ndarray, section: Section) -> np.ndarray:
    """A decoder's window can sit off zero; a DAW clip does not."""
    return samples - samples.mean(axis=-1, keepdims=True)


def with_image(samples: np.ndarray, section: Section) -> np.ndarray:
    """The clip's stereo width, band by band (`stereo.match_width`)."""
    return match_width(samples, section.width, section.rate)


def with_tone(samples: np.ndarray, section: Section) -> np.ndarray:
    """The clip's tonal balance and pitches (`tone.match_tone`, its full bound)."""
    return match_tone(samples, section.tone, section.rate)


def with_gentle_tone(samples: np.ndarray, section: Section) -> np.ndarray:
    """The section's harmony given back to an arrangement of some of its bars: at most
    CLIP_TONE_DB, semitone by semitone."""
    return match_tone(samples, section.tone, section.rate, CLIP_TONE_DB, CLIP_TONE_PASSES)


def with_loudness(samples: np.ndarray, section: Section) -> np.ndarray:
    """The section's loudness (BS.1770), at most MAX_GAIN_DB louder; silence for a silent
    section."""
    if section.loudness_db < SILENT_LUFS:
        return np.zeros_like(samples)
    current = loudness_db(samples, section.rate)
    if not math.isfinite(current) or current < SILENT_LUFS:
        return samples
    gain_db = min(section.loudness_db - current, MAX_GAIN_DB)
    return samples * np.float32(10.0 ** (gain_db / 20.0))


DECODED: tuple[Step, ...] = (without_dc, with_image, with_tone, with_loudness)
PLAYED: tuple[Step, ...] = (with_gentle_tone, with_loudness)


def finished(
    samples: np.ndarray,
    section: Section,
    steps: Sequence[Step],
    after_each: Callable[[], None] | None = None,
) -> np.ndarray:
    """`samples` through `steps`, in order; `after_each` is told after each step."""
    for step in steps:
        samples = step(samples, section)
        if after_each is not None:
            after_each()
    return samples


def smooth_seam(before: np.ndarray, after: np.ndarray, rate: int) -> np.ndarray:
    """Remove the step at a join: the output starts where the audio before it was heading.

    The difference between the first output sample and the linear extrapolation of the last two
    samples before it is subtracted with an exponential decay of a few milliseconds, so the
    join has no click and the continuation is otherwise untouched.
    """
    last, slope = before[..., -1], before[..., -1] - before[..., -2]
    step = (last + slope) - after[..., 0]
    reach = min(after.shape[-1], math.ceil(SEAM_DECAYS * SEAM_SECONDS * rate))
    decay = np.exp(-np.arange(reach) / (SEAM_SECONDS * rate)).astype(np.float32)
    out = after.copy()
    out[..., :reach] += step[..., None] * decay
    return out


def soft_clip_peaks(samples: np.ndarray, knee: float = SOFT_CLIP_KNEE) -> np.ndarray:
    """Keep the output under full scale without turning it down: samples below the knee are
    untouched, the few peaks above it bend smoothly toward 1.0 (a tanh soft clipper), so the
    matched loudness survives a continuation with sharper transients than its clip."""
    magnitude = np.abs(samples)
    over = magnitude > knee
    if not over.any():
        return samples
    headroom = 1.0 - knee
    bent = knee + headroom * np.tanh((magnitude[over] - knee) / headroom)
    out = samples.copy()
    out[over] = np.sign(samples[over]) * bent
    return out

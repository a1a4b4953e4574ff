"""The matching EQ that gives each predicted window the clip's tone and pitches."""

from __future__ import annotations

import numpy as np
from helpers import procedural_clip

from segue.engine.tone import MAX_TONE_DB, TONE_FFT, match_tone, power_spectrum, smoothed
from segue.trainer.metrics import chroma_similarity

RATE = 24_000
THIRD_OCTAVE = 1 / 3


def _low_passed(samples: np.ndarray, corner_hz: float) -> np.ndarray:
    """A dull copy: first-order low pass, in the frequency domain."""
    spectrum = np.fft.rfft(samples, axis=-1)
    frequencies = np.fft.rfftfreq(samples.shape[-1], 1.0 / RATE)
    return np.fft.irfft(spectrum / (1 + 1j * frequencies / corner_hz), n=samples.shape[-1])


def _balance_db(samples: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Third-octave-smoothed level per bin against the reference's, in dB."""
    own = smoothed(power_spectrum(samples), RATE, THIRD_OCTAVE)
    return 10 * np.log10(own / smoothed(reference, RATE, THIRD_OCTAVE))


def test_a_window_with_the_clips_spectrum_is_left_as_it_is() -> None:
    clip = procedural_clip(6.0, RATE).astype(np.float32)
    assert np.allclose(match_tone(clip, power_spectrum(clip), RATE), clip, atol=1e-5)


def test_a_dull_window_gets_its_highs_back_within_the_bound() -> None:
    clip = procedural_clip(8.0, RATE, "rock").astype(np.float32)
    reference = power_spectrum(clip)
    dull = _low_passed(clip, 2000.0).astype(np.float32)
    before = _balance_db(dull, reference)
    after = _balance_db(match_tone(dull, reference, RATE), reference)
    top = np.fft.rfftfreq(TONE_FFT, 1.0 / RATE) > 8000
    assert before[top].max() < -10  # everything above 8 kHz was more than 10 dB down
    fixable = before > -MAX_TONE_DB + 2
    assert np.abs(after[fixable]).max() < 1.5  # within 1.5 dB where the bound allows
    assert np.all(after[~fixable] > before[~fixable] + MAX_TONE_DB - 2)  # the rest: moved
    assert np.all(np.isfinite(match_tone(np.zeros_like(clip), reference, RATE)))


def test_a_blurred_window_gets_the_clips_notes_back() -> None:
    """Noise with the clip's third-octave balance (a prediction whose peaks are smeared, at its own
    level) has little of its harmony; the fine pass carves the clip's pitches back into it."""
    clip = procedural_clip(8.0, RATE, "salsa").astype(np.float32)
    reference = power_spectrum(clip)
    coarse = smoothed(reference, RATE, THIRD_OCTAVE)
    white = np.fft.rfft(np.random.default_rng(0).standard_normal((2, clip.shape[1])), axis=-1)
    frequencies = np.fft.rfftfreq(clip.shape[1], 1.0 / RATE)
    shape = np.sqrt(np.interp(frequencies, np.fft.rfftfreq(TONE_FFT, 1.0 / RATE), coarse))
    blurred = np.fft.irfft(white * shape, n=clip.shape[1]).astype(np.float32)
    before = chroma_similarity(blurred, clip, RATE)
    after = chroma_similarity(match_tone(blurred, reference, RATE), clip, RATE)
    assert before < 0.5 < 0.8 < after, (before, after)

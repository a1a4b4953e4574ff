"""The matching EQ that gives each predicted window the clip's tonal balance."""

from __future__ import annotations

import numpy as np
from conftest import procedural_clip

from segue.engine.tone import MAX_TONE_DB, band_powers, match_tone

RATE = 24_000


def _low_passed(samples: np.ndarray, corner_hz: float) -> np.ndarray:
    """A dull copy: first-order low pass, in the frequency domain."""
    spectrum = np.fft.rfft(samples, axis=-1)
    frequencies = np.fft.rfftfreq(samples.shape[-1], 1.0 / RATE)
    return np.fft.irfft(spectrum / (1 + 1j * frequencies / corner_hz), n=samples.shape[-1])


def test_a_window_with_the_clips_balance_is_left_as_it_is() -> None:
    clip = procedural_clip(6.0, RATE).astype(np.float32)
    assert np.allclose(match_tone(clip, band_powers(clip, RATE), RATE), clip, atol=1e-5)


def test_a_dull_window_gets_its_highs_back_within_the_bound() -> None:
    clip = procedural_clip(8.0, RATE, "rock").astype(np.float32)
    reference = band_powers(clip, RATE)
    dull = _low_passed(clip, 2000.0).astype(np.float32)
    before = 10 * np.log10(band_powers(dull, RATE) / reference)
    after = 10 * np.log10(band_powers(match_tone(dull, reference, RATE), RATE) / reference)
    assert before[-3:].max() < -10  # the top bands were more than 10 dB down
    fixable = before > -MAX_TONE_DB + 2
    assert np.abs(after[fixable]).max() < 1.5  # within 1.5 dB where the bound allows
    assert np.all(after[~fixable] > before[~fixable] + MAX_TONE_DB - 2)  # the rest: moved
    assert np.all(np.isfinite(match_tone(np.zeros_like(clip), reference, RATE)))

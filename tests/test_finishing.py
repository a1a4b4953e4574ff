"""Each step that finishes a continuation, alone: real signals in, the one thing it promises out."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import procedural_clip

from segue.engine.audio import loudness_db
from segue.engine.finishing import (
    CLIP_TONE_DB,
    DECODED,
    MAX_GAIN_DB,
    PLAYED,
    SOFT_CLIP_KNEE,
    Section,
    finished,
    smooth_seam,
    soft_clip_peaks,
    with_gentle_tone,
    with_loudness,
    without_dc,
)
from segue.engine.tone import power_spectrum

RATE = 44100


@pytest.fixture(scope="module")
def clip() -> np.ndarray:
    return procedural_clip(6.0, RATE, "rock", seed=2)


def test_without_dc_centres_each_channel_and_keeps_the_rest(clip: np.ndarray) -> None:
    offset = clip + np.array([[0.2], [-0.1]], dtype=np.float32)
    centred = without_dc(offset, Section.of(clip, RATE))
    assert np.abs(centred.mean(axis=-1)).max() < 1e-6
    assert np.allclose(centred, clip - clip.mean(axis=-1, keepdims=True), atol=1e-6)


def test_with_loudness_brings_a_take_to_the_sections_level(clip: np.ndarray) -> None:
    section = Section.of(clip, RATE)
    quiet = clip * np.float32(10 ** (-12 / 20))
    assert loudness_db(with_loudness(quiet, section), RATE) == pytest.approx(
        section.loudness_db, abs=0.05
    )
    whisper = clip * np.float32(10 ** (-(MAX_GAIN_DB + 10) / 20))  # never more than 30 dB up
    raised = loudness_db(with_loudness(whisper, section), RATE)
    assert raised == pytest.approx(section.loudness_db - 10, abs=0.1)
    silent = Section.of(np.zeros_like(clip), RATE)
    assert not with_loudness(clip, silent).any()  # a silent section is answered with silence


def test_the_gentle_tone_match_moves_no_band_by_more_than_its_bound(clip: np.ndarray) -> None:
    """Matched to another song's section, an arrangement's spectrum moves toward it, and no
    band by more than CLIP_TONE_DB."""
    other = Section.of(procedural_clip(6.0, RATE, "ballad", seed=4), RATE)
    matched = with_gentle_tone(clip, other)
    change = 10 * np.log10((power_spectrum(matched) + 1e-12) / (power_spectrum(clip) + 1e-12))
    heard = power_spectrum(clip) > power_spectrum(clip).max() * 1e-6
    assert np.abs(change[heard]).max() <= CLIP_TONE_DB + 0.5
    assert np.abs(change[heard]).max() > 1.0  # and it did move


def test_the_steps_run_in_their_order_and_tell_each(clip: np.ndarray) -> None:
    told: list[int] = []
    section = Section.of(clip, RATE, image=True)
    out = finished(clip, section, DECODED, lambda: told.append(len(told)))
    assert told == list(range(len(DECODED)))
    by_hand = clip
    for step in DECODED:
        by_hand = step(by_hand, section)
    assert np.array_equal(out, by_hand)
    assert [step.__name__ for step in PLAYED] == ["with_gentle_tone", "with_loudness"]


def test_the_seam_continues_where_the_clip_was_heading_and_fades_out(clip: np.ndarray) -> None:
    before, after = clip[:, : 3 * RATE], clip[:, 3 * RATE :] + np.float32(0.3)  # a 0.3 jump
    joined = smooth_seam(before, after, RATE)
    heading = 2 * before[:, -1] - before[:, -2]
    assert np.allclose(joined[:, 0], heading, atol=1e-6)
    assert np.array_equal(joined[:, RATE:], after[:, RATE:])  # untouched after a few ms


def test_soft_clipping_bends_only_the_peaks() -> None:
    ramp = np.linspace(-1.6, 1.6, 10_001, dtype=np.float32)[None]
    bent = soft_clip_peaks(ramp)
    assert np.abs(bent).max() < 1.0
    under = np.abs(ramp) <= SOFT_CLIP_KNEE
    assert np.array_equal(bent[under], ramp[under])
    assert np.all(np.diff(bent[0]) >= 0)  # never folds back
    near = np.abs(ramp[0, 1:]) < 1.1
    assert np.all(np.diff(bent[0])[near] > 0)  # and just past the knee, still rising

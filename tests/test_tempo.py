"""The clip's beat, which keeps a continuation's repetition periods on the DAW's grid."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import procedural_clip

from segue.engine.tempo import beat_lags, beat_seconds, refined_beat
from segue.procedural import STYLES, song_spec

RATE = 24_000


def _octave_error(found_bpm: float, true_bpm: float) -> float:
    """How far, in octaves, a tempo is from the truth or its halves and doubles."""
    octaves = np.log2(found_bpm / true_bpm)
    return float(abs(octaves - round(octaves)))


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("seed", [0, 3])
def test_the_beat_of_a_song_at_a_known_tempo(style: str, seed: int) -> None:
    clip = procedural_clip(8.0, RATE, style, seed)
    beat = beat_seconds(clip, RATE)
    assert beat is not None
    assert _octave_error(60.0 / beat, song_spec(seed, style=style).bpm) < 0.01  # within 0.7 %


def test_a_quiet_clip_has_the_beat_of_a_loud_one() -> None:
    clip = procedural_clip(8.0, RATE, "ballad")
    assert beat_seconds(clip * 0.001, RATE) == pytest.approx(beat_seconds(clip, RATE), rel=1e-4)


def test_no_beat_in_a_held_tone_noise_or_silence() -> None:
    seconds = np.arange(8 * RATE) / RATE
    tone = np.sin(2 * np.pi * 440.0 * seconds)[None].astype(np.float32)
    noise = np.random.default_rng(0).standard_normal((2, 8 * RATE)).astype(np.float32)
    for clip in (tone, noise, np.zeros((2, 8 * RATE), np.float32), tone[:, :100]):
        assert beat_seconds(clip, RATE) is None


def test_repetition_periods_in_whole_beats() -> None:
    mask = beat_lags(11.1, 8, 80)  # 11.1 latent frames a beat
    assert list(np.flatnonzero(mask) + 8) == [11, 22, 44]  # 1, 2 and 4 beats; 3 is off the bar
    assert not beat_lags(80.0, 8, 60).any()  # a beat longer than any period: none


@pytest.mark.parametrize("style", ["rock", "techno", "reggae"])
def test_the_clips_onsets_make_a_rough_beat_precise(style: str) -> None:
    """An estimate 1 % off (a jump 16 beats back would land a sixth of a beat late) comes
    back to within 0.15 % of the song's tempo from the onsets 8 beats apart."""
    clip = procedural_clip(8.0, RATE, style, 0)
    beat = 60.0 / song_spec(0, style=style).bpm
    for rough in (beat * 1.01, beat * 0.99):
        assert refined_beat(clip, RATE, rough) == pytest.approx(beat, rel=0.0015)

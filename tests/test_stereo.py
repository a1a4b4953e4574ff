"""The mid/side match that gives each predicted window the clip's stereo image."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import procedural_clip, side_to_mid_db

from segue.engine.audio import Audio
from segue.engine.continuation import continue_clip
from segue.engine.modelfile import LoadedModel
from segue.engine.requests import ContinueSettings
from segue.engine.stereo import MAX_SIDE_BOOST_DB, MAX_SIDE_CUT_DB, match_width, width_profile

RATE = 24_000


def _unrelated_channels(seconds: float) -> np.ndarray:
    """What the decoder made of mono clips: each channel a texture of its own."""
    left = procedural_clip(seconds, RATE, "rock", seed=1)[0]
    right = procedural_clip(seconds, RATE, "rock", seed=2)[0]
    return np.stack([left, right]).astype(np.float32)


def test_a_window_with_the_clips_image_is_left_as_it_is() -> None:
    clip = procedural_clip(6.0, RATE).astype(np.float32)
    assert np.allclose(match_width(clip, width_profile(clip, RATE), RATE), clip, atol=1e-5)


def test_a_mono_clip_gets_a_mono_answer_with_its_mid_untouched() -> None:
    mono = np.repeat(procedural_clip(6.0, RATE, "ballad")[:1], 2, axis=0).astype(np.float32)
    window = _unrelated_channels(6.0)
    assert abs(side_to_mid_db(window)) < 3  # side about as loud as mid
    matched = match_width(window, width_profile(mono, RATE), RATE)
    assert side_to_mid_db(matched) < -30
    assert np.allclose(matched.sum(axis=0), window.sum(axis=0), atol=1e-4)


@pytest.mark.parametrize("share_db", [-20.0, -6.0])
def test_a_wide_clip_gets_its_width_back(share_db: float) -> None:
    mid = procedural_clip(6.0, RATE, "reggae")[0]
    side = procedural_clip(6.0, RATE, "reggae", seed=3)[0]
    side *= np.sqrt(np.mean(mid**2) / np.mean(side**2)) * 10 ** (share_db / 20)
    clip = np.stack([mid + side, mid - side]).astype(np.float32)
    wanted = width_profile(clip, RATE)
    matched = match_width(_unrelated_channels(6.0), wanted, RATE)
    error_db = 10 * np.log10(width_profile(matched, RATE) / wanted)  # band by band
    audible = np.fft.rfftfreq(4096, 1 / RATE) > 40
    assert np.nanmedian(np.abs(error_db[audible])) < 1.0
    assert abs(side_to_mid_db(matched) - share_db) < 3


def test_a_window_narrower_than_its_clip_is_widened_within_bounds() -> None:
    mid = procedural_clip(6.0, RATE, "techno")[0]
    side = procedural_clip(6.0, RATE, "techno", seed=4)[0]
    side *= np.sqrt(np.mean(mid**2) / np.mean(side**2))

    def pair(share_db: float) -> np.ndarray:
        scaled = side * 10 ** (share_db / 20)
        return np.stack([mid + scaled, mid - scaled]).astype(np.float32)

    wider = match_width(pair(-30.0), width_profile(pair(-24.0), RATE), RATE)
    assert abs(side_to_mid_db(wider) - -24.0) < 1.0
    bounded = match_width(pair(-40.0), width_profile(pair(0.0), RATE), RATE)
    assert abs(side_to_mid_db(bounded) - (-40.0 + MAX_SIDE_BOOST_DB)) < 1.0


def test_silence_and_a_silent_reference_stay_finite() -> None:
    window = _unrelated_channels(2.0)
    silent = np.zeros_like(window)
    assert np.all(match_width(silent, width_profile(window, RATE), RATE) == 0)
    kept = match_width(window, width_profile(silent, RATE), RATE)  # no image to match: as it is
    assert np.allclose(kept, window, atol=1e-5)
    assert MAX_SIDE_CUT_DB >= 33  # a mono clip's side in the held-out songs: -33 dB


def test_the_shipped_model_answers_a_mono_clip_in_mono(default_model: LoadedModel) -> None:
    """Before the match, the shipped model answered this clip with its side at -1 dB."""
    mono = np.repeat(procedural_clip(10.0, 44100, "salsa")[:1], 2, axis=0)
    (out,) = continue_clip(default_model, Audio(mono, 44100), ContinueSettings(6.0, seed=0))
    assert side_to_mid_db(out) < -30

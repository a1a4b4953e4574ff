"""Give a continuation the clip's stereo image: its side-to-mid balance, band by band.

The shipped decoder renders each channel on its own, with a loss per channel and each
channel's phase locked to its own peaks, so nothing ties the two together: a mono clip came
back as two unrelated textures, the side as loud as the mid (measured on held-out real music:
0 dB side-to-mid against the clip's -33 dB), wide and phasey, 3 dB down in a mono downmix.
A training loss on mid and side could not fix it while each channel keeps its own phase. So the
continuation's side is brought to the clip's share of each third-octave band, as a mastering
engineer's mid/side EQ would: a mono clip answers in mono, a wide one as wide.
"""

from __future__ import annotations

import numpy as np

from .tone import TONE_FLOOR, inverse_stft, smoothed, stft

WIDTH_OCTAVES = 1 / 3  # the ear's critical bands, about
MAX_SIDE_CUT_DB = 40.0  # enough to bring two unrelated channels to a mono clip's -33 dB side
MAX_SIDE_BOOST_DB = 12.0  # a side the model left too narrow is widened, within reason


def mid_side(stereo: np.ndarray) -> np.ndarray:
    """[..., 2, frames] left/right <-> mid/side (the same map both ways, up to a factor 2)."""
    left, right = stereo[..., 0, :], stereo[..., 1, :]
    return np.stack([left + right, left - right], axis=-2)


def _side_share(power: np.ndarray, rate: int) -> np.ndarray:
    """[..., 2, bins] mid and side power -> the side's share of the mid per bin, smoothed."""
    mid = smoothed(power[..., 0, :], rate, WIDTH_OCTAVES)
    side = smoothed(power[..., 1, :], rate, WIDTH_OCTAVES)
    return np.where(mid > TONE_FLOOR, side / np.maximum(mid, TONE_FLOOR), np.nan)


def width_profile(stereo: np.ndarray, rate: int) -> np.ndarray:
    """The side's share of the mid, per bin, of [..., 2, frames] audio: [..., bins] (NaN in
    bands with no mid)."""
    power = (np.abs(stft(mid_side(stereo))) ** 2).mean(axis=-2)
    return _side_share(power, rate)


def match_width(stereo: np.ndarray, profile: np.ndarray, rate: int) -> np.ndarray:
    """Scale the side of [2, frames] `stereo` so that its share of each band is `profile`'s
    (from `width_profile`), within -MAX_SIDE_CUT_DB..+MAX_SIDE_BOOST_DB, the same over time."""
    spectra = stft(mid_side(stereo))  # [2, chunks, bins]: mid and side
    own = _side_share((np.abs(spectra) ** 2).mean(axis=-2), rate)
    usable = np.isfinite(own) & np.isfinite(profile) & (own > 0)
    ratio = np.where(usable, np.maximum(profile, 1e-12) / np.where(usable, own, 1.0), 1.0)
    gain_db = np.clip(10.0 * np.log10(ratio), -MAX_SIDE_CUT_DB, MAX_SIDE_BOOST_DB)
    spectra[1] *= (10.0 ** (gain_db / 20.0)).astype(np.float32)
    return mid_side(inverse_stft(spectra, stereo.shape[-1])) / 2

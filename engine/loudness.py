"""Integrated loudness, ITU-R BS.1770-4: K-weighting, 400 ms blocks, absolute and relative gates.

Why not pyloudnorm: it filters with `scipy.signal`, whose import alone costs over a second on
a 2-core laptop, a third of the budget of `segue continue` end to end (benchmarks/run.py).
The K-weighting is two fixed biquads; here they are applied in the frequency domain (their
exact frequency response times the signal's spectrum, chunk by chunk with overlap-add), which
needs only numpy. The tests hold it to pyloudnorm's figures.
"""

from __future__ import annotations

import functools
import math

import numpy as np

BLOCK_SECONDS = 0.4
BLOCK_STEP = 0.25  # of a block: 75 % overlap
SILENT_LUFS = -70.0  # the absolute gate: BS.1770 counts nothing quieter; Segue calls it silence
RELATIVE_GATE_LU = -10.0
CHANNEL_GAINS = (1.0, 1.0, 1.0, 1.41, 1.41)  # L R C Ls Rs
_TAIL_SECONDS = 0.1  # the filters' impulse response is below 1e-8 of its peak after this
_MAX_CHUNK = 1 << 20  # samples filtered per FFT: a whole window at once, a long song in parts


def _biquad_response(b: tuple[float, ...], a: tuple[float, ...], bins: int) -> np.ndarray:
    """Complex frequency response of b(z)/a(z) at the `bins` frequencies of an rfft."""
    z = np.exp(-1j * np.linspace(0.0, math.pi, bins))
    return (b[0] + b[1] * z + b[2] * z * z) / (a[0] + a[1] * z + a[2] * z * z)


@functools.lru_cache(maxsize=8)
def _k_weighting(rate: int, bins: int) -> np.ndarray:
    """The BS.1770 pre-filter (a +4 dB high shelf, then a 38 Hz high pass) at any rate: the
    analogue prototypes behind the standard's 48 kHz coefficients, by the bilinear transform
    (as libebur128 derives them)."""
    k = math.tan(math.pi * 1681.974450955533 / rate)
    gain, q = 10.0 ** (3.999843853973347 / 20.0), 0.7071752369554196
    vb = gain**0.4996667741545416
    a0 = 1.0 + k / q + k * k
    shelf_b = (
        (gain + vb * k / q + k * k) / a0,
        2.0 * (k * k - gain) / a0,
        (gain - vb * k / q + k * k) / a0,
    )
    shelf_a = (1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0)
    k = math.tan(math.pi * 38.13547087602444 / rate)
    q = 0.5003270373238773
    a0 = 1.0 + k / q + k * k
    pass_a = (1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0)
    return _biquad_response(shelf_b, shelf_a, bins) * _biquad_response(
        (1.0, -2.0, 1.0), pass_a, bins
    )


def _fast_fft_length(n: int) -> int:
    """The smallest 2^a 3^b 5^c >= n: FFT sizes that pocketfft does fastest."""
    best = 1 << math.ceil(math.log2(n))
    fives = 1
    while fives < best:
        threes = fives
        while threes < best:
            length = threes << max(0, math.ceil(math.log2(n / threes)))
            best = min(best, length)
            threes *= 3
        fives *= 5
    return best


def k_weighted(data: np.ndarray, rate: int) -> np.ndarray:
    """[channels, samples] through the K-weighting filter, as a causal filter from rest would
    give it: FFT filtering with room for the impulse response's tail, overlap-added by chunks."""
    frames = data.shape[-1]
    tail = math.ceil(_TAIL_SECONDS * rate)
    size = _fast_fft_length(min(frames, _MAX_CHUNK) + tail)
    chunk = size - tail
    response = _k_weighting(rate, size // 2 + 1)
    out = np.zeros((data.shape[0], frames + size), dtype=np.float64)
    for start in range(0, frames, chunk):
        piece = np.fft.rfft(data[:, start : start + chunk], n=size, axis=-1)
        out[:, start : start + size] += np.fft.irfft(piece * response, n=size, axis=-1)
    return out[:, :frames]


def integrated_loudness(data: np.ndarray, rate: int) -> float:
    """LUFS of [channels, samples] (up to 5 channels, in BS.1770 order), at least one block
    long; -inf when every block is below the absolute gate."""
    filtered = k_weighted(np.asarray(data, dtype=np.float64), rate)
    frames = filtered.shape[-1]
    block = BLOCK_SECONDS * rate
    count = round((frames / rate - BLOCK_SECONDS) / (BLOCK_SECONDS * BLOCK_STEP)) + 1
    starts = (np.arange(count) * BLOCK_STEP * block).astype(np.int64)
    # The block count rounds, as the standard's formula does: the last block may run past the
    # end, and then it holds what there is (still divided by a whole block, as pyloudnorm does).
    ends = np.minimum(((np.arange(count) * BLOCK_STEP + 1.0) * block).astype(np.int64), frames)
    energy = np.pad(np.cumsum(filtered * filtered, axis=-1), [(0, 0), (1, 0)])
    power = (energy[:, ends] - energy[:, starts]) / block  # [channels, blocks]
    gains = np.asarray(CHANNEL_GAINS[: filtered.shape[0]])[:, None]
    weighted = np.sum(gains * power, axis=0)
    with np.errstate(divide="ignore"):
        block_loudness = -0.691 + 10.0 * np.log10(weighted)
    gated = block_loudness > SILENT_LUFS
    if not gated.any():
        return float("-inf")
    relative = -0.691 + 10.0 * math.log10(weighted[gated].mean()) + RELATIVE_GATE_LU
    gated &= block_loudness > relative
    return -0.691 + 10.0 * math.log10(weighted[gated].mean())

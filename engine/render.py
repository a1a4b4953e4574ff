"""Play audio from the clip's own samples: stretches of it, one after another, crossfaded where
one stretch jumps to another. What is played is the clip at its own rate and bandwidth: a
continuation rendered this way is as full-band and as clean as the clip, by construction."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Run = tuple[int, int]
"""A stretch of the source, (start, end) in samples: played whole, sample for sample."""


def crossfade_ramps(fade: int) -> tuple[np.ndarray, np.ndarray]:
    """(up, down), `fade` samples each: equal power (up² + down² = 1) along a raised cosine, so
    that two unrelated stretches keep their level through the join and no fade starts or ends
    with a kink (a click)."""
    ramp = np.pi / 4 * (1.0 - np.cos(np.linspace(0.0, np.pi, fade, dtype=np.float32)))
    return np.sin(ramp), np.cos(ramp)


def play_runs(source: np.ndarray, runs: Sequence[Run], fade: int) -> np.ndarray:
    """The runs of `source` ([channels, samples]) one after another, [channels, total length].

    Each jump is crossfaded over `fade` samples centred on it: the stretch being left plays on
    for half the fade past its end, the next one starts half a fade before its start. Every
    other sample is the source's own. The source must hold those half fades around each jump:
    a ValueError says which run lacks them."""
    total = sum(end - start for start, end in runs)
    up, down = crossfade_ramps(fade)
    head, tail = fade // 2, fade - fade // 2
    out = np.zeros((source.shape[0], total + tail), dtype=np.float32)
    at = 0
    for number, (start, end) in enumerate(runs):
        lead = head if number else 0  # the first run starts the output: nothing to fade from
        trail = tail if number < len(runs) - 1 else 0
        if start - lead < 0 or end + trail > source.shape[1] or end <= start:
            raise ValueError(f"run {number} ({start}, {end}) lacks room for its crossfades")
        piece = source[:, start - lead : end + trail].astype(np.float32)
        span = min(fade, piece.shape[1])  # a run shorter than its fade (the output's last
        # few samples) fades as far as it goes
        if lead:
            piece[:, :span] *= up[:span]
        if trail:
            piece[:, -span:] *= down[-span:]
        out[:, at - lead : at - lead + piece.shape[1]] += piece
        at += end - start
    return out[:, :total]

"""Seeded random streams: each part of a song draws from its own independent generator.

Why: a song must come out the same for the same seed whatever else changes, so no part of
the generator touches numpy's global random state or shares a stream with another part.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import numpy as np

T = TypeVar("T")

U64 = 2**64

# Stream labels, one per part of a song (and one for the library's per-song seeds).
S_SPEC, S_FORM, S_GROOVE, S_MOTIF, S_PHRASE, S_HUMAN, S_LIBRARY = range(7)


def rng(seed: int, *stream: int) -> np.random.Generator:
    """An independent generator per (seed, stream...), never the global random state."""
    return np.random.default_rng(np.random.SeedSequence([seed % U64, *stream]))


def pick(generator: np.random.Generator, options: Sequence[T]) -> T:
    """One of `options`, drawn uniformly (one draw from `generator`)."""
    return options[int(generator.integers(len(options)))]

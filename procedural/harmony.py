"""Keys, scale degrees and chords: where the bass, chords and lead find their notes.

Why: every part of a song plays in one key, so chords and melodies are written as scale
degrees (0 = tonic) and turned into semitones here, one way for every style.
"""

from __future__ import annotations

from collections.abc import Sequence

MAJOR = (0, 2, 4, 5, 7, 9, 11)
MINOR = (0, 2, 3, 5, 7, 8, 10)


def semitone(minor: bool, degree: int, raised_v: bool = False) -> int:
    """Semitones above the tonic of a scale degree (any octave)."""
    scale = MINOR if minor else MAJOR
    octave, step = divmod(degree, 7)
    semis = scale[step] + 12 * octave
    if raised_v and step == 6:  # the leading tone of harmonic minor over a major V
        semis += 1
    return semis


def chord(minor: bool, root: int, raised_v: bool, tones: Sequence[int] = (0, 2, 4)) -> list[int]:
    """Semitones above the tonic of a diatonic chord on `root` (stacked thirds)."""
    return [semitone(minor, root + t, raised_v) for t in tones]


def voicing(key: int, semis: Sequence[int], centre: int) -> list[int]:
    """Close-position MIDI notes near `centre`, so chord changes move by small steps."""
    notes = []
    for s in semis:
        pitch = (key + s) % 12
        notes.append(centre - 6 + (pitch - (centre - 6)) % 12)
    return sorted(set(notes))

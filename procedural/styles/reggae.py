"""Reggae: the one drop, offbeat skanks with an organ bubble, and a dub echo."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from segue.procedural.melody import LeadRhythm
from segue.procedural.styles.base import Style
from segue.procedural.synth import Voice

if TYPE_CHECKING:
    from segue.procedural.band import Band

_SKANK = Voice(
    tilt=0.9, max_hz=7000, max_harmonics=24, decay=14.0, bright=6.0, attack=0.002, release=0.03
)
_ORGAN = Voice(tilt=0.8, even=0.7, max_hz=5000, max_harmonics=8, attack=0.006, release=0.02)


class Reggae(Style):
    """Kick and snare together on beat three, beat one left empty."""

    def draw_variants(self, generator: np.random.Generator) -> dict[str, Any]:
        return {"double_skank": bool(generator.random() < 0.4)}  # a second skank after 4

    def drums(self, band: Band, bar: int, section: str, index: int, body_end: int) -> None:
        band.hit("kick", "kick", bar, 8, 1.0)
        band.hit("snare", "snare" if section == "chorus" else "rim", bar, 8, 0.9)
        for p in range(0, body_end):
            vel = 0.85 if p % 4 == 0 else 0.4 if p % 2 == 0 else 0.2
            band.hit("hats", "hat", bar, p, vel)
        if bar % 2 == 1 and body_end == 16:  # an open hat every other bar, not into a fill
            band.hit("hats", "hat_open", bar, 14, 0.5)

    def comping(self, band: Band, bar: int, section: str, index: int) -> None:
        """The skank on beats two and four, the organ bubbling on the offbeat eighths."""
        triad = band.chord_tones(band.root(bar))
        notes = band.voicing(triad, 68)
        band.chord("chords", _SKANK, bar, 4, 1, notes, 1.0, strum=0.004)
        band.chord("chords", _SKANK, bar, 12, 1, notes, 1.0, strum=0.004)
        if band.groove["double_skank"]:
            band.chord("chords", _SKANK, bar, 13, 1, notes, 0.6, strum=0.004)
        organ = band.voicing(triad, 62)
        for p in (2, 6, 10, 14):
            band.chord("keys", _ORGAN, bar, p, 1, organ, 0.6)


REGGAE = Reggae(
    name="reggae",
    tempo=(70.0, 90.0),
    minor_odds=0.5,
    major_progressions=((0, 3, 0, 4), (0, 3, 4, 0), (0, 5, 3, 4)),
    minor_progressions=((0, 3, 0, 3), (0, 6, 0, 3), (0, 5, 6, 0)),
    swing=(0.15, 0.3),
    humanise=0.005,
    reverb=0.9,
    echo=("snare", "chords"),
    gains={
        "kick": 0.46,
        "snare": 0.6,
        "hats": 0.29,
        "cymbal": 0.27,
        "toms": 0.36,
        "bass": 0.16,
        "chords": 0.54,
        "keys": 0.15,
        "lead": 0.08,
    },
    bass_voice=Voice(tilt=2.2, max_hz=1200, max_harmonics=5, decay=0.4, attack=0.012, release=0.06),
    lead_voice=Voice(
        tilt=1.2, even=0.35, max_hz=5000, max_harmonics=12, attack=0.02, release=0.06, vibrato=15.0
    ),
    lead_rhythm=LeadRhythm(odds=(0.6, 0.5, 0.4, 0.55, 0.1), longest=6),
    bass_patterns=(
        ((2, 2, "R"), (4, 4, "R"), (10, 2, "5"), (12, 2, "8"), (14, 2, "5")),
        ((3, 1, "R"), (4, 2, "R"), (6, 2, "3"), (8, 5, "5"), (14, 2, "R")),
        ((2, 1, "R"), (3, 3, "R"), (8, 2, "5"), (10, 2, "6"), (12, 4, "R")),
    ),
)

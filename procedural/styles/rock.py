"""Rock: kick and snare backbeat under eighth hats, palm-muted verses, strummed choruses."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from segue.procedural.melody import LeadRhythm
from segue.procedural.seeds import pick
from segue.procedural.styles.base import Style
from segue.procedural.synth import Voice

if TYPE_CHECKING:
    from segue.procedural.band import Band

_GUITAR = Voice(
    max_hz=6000, max_harmonics=24, decay=0.9, bright=2.0, attack=0.004, release=0.08, drive=3.0
)
_MUTED_GUITAR = Voice(
    max_hz=5000, max_harmonics=20, decay=9.0, bright=8.0, attack=0.003, release=0.03, drive=2.5
)


class Rock(Style):
    """Straight eighths, a backbeat on 2 and 4, a ride in the chorus."""

    def draw_variants(self, generator: np.random.Generator) -> dict[str, Any]:
        return {
            "kick": pick(generator, ((), (10,), (6,), (10, 14))),  # extra kicks, sixteenths
            "strum": pick(  # the chorus guitar's (sixteenth, length) strums
                generator,
                (
                    ((0, 6), (6, 2), (8, 6), (14, 2)),
                    ((0, 10), (10, 6)),
                    ((0, 3), (3, 3), (6, 4), (10, 6)),
                ),
            ),
        }

    def drums(self, band: Band, bar: int, section: str, index: int, body_end: int) -> None:
        if section != "break":
            for p in (0, 8, *band.groove["kick"]):
                if p < body_end or p == 8:
                    band.hit("kick", "kick", bar, p, 1.0 if p in (0, 8) else 0.8)
            for p in (4, 12):
                if p < body_end:
                    band.hit("snare", "snare", bar, p)
        else:
            band.hit("kick", "kick", bar, 0, 0.9)
        ride = section == "chorus"
        for p in range(0, body_end, 2):
            accent = 1.0 if p % 4 == 0 else 0.45
            band.hit("hats", "ride" if ride else "hat", bar, p, accent * (0.8 if ride else 1.0))

    def comping(self, band: Band, bar: int, section: str, index: int) -> None:
        """Power chords: palm-muted eighths in the verse, the drawn strum elsewhere."""
        root = band.root(bar)
        triad = band.chord_tones(root)
        low = band.bass_midi(root) + 24
        power = [low, low + triad[2] - triad[0], low + 12]  # root, diatonic fifth, octave
        if section in ("verse", "intro"):
            for p in range(0, 16, 2):
                band.chord("chords", _MUTED_GUITAR, bar, p, 1.5, power, 0.9 if p % 4 == 0 else 0.5)
        else:
            for p, dur in band.groove["strum"]:
                band.chord("chords", _GUITAR, bar, p, dur, power, 1.0, strum=0.006)


ROCK = Rock(
    name="rock",
    tempo=(100.0, 140.0),
    minor_odds=0.4,
    major_progressions=((0, 4, 5, 3), (0, 0, 3, 4), (0, 5, 3, 4), (0, 3, 0, 4)),
    minor_progressions=((0, 5, 2, 6), (0, 0, 6, 5), (0, 3, 6, 0), (0, 5, 6, 0)),
    swing=(0.0, 0.0),
    humanise=0.004,
    reverb=0.7,
    gains={
        "kick": 0.5,
        "snare": 1.0,
        "hats": 0.27,
        "cymbal": 0.54,
        "toms": 0.73,
        "bass": 0.26,
        "chords": 0.17,
        "lead": 0.14,
    },
    bass_voice=Voice(tilt=1.1, max_hz=3000, decay=1.5, bright=4.0, attack=0.003, release=0.03),
    lead_voice=Voice(
        max_hz=6000, max_harmonics=20, attack=0.01, release=0.06, vibrato=25.0, drive=2.0
    ),
    lead_rhythm=LeadRhythm(odds=(0.95, 0.7, 0.55, 0.45, 0.08), longest=8),
    bass_patterns=(
        (*((p, 2, "R") for p in range(0, 14, 2)), (14, 2, "A")),
        (
            (0, 3, "R"),
            (3, 1, "R"),
            (6, 2, "R"),
            (8, 3, "R"),
            (11, 1, "5"),
            (12, 2, "8"),
            (14, 2, "A"),
        ),
        ((0, 6, "R"), (6, 2, "R"), (8, 4, "5"), (12, 2, "R"), (14, 2, "A")),
    ),
)

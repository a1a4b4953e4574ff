"""Techno: four on the floor, offbeat open hats, chord stabs, a pad in breaks and choruses."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from segue.procedural.melody import LeadRhythm
from segue.procedural.seeds import pick
from segue.procedural.styles.base import BassNote, Style
from segue.procedural.synth import PAD, Voice

if TYPE_CHECKING:
    from segue.procedural.band import Band

_STAB = Voice(
    max_hz=7000, max_harmonics=24, decay=6.0, bright=9.0, attack=0.002, release=0.04, detune=14.0
)


class Techno(Style):
    """A kick on every beat that drops out in the break and comes back before its end."""

    def draw_variants(self, generator: np.random.Generator) -> dict[str, Any]:
        return {
            "stab": pick(generator, ((3, 6, 10), (2, 7, 10, 14), (3, 7, 11, 14), (0, 3, 6, 10))),
            "perc": pick(generator, ((3, 11), (6, 14), (7, 10, 13), ())),  # rim shots
        }

    def drums(self, band: Band, bar: int, section: str, index: int, body_end: int) -> None:
        kick = section != "break" or index >= 6
        for p in range(0, 16, 4):
            if kick and p < body_end:
                band.hit("kick", "kick_909", bar, p)
            band.hit("hats", "hat_open", bar, p + 2, 0.5)
        if section != "intro" or index >= 2:
            for p in (4, 12):
                if p < body_end:
                    band.hit("snare", "clap", bar, p, 0.9)
        for p in range(16):
            if section == "chorus" or p % 2 == 0:
                band.hit("hats", "hat", bar, p, 0.35 if p % 2 == 0 else 0.2)
        for p in band.groove["perc"]:
            band.hit("perc_r", "rim", bar, p, 0.7)

    def fill(self, band: Band, bar: int, kind: int) -> None:
        """A snare and clap roll that builds over the last two beats (one kind for all)."""
        for p in range(8, 16):
            band.hit("snare", "clap" if p % 2 else "snare", bar, p, 0.3 + 0.06 * (p - 8))

    def bass_pattern(self, drawn: tuple[BassNote, ...], section: str) -> tuple[BassNote, ...]:
        """In the break the bass holds the root for the whole bar."""
        return ((0, 16, "R"),) if section == "break" else drawn

    def comping(self, band: Band, bar: int, section: str, index: int) -> None:
        """Seventh-chord stabs on the drawn rhythm; the pad holds them in breaks and choruses."""
        notes = band.voicing(band.chord_tones(band.root(bar), (0, 2, 4, 7)), 62)
        if section != "break":
            for p in band.groove["stab"]:
                band.chord("chords", _STAB, bar, p, 1, notes, 0.9)
        if section in ("break", "chorus"):
            band.chord("keys", PAD, bar, 0, 16, notes, 0.8)


TECHNO = Techno(
    name="techno",
    tempo=(120.0, 135.0),
    minor_odds=0.8,
    major_progressions=((0, 0, 0, 3), (0, 4, 0, 4), (0, 0, 5, 0)),
    minor_progressions=((0, 0, 0, 0), (0, 0, 5, 6), (0, 6, 0, 5), (0, 0, 3, 0)),
    swing=(0.0, 0.12),
    humanise=0.0,
    reverb=0.8,
    gains={
        "kick": 0.22,
        "snare": 0.51,
        "hats": 0.31,
        "cymbal": 0.27,
        "perc_r": 1.0,
        "bass": 0.22,
        "chords": 0.28,
        "keys": 0.14,
        "lead": 0.12,
    },
    bass_voice=Voice(max_hz=4000, decay=3.0, bright=14.0, attack=0.002, release=0.02, drive=1.5),
    lead_voice=Voice(
        even=0.1, max_hz=6000, max_harmonics=16, decay=5.0, bright=4.0, attack=0.002, release=0.05
    ),
    lead_rhythm=LeadRhythm(odds=(0.9, 0.6, 0.5, 0.5, 0.3), longest=3, span=16),  # 1-bar riffs
    bass_patterns=(  # between the kicks, never just before one (it would mask the kick)
        ((2, 1, "R"), (6, 1, "R"), (10, 1, "R"), (14, 1, "R")),
        ((2, 1, "R"), (5, 1, "R"), (6, 1, "R"), (10, 1, "R"), (13, 1, "8"), (14, 1, "R")),
        ((2, 1, "R"), (6, 1, "8"), (10, 1, "R"), (14, 1, "8")),
    ),
)

"""Salsa: clave, cowbell, congas and guiro over a tumbao bass and a piano montuno."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from segue.procedural.melody import LeadRhythm
from segue.procedural.seeds import pick
from segue.procedural.styles.base import Style
from segue.procedural.synth import Voice

if TYPE_CHECKING:
    from segue.procedural.band import Band

_PIANO = Voice(
    tilt=1.1, max_hz=7000, max_harmonics=20, decay=2.2, bright=2.5, attack=0.002, release=0.08
)
_MONTUNO = (0, 2, 3, 5, 6, 8, 10, 11, 13, 14)  # eighths over two bars; 7 and 15 anticipate
_THREE_TWO = ((0, 6, 12), (4, 8))  # the son clave's two bars, in sixteenths


class Salsa(Style):
    """A two-bar clave that the percussion and the montuno follow; timbales mark sections."""

    def draw_variants(self, generator: np.random.Generator) -> dict[str, Any]:
        return {"clave": pick(generator, (_THREE_TWO, _THREE_TWO[::-1]))}  # 3-2 or 2-3

    def drums(self, band: Band, bar: int, section: str, index: int, body_end: int) -> None:
        for p in band.groove["clave"][bar % 2]:
            band.hit("perc_l", "clave", bar, p, 0.9)
        for p in range(0, body_end, 4):
            band.hit("perc_r", "cowbell", bar, p, 1.0 if p % 8 == 0 else 0.85)
            if section == "chorus":
                band.hit("perc_r", "cowbell", bar, p + 2, 0.45)
        for p, drum, vel in (
            (0, "mute", 0.5),
            (4, "slap", 0.9),
            (6, "mute", 0.4),
            (8, "mute", 0.5),
            (12, "conga", 1.0),
            (14, "conga", 0.7),
        ):
            if p < body_end:
                drum = "tumba" if p == 14 and bar % 2 else drum
                band.hit("congas", drum, bar, p, vel)
        for p, drum in (
            (0, "guiro_long"),
            (4, "guiro_short"),
            (6, "guiro_short"),
            (8, "guiro_long"),
            (12, "guiro_short"),
            (14, "guiro_short"),
        ):
            band.hit("perc_l", drum, bar, p, 0.5)
        if section != "break":
            band.hit("kick", "kick_soft", bar, 0, 1.0)

    def fill(self, band: Band, bar: int, kind: int) -> None:
        """A timbale roll that swells into beat four (one kind for every fill)."""
        for p in range(8, 16):
            band.hit("perc_r", "timbale", bar, p, 0.5 + 0.04 * p)
        band.hit("perc_r", "timbale", bar, 14, 1.0)

    def comping(self, band: Band, bar: int, section: str, index: int) -> None:
        """The montuno: octaves on the chord tones, anticipating the next chord."""
        spec = band.spec
        cycle = bar % 2
        tones = band.chord_tones(band.root(bar))
        nxt_tones = band.chord_tones(band.root(bar + 1))
        for e in range(8):
            eighth = cycle * 8 + e
            anticipate = eighth in (7, 15)
            if eighth not in _MONTUNO and not anticipate:
                continue
            src = nxt_tones if anticipate else tones
            tone = src[(0, 2, 1, 2, 0, 1, 2, 1)[e]]
            low = 60 + (spec.key + tone) % 12 - (12 if (spec.key + tone) % 12 > 7 else 0)
            band.chord("keys", _PIANO, bar, 2 * e, 1.5, [low, low + 12], 0.7 if e % 2 else 1.0)


SALSA = Salsa(
    name="salsa",
    tempo=(160.0, 200.0),
    minor_odds=0.6,
    major_progressions=((0, 3, 4, 3), (0, 4, 0, 4), (0, 1, 4, 0)),
    minor_progressions=((0, 3, 4, 0), (4, 0, 4, 0), (3, 4, 0, 0), (0, 6, 5, 4)),
    swing=(0.0, 0.0),
    humanise=0.004,
    reverb=0.8,
    gains={
        "kick": 0.7,
        "perc_l": 0.8,
        "perc_r": 1.0,
        "congas": 0.97,
        "cymbal": 0.4,
        "toms": 0.7,
        "bass": 0.8,
        "keys": 0.63,
        "lead": 0.5,
    },
    bass_voice=Voice(tilt=1.4, max_hz=2500, decay=1.8, bright=5.0, attack=0.004, release=0.05),
    lead_voice=Voice(
        tilt=0.9, max_hz=7000, max_harmonics=20, attack=0.03, release=0.05, vibrato=12.0, drive=1.2
    ),
    lead_rhythm=LeadRhythm(odds=(0.8, 0.5, 0.5, 0.6, 0.1), longest=6),
    bass_patterns=(  # tumbao: nothing on one, the 2-and and the anticipated root on four
        ((6, 5, "5"), (12, 9, "N")),
        ((6, 5, "R"), (12, 9, "N")),
        ((6, 3, "5"), (10, 2, "8"), (12, 9, "N")),
    ),
    raises_minor_v=True,
    crash=False,  # the timbales mark a new section
)

"""Ballad: slow and sparse, a soft kit, a sustained pad and an electric piano arpeggio."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from segue.procedural.melody import LeadRhythm
from segue.procedural.seeds import pick
from segue.procedural.styles.base import Style
from segue.procedural.synth import PAD, Voice

if TYPE_CHECKING:
    from segue.procedural.band import Band

_EPIANO = Voice(
    tilt=2.0, max_hz=5000, max_harmonics=10, decay=1.6, bright=3.0, attack=0.003, release=0.25
)


class Ballad(Style):
    """Drums only in verses and choruses (a rim click in the verse), played softly."""

    def draw_variants(self, generator: np.random.Generator) -> dict[str, Any]:
        return {"kick": pick(generator, ((10,), (8,), (6, 10)))}  # kicks after the downbeat

    def drums(self, band: Band, bar: int, section: str, index: int, body_end: int) -> None:
        if section != "intro" and section != "break":
            for p in (0, *band.groove["kick"]):
                band.hit("kick", "kick_soft", bar, p, 1.0 if p == 0 else 0.7)
            for p in (4, 12):
                if p < body_end:
                    band.hit("snare", "snare" if section == "chorus" else "rim", bar, p, 0.8)
        step = 2 if section == "chorus" else 4
        for p in range(0, body_end, step):
            band.hit("hats", "hat", bar, p, 0.8 if p % 4 == 0 else 0.5)
        if section in ("verse", "chorus"):
            for p in range(0, 16, 2):
                band.hit("perc_r", "shaker", bar, p, 0.6 if p % 4 == 0 else 0.4)

    def comping(self, band: Band, bar: int, section: str, index: int) -> None:
        """A sustained seventh (or ninth) pad plus a broken-chord electric piano."""
        spec = band.spec
        root = band.root(bar)
        triad = band.chord_tones(root)
        pad = band.voicing(band.chord_tones(root, (0, 2, 4, 6 if spec.minor else 8)), 64)
        band.chord("chords", PAD, bar, 0, 16, pad, 0.8)
        base = band.bass_midi(root) + 24
        third, fifth = triad[1] - triad[0], triad[2] - triad[0]
        up = [base, base + fifth, base + 12, base + 12 + third, base + 12 + fifth]
        arp = [*up, up[3], up[2], up[1]]  # up and back down the chord, in eighths
        for e, midi in enumerate(arp):
            band.note("keys", _EPIANO, bar, 2 * e, 4, midi, 0.9 if e % 2 == 0 else 0.7)


BALLAD = Ballad(
    name="ballad",
    tempo=(60.0, 80.0),
    minor_odds=0.4,
    major_progressions=((0, 5, 3, 4), (0, 4, 5, 3), (0, 3, 0, 4), (0, 2, 3, 4)),
    minor_progressions=((0, 5, 2, 6), (0, 3, 6, 2), (0, 5, 3, 4)),
    swing=(0.0, 0.08),
    humanise=0.006,
    reverb=1.6,
    gains={
        "kick": 0.38,
        "snare": 1.0,
        "hats": 0.29,
        "cymbal": 0.43,
        "toms": 0.8,
        "perc_r": 0.5,
        "bass": 0.12,
        "chords": 0.12,
        "keys": 0.11,
        "lead": 0.1,
    },
    bass_voice=Voice(tilt=1.9, max_hz=1500, max_harmonics=6, decay=0.6, attack=0.015, release=0.12),
    lead_voice=Voice(
        tilt=2.2, max_hz=4000, max_harmonics=8, attack=0.06, release=0.2, vibrato=18.0
    ),
    lead_rhythm=LeadRhythm(odds=(0.95, 0.6, 0.4, 0.3, 0.0), longest=12),
    bass_patterns=(
        ((0, 8, "R"), (8, 8, "R")),
        ((0, 12, "R"), (12, 4, "5")),
        ((0, 6, "R"), (6, 2, "5"), (8, 8, "R")),
    ),
    room_t60=2.0,  # a bigger room
    raises_minor_v=True,
    touch=0.6,
)

"""What a style is: its table values and its patterns, in one object.

Why: a style used to live in a table and in branches over six functions; now each style is
one `Style` (a subclass in its own module) that holds its tempo range, keys, chords, voices,
mix and the code of its drum, bass and comping patterns, so adding a style is adding one.
What every style plays alike (the section crash, the tom fill, the bass line's walk over the
chords) lives here; a style overrides it where it plays differently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from segue.procedural.melody import LeadRhythm
from segue.procedural.synth import Voice

if TYPE_CHECKING:
    from segue.procedural.band import Band

# One bass note: (sixteenth, length, what) where `what` is R (the root), 3/5/6/8 (scale steps
# above it), N (the next chord's root, an anticipation) or A (the step leading to it).
BassNote = tuple[int, int, str]
_STEPS = {"R": 0, "3": 2, "5": 4, "6": 5, "8": 7}


@dataclass(frozen=True)
class Style:
    """Everything that makes a style sound like itself. Songs are in 4/4."""

    name: str
    tempo: tuple[float, float]  # the usual range, bpm
    minor_odds: float
    major_progressions: tuple[tuple[int, ...], ...]  # chord roots as scale degrees, per bar
    minor_progressions: tuple[tuple[int, ...], ...]
    swing: tuple[float, float]  # how late odd sixteenths land, in sixteenths
    humanise: float  # timing jitter, seconds (standard deviation)
    reverb: float  # send scale
    gains: dict[str, float]  # per mix bus; a bus not named plays at 0.3
    bass_voice: Voice
    lead_voice: Voice
    lead_rhythm: LeadRhythm
    bass_patterns: tuple[tuple[BassNote, ...], ...]  # one bar each; every song picks one
    echo: tuple[str, ...] = ()  # buses sent to a dub echo
    room_t60: float = 1.2  # the room's reverb time, seconds
    raises_minor_v: bool = False  # a minor key's V chord is major (harmonic minor)
    crash: bool = True  # a crash marks every section's first bar
    touch: float = 1.0  # how hard the crash and the tom fills are hit

    def progressions(self, minor: bool) -> tuple[tuple[int, ...], ...]:
        """The chord progressions a song in this style draws from, for its mode."""
        return self.minor_progressions if minor else self.major_progressions

    def draw_variants(self, generator: np.random.Generator) -> dict[str, Any]:
        """Per-song choices among this style's pattern variants (read back as `band.groove`).

        Every song makes every style's draws, in STYLES order, and keeps its own (see
        `Band`): a style that draws more or less here changes every song's fills.
        """
        return {}

    # drums -------------------------------------------------------------------------
    def drum_bar(self, band: Band, bar: int, section: str, index: int) -> None:
        """One bar of drums: a crash where a section starts, the pattern, a fill before the
        next section (bar `index` 7 of 8), so section changes are audible."""
        last = section != "intro" and index == 7
        if self.crash and section != "intro" and index == 0:
            band.hit("cymbal", "crash", bar, 0, self.touch)
        self.drums(band, bar, section, index, 8 if last else 16)
        if last:
            self.fill(band, bar, int(band.groove_rng.integers(3)))

    def drums(self, band: Band, bar: int, section: str, index: int, body_end: int) -> None:
        """The style's drum pattern for one bar; `body_end` is the sixteenth where a fill
        takes over (8 in a section's last bar, otherwise 16)."""
        raise NotImplementedError

    def fill(self, band: Band, bar: int, kind: int) -> None:
        """A drum fill over the last two beats, one of three `kind`s: snare into the toms."""
        soft = self.touch
        if kind == 0:
            drums = ("snare", "tom_hi", "tom_mid", "tom_lo")
            for p, drum in zip(range(8, 16, 2), drums, strict=True):
                band.hit("toms" if drum.startswith("tom") else "snare", drum, bar, p, soft)
        elif kind == 1:
            for p in range(8, 16):
                drum = "snare" if p < 12 else ("tom_hi", "tom_mid", "tom_lo", "tom_lo")[(p - 12)]
                band.hit("toms" if drum.startswith("tom") else "snare", drum, bar, p, soft * 0.8)
        else:
            for p in (8, 10, 11, 12, 14):
                band.hit("snare", "snare", bar, p, soft * (0.7 + 0.05 * p / 2))

    # bass --------------------------------------------------------------------------
    def bass_pattern(self, drawn: tuple[BassNote, ...], section: str) -> tuple[BassNote, ...]:
        """The bar's bass pattern: the one the song drew, unless the section wants another."""
        return drawn

    def bass(self, band: Band, bar: int, section: str) -> None:
        """One bar of the bass line: the pattern's notes on this chord, leading to the next."""
        pattern = self.bass_pattern(band.groove["bass"], section)
        root, nxt = band.root(bar), band.root(bar + 1)
        for p, dur, what in pattern:
            if what == "N":
                degree = nxt
            elif what == "A":
                degree = nxt - 1 if nxt > root else nxt + 1
            else:
                degree = root + _STEPS[what]
            midi = band.bass_midi(degree % 7) + (12 if degree >= 7 else 0)
            vel = 1.0 if p % 4 == 0 else 0.75 if p % 2 == 0 else 0.6
            band.note("bass", self.bass_voice, bar, p, dur, midi, vel)

    # chords ------------------------------------------------------------------------
    def comping(self, band: Band, bar: int, section: str, index: int) -> None:
        """The chord instrument's bar (power chords, skank, montuno, stabs, pads...)."""
        raise NotImplementedError

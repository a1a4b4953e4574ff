"""The band: plays one song's hits and notes into mono buses, then has them mixed.

Why: the styles' patterns say what to play where (a bus, a drum or a voice, a bar and a
sixteenth); the band turns that into samples the same way for every style, with the
style's swing, a human's timing and touch, and each note synthesised once per song.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from segue.procedural import harmony
from segue.procedural.drumkit import drum_kit
from segue.procedural.melody import Lead
from segue.procedural.mixdown import BUS_INDEX, BUS_NAMES, mixdown
from segue.procedural.seeds import S_GROOVE, S_HUMAN, S_SPEC, pick, rng
from segue.procedural.styles import BY_NAME, Style, style_named
from segue.procedural.synth import Voice, render_note

if TYPE_CHECKING:
    from segue.procedural.song import SongSpec


def _draw_groove(generator: np.random.Generator, style: Style) -> dict[str, Any]:
    """The song's bass pattern and its style's pattern variants.

    Every song makes every style's draws, in STYLES order, and keeps its own: the fills
    draw from the same stream after them, so this keeps each song as it always was (and the
    shipped model learnt from these songs). A style that draws more here changes them all.
    """
    bass = pick(generator, style.bass_patterns)
    variants = {name: s.draw_variants(generator) for name, s in BY_NAME.items()}
    return {"bass": bass, **variants[style.name]}


class Band:
    """Collects one song's hits and notes into mono buses, then mixes them to stereo."""

    def __init__(self, spec: SongSpec, seconds: float, rate: int) -> None:
        self.spec = spec
        self.style = style_named(spec.style)
        self.rate = rate
        self.n = round(seconds * rate)
        self.s16 = spec.beat_seconds / 4
        self.n_bars = max(1, math.ceil(seconds / spec.bar_seconds) + 1)
        self.length = self.n + int(2.0 * rate)
        self.bank = np.zeros((len(BUS_NAMES), self.length), dtype=np.float32)
        self.kit = drum_kit(rate, spec.key)
        self.human = rng(spec.seed, S_HUMAN)
        self.groove_rng = rng(spec.seed, S_GROOVE)  # the groove's choices, then the fills
        self.swing = float(self.groove_rng.uniform(*self.style.swing))
        self.notes: dict[tuple[Voice, float, int], np.ndarray] = {}
        self.progression = spec.progression or pick(
            rng(spec.seed, S_SPEC, 1), self.style.progressions(spec.minor)
        )
        self.groove = _draw_groove(self.groove_rng, self.style)
        self.lead = Lead(spec.seed, self.style.lead_rhythm)

    def play_bar(self, bar: int, section: str, index: int, number: int) -> None:
        """Bar `index` of section `number` (a `section`): drums, bass, chords, melody."""
        self.style.drum_bar(self, bar, section, index)
        self.style.bass(self, bar, section)
        self.style.comping(self, bar, section, index)
        self.lead.play(self, bar, section, index, number)

    def mix(self) -> np.ndarray:
        """The song so far as stereo float32, [2, n], mastered."""
        return mixdown(self.bank, self.n, self.rate, self.style, self.s16)

    # timing ------------------------------------------------------------------------
    def when(self, bar: int, pos: float) -> float:
        """Seconds of a sixteenth position in a bar, with the style's swing."""
        swing = self.swing if int(pos) % 2 == 1 else 0.0
        return (bar * 16 + pos + swing) * self.s16

    def _start(self, seconds: float) -> int:
        if self.style.humanise:
            seconds += float(self.human.normal(0.0, self.style.humanise))
        return round(seconds * self.rate)

    def _vel(self, vel: float) -> float:
        return vel * min(1.2, max(0.75, 1 + 0.08 * float(self.human.standard_normal())))

    def _add(self, bus: str, start: int, wave: np.ndarray, gain: float) -> None:
        buf = self.bank[BUS_INDEX[bus]]
        if start < 0:
            wave, start = wave[-start:], 0
        end = min(self.length, start + len(wave))
        if end > start:
            buf[start:end] += np.float32(gain) * wave[: end - start]

    # events ------------------------------------------------------------------------
    def hit(self, bus: str, sample: str, bar: int, pos: float, vel: float = 1.0) -> None:
        """A drum one-shot (`sample`, from the kit) at sixteenth `pos` of `bar`."""
        self._add(bus, self._start(self.when(bar, pos)), self.kit[sample], self._vel(vel))

    def note(
        self,
        bus: str,
        voice: Voice,
        bar: int,
        pos: float,
        dur: float,
        midi: float,
        vel: float = 1.0,
        delay: float = 0.0,
    ) -> None:
        """A note held for `dur` sixteenths, `delay` seconds after its place in the bar."""
        n_hold = max(1, round(dur * self.s16 * self.rate))
        key = (voice, midi, n_hold)
        wave = self.notes.get(key)
        if wave is None:
            wave = self.notes[key] = render_note(voice, midi, n_hold, self.rate)
        start = self._start(self.when(bar, pos) + delay)
        self._add(bus, start, wave, self._vel(vel))

    def chord(
        self,
        bus: str,
        voice: Voice,
        bar: int,
        pos: float,
        dur: float,
        notes: Sequence[int],
        vel: float = 1.0,
        strum: float = 0.0,
    ) -> None:
        """Notes together at one loudness, each `strum` seconds after the one below."""
        scale = vel / math.sqrt(len(notes))
        for i, midi in enumerate(notes):
            self.note(bus, voice, bar, pos, dur, midi, scale, delay=i * strum)

    # harmony -----------------------------------------------------------------------
    def root(self, bar: int) -> int:
        """The chord root of `bar`, a scale degree."""
        return self.progression[bar % len(self.progression)]

    def raised_v(self, root: int) -> bool:
        """Whether the chord on `root` is a minor key's V played major, as the style does."""
        return self.spec.minor and root == 4 and self.style.raises_minor_v

    def chord_tones(self, root: int, tones: Sequence[int] = (0, 2, 4)) -> list[int]:
        """Semitones above the tonic of the diatonic chord on `root` (stacked thirds)."""
        return harmony.chord(self.spec.minor, root, self.raised_v(root), tones)

    def voicing(self, semis: Sequence[int], centre: int) -> list[int]:
        """Close-position MIDI notes of `semis` near `centre`."""
        return harmony.voicing(self.spec.key, semis, centre)

    def bass_midi(self, degree: int) -> int:
        """A root in the bass register, within a tritone of the tonic as bassists play."""
        tonic = 36 + self.spec.key - (12 if self.spec.key > 7 else 0)
        semis = harmony.semitone(self.spec.minor, degree, self.raised_v(degree))
        return tonic + (semis - 12 if semis > 6 else semis)

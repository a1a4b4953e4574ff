"""The lead: a 2-bar motif per section, phrased over 8 bars and fitted to the chords.

Why: a melody that repeats with variation is what makes a clip sound like a song rather
than a loop or noise, and it gives the model something to continue. Each style says only
how its melodies move in time (its `LeadRhythm`) and which voice plays them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from segue.procedural.harmony import semitone
from segue.procedural.seeds import S_MOTIF, S_PHRASE, rng

if TYPE_CHECKING:
    from segue.procedural.band import Band

Note = tuple[int, int, int]  # onset in sixteenths within a 2-bar cell, length, scale degree


@dataclass(frozen=True)
class LeadRhythm:
    """How a style's melodies move in time."""

    # Odds of a note on the bar's downbeat, the half bar, a beat, an 8th offbeat, a 16th.
    odds: tuple[float, float, float, float, float]
    longest: int  # the longest note, in sixteenths
    span: int = 32  # sixteenths a motif spans; a one-bar riff (16) is played twice


def motif(generator: np.random.Generator, rhythm: LeadRhythm, start: int) -> list[Note]:
    """A 2-bar melodic idea: a rhythm weighted to the metre and a mostly stepwise contour."""
    probs, longest, span = rhythm.odds, rhythm.longest, rhythm.span
    onsets = []
    for p in range(span - 2):
        level = 0 if p % 16 == 0 else 1 if p % 8 == 0 else 2 if p % 4 == 0 else 3
        level = 4 if p % 2 else level
        if generator.random() < probs[level]:
            onsets.append(p)
    if not onsets or onsets[0] > 4:
        onsets.insert(0, int(generator.choice([0, 2, 4])))
    while len(onsets) < 3:
        extra = int(generator.integers(1, span - 2))
        if extra not in onsets:
            onsets = sorted([*onsets, extra])
    steps = np.array([-3, -2, -1, 0, 1, 2, 3, 4])
    weights = np.array([0.05, 0.15, 0.3, 0.08, 0.27, 0.1, 0.03, 0.02])
    notes: list[Note] = []
    degree = start
    for i, p in enumerate(onsets):
        nxt = onsets[i + 1] if i + 1 < len(onsets) else span
        dur = min(nxt - p, longest)
        if dur > 1 and generator.random() < 0.25:
            dur = max(1, dur // 2)  # detached note: room to breathe
        if i:  # a walk with gravity: the further from home, the likelier it turns back
            pull = weights * np.exp(-0.3 * np.abs(degree + steps - start))
            degree = int(np.clip(degree + generator.choice(steps, p=pull / pull.sum()), -2, 9))
        notes.append((p, dur, degree))
    if span == 16:
        notes += [(p + 16, d, g) for p, d, g in notes]
    return notes


def vary(generator: np.random.Generator, cell: list[Note], ending: int | None) -> list[Note]:
    """Repeat a motif with a recognisable change: a sequence step, new tail, or rhythm nudge."""
    notes = list(cell)
    choice = generator.random()
    if choice < 0.3:  # sequence: the second half moves by a scale step
        shift = int(generator.choice([-1, 1, 2]))
        notes = [(p, d, g + shift if p >= 16 else g) for p, d, g in notes]
    elif choice < 0.6 and len(notes) > 2:  # new tail
        p, d, g = notes[-1]
        notes[-1] = (p, d, g + int(generator.choice([-2, -1, 1, 2])))
    elif len(notes) > 3:  # drop or nudge a weak note
        i = int(generator.integers(1, len(notes)))
        p, d, g = notes[i]
        if p % 4 and generator.random() < 0.5:
            del notes[i]
        elif i + 1 < len(notes) and notes[i + 1][0] > p + 1 and d > 1:
            notes[i] = (p + 1, d - 1, g)
    if ending is not None and notes:
        p, d, g = notes[-1]
        target = min((ending + 7 * o for o in (-1, 0, 1)), key=lambda e: abs(e - g))
        notes[-1] = (p, max(d, min(8, 32 - p)), target)
    return notes


def phrase(generator: np.random.Generator, cell: list[Note]) -> list[list[Note]]:
    """Four 2-bar cells of an 8-bar phrase: statement, answer, restatement, cadence."""
    half_cadence = int(generator.choice([4, 1]))
    return [
        cell,
        vary(generator, cell, half_cadence),
        cell if generator.random() < 0.6 else vary(generator, cell, None),
        vary(generator, cell, 0),
    ]


class Lead:
    """One song's melody: a motif for the verse and one for the chorus, and their phrases."""

    def __init__(self, seed: int, rhythm: LeadRhythm) -> None:
        self.seed = seed
        motif_rng = rng(seed, S_MOTIF)
        self.motifs = {
            "verse": motif(motif_rng, rhythm, int(motif_rng.choice([0, 4, 7]))),
            "chorus": motif(motif_rng, rhythm, int(motif_rng.choice([4, 7]))),
        }
        self.phrases: dict[int, list[list[Note]]] = {}

    def phrase(self, section: str, number: int) -> list[list[Note]]:
        """The 8-bar phrase of a section, drawn from its own stream so it is stable."""
        if number not in self.phrases:
            self.phrases[number] = phrase(rng(self.seed, S_PHRASE, number), self.motifs[section])
        return self.phrases[number]

    def play(self, band: Band, bar: int, section: str, index: int, number: int) -> None:
        """One bar of the melody (none in intros and breaks), chord tones on strong notes."""
        if section in ("intro", "break"):
            return
        spec = band.spec
        cell = self.phrase(section, number)[(index // 2) % 4]
        root = band.root(bar)
        chord_steps = {(root + t) % 7 for t in (0, 2, 4)}
        raised = band.raised_v(root)
        tonic = 60 + spec.key - (12 if spec.key > 7 else 0)
        half = (index % 2) * 16
        for p, dur, degree in cell:
            if not half <= p < half + 16:
                continue
            if (p % 8 == 0 or dur >= 6) and degree % 7 not in chord_steps:
                degree = min(
                    (degree + d for d in (-1, 1, -2, 2) if (degree + d) % 7 in chord_steps),
                    key=lambda g: abs(g - degree),
                )
            midi = tonic + semitone(spec.minor, degree, raised)
            vel = 1.0 if p % 4 == 0 else 0.85
            band.note("lead", band.style.lead_voice, bar, p - half, dur, midi, vel)

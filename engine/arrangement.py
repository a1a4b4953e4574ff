"""Which of the clip's beats each beat of a continuation plays: the model decides what comes
next, the clip's own samples sound it (`render.play_runs`).

The decoder renders at the model's 24 kHz, so everything it plays stops at 12 kHz, and its
frames are grainier than real music; a clip of a musician's own playing holds every sound its
continuation needs, at the clip's rate and bandwidth. So the continuation is laid on the clip's
beat grid, and each future beat is one of the clip's beats, drawn at the temperature from
four wishes, as a player varies a part: that it sounds like the model's prediction for that
beat (the likeness of their latent frames); that it follows well on the beat just played (it
sounds like that beat's own successor, as the Infinite Jukebox has it); that it lies at the
same place in its bar (of 4 beats, or 3 where the clip is in 3) and in the clip's last bars;
that it differs from what earlier variations played there. A beat that is its predecessor's
own successor in the clip joins it seamlessly: runs of the clip play sample for sample, jumps
are crossfaded. The seam with the clip jumps back a power of two of beats or of bars, to a
moment that sounds like the clip's last one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np
import torch

from .render import Run
from .tempo import ONSET_HOP, onset_envelope

ARRANGE_FADE_SECONDS = 0.008  # the crossfade at each jump, centred on it
CUT_LEAD_SECONDS = 0.012  # cuts fall this long before the clip's typical onset in a beat, so
# that the crossfade is over before the attack: the attack is played whole
PHASE_BINS = 64  # resolution of the beat phase at which onsets fall
MIN_BEATS = 4  # a clip with fewer whole beats than this is continued by the decoder alone
# The weights of the wishes, tuned on the 5 held-out songs' 8 pairs (docs/research-log.md):
SHARPNESS = 4.0  # logits per median cost: higher plays the likeliest beat, lower any beat
CONTINUITY = 2.0  # "follows well on the beat just played", against "sounds like the prediction"
BAR_BEATS = 4  # a jump by whole bars of this many beats keeps a downbeat a downbeat...
OFF_BAR = 2.0  # ...and one that does not costs this many logits
TRIPLE_METER = 0.75  # a clip is in 3 where its beats 3 apart are this much closer (mean square
# latent distance) than 4 apart: the held-out waltz wisphunt 0.2 and 0.4, 4/4 songs 0.9 to 1.8
SHORTEST_BAR_SECONDS = 1.6  # a beat found so fast that BAR_BEATS of them are shorter than this
# is an eighth note (airship_2's 90 bpm read as 180): its bar is twice as many
RECENCY = 0.5  # logits per bar that a beat lies before the clip's end: the last bars are the
# likeliest material of what comes next
DIVERSITY = 2.0  # logits off a beat for each earlier variation that played one like it at
# that place: in a song that repeats itself exactly, every variation replayed the last bar
# (4 logits kept them as far apart, at more of the pulse: docs/research-log.md)
SAME_SOUND = 0.25  # beats closer than this share of the median distance between beats sound
# alike (a bar repeated exactly: 0)
SEAM_FRAMES = 2.0  # latent frames before the clip's end that the seam's jump is matched on


@dataclass(frozen=True)
class BeatCuts:
    """The clip cut at its beats, in samples of the clip at its own rate: beat m starts at
    `origin + m * beat`; beats 0 .. `whole - 1` can be played whole, with room for a crossfade
    on each side; beat `whole` onwards reach the clip's end or beyond (the future). A bar is
    `meter` counted beats (the DAW's, or heard in the clip: `with_meter`; 4 until then) of
    `pulse` cut beats each (2 where the beat found is an eighth)."""

    origin: float
    beat: float
    length: int  # samples in the clip
    fade: int
    whole: int
    pulse: int = 1
    meter: int | None = None

    @property
    def bar(self) -> int:
        """Cut beats in a bar."""
        return self.pulse * (self.meter or BAR_BEATS)

    def start(self, m: int | np.ndarray) -> np.ndarray:
        return self.origin + np.asarray(m) * self.beat

    @property
    def last(self) -> int:
        """The beat that the clip's end falls in."""
        return math.floor((self.length - self.origin) / self.beat)


def cut_beats(samples: np.ndarray, rate: int, beat_seconds: float) -> BeatCuts | None:
    """The beat grid of `samples` ([channels, frames]) at its tempo, its cuts at the phase where
    the clip's onsets fall (less CUT_LEAD_SECONDS); None where fewer than MIN_BEATS fit."""
    beat = beat_seconds * rate
    fade = max(2, round(ARRANGE_FADE_SECONDS * rate))
    envelope = onset_envelope(samples, rate)
    origin = 0.0
    if envelope.size and envelope.max() > 0:
        # Frame i of the envelope is the flux into the FFT frame centred on (i + 1) hops + half
        # an FFT. The log flux of an attack peaks as it enters that frame, so this reads it up
        # to half an FFT early (10 ms at 48 kHz): the cut falls that much further before it.
        positions = (np.arange(envelope.size) + 1) * ONSET_HOP + 512
        phases = np.floor((positions % beat) / beat * PHASE_BINS).astype(int) % PHASE_BINS
        folded = np.bincount(phases, weights=envelope, minlength=PHASE_BINS)
        onset = (np.argmax(folded) + 0.5) / PHASE_BINS * beat
        origin = (onset - CUT_LEAD_SECONDS * rate) % beat
    first = math.ceil((fade - origin) / beat)  # room for a fade before it
    origin += max(first, 0) * beat
    length = samples.shape[-1]
    whole = math.floor((length - fade - origin) / beat)  # beats 0..whole-1 end a fade early
    if whole < MIN_BEATS:
        return None
    pulse = 1
    while pulse * BAR_BEATS * beat < SHORTEST_BAR_SECONDS * rate:
        pulse *= 2
    return BeatCuts(origin, beat, length, fade, whole, pulse)


def with_meter(cuts: BeatCuts, clip: np.ndarray) -> BeatCuts:
    """`cuts` with the clip's own bar: 3 counted beats where the clip's beats (`clip`, their
    descriptors [rows, beats, dim]) sound markedly more alike 3 apart than 4 apart, else 4.
    A waltz cut in bars of 4 keeps no downbeat, and a jump by 4 of its beats breaks its bar
    (every variation of a held-out waltz read 0.2 to 0.4 % off its tempo). A meter the DAW
    gave stays."""
    if cuts.meter is not None:
        return cuts
    whole = clip[:, : cuts.whole]

    def apart(beats: int) -> float:
        lag = beats * cuts.pulse
        return float(np.square(whole[:, lag:] - whole[:, :-lag]).mean())

    if whole.shape[1] < BAR_BEATS * cuts.pulse + 2:  # too few bars to tell
        return cuts
    triple = apart(3) < TRIPLE_METER * apart(BAR_BEATS)
    return replace(cuts, meter=3 if triple else BAR_BEATS)


def beat_descriptors(latent: np.ndarray, spans: np.ndarray) -> np.ndarray:
    """[rows, beats, dim]: the mean latent frame over each span ([beats, 2], in latent frames,
    fractional), weighting each frame by how much of it the span covers; `latent` is
    [rows, dim, frames]. Spans beyond the frames keep what they cover (a zero where nothing)."""
    frames = latent.shape[-1]
    edges = np.arange(frames + 1, dtype=np.float64)
    low, high = np.clip(spans[:, :1], 0, frames), np.clip(spans[:, 1:], 0, frames)
    cover = np.clip(np.minimum(high, edges[None, 1:]) - np.maximum(low, edges[None, :-1]), 0, None)
    weights = cover / np.maximum(cover.sum(axis=1, keepdims=True), 1e-9)  # [beats, frames]
    return np.einsum("bf,rdf->rbd", weights, latent)


@dataclass(frozen=True)
class LatentTimeline:
    """Where latent frames fall in the clip's samples: frame f spans `start + f * frame` to
    `start + (f + 1) * frame` (`start` is negative where the model heard more than the clip
    holds: a short clip is looped to fill its window)."""

    start: float
    frame: float

    def frames(self, samples: np.ndarray) -> np.ndarray:
        return (samples - self.start) / self.frame


class Arrangement(NamedTuple):
    runs: list[Run]  # stretches of the clip, in order
    beats: np.ndarray  # [future beats]: the clip's beat played at each (-1: none, the end)


def arrange(
    cuts: BeatCuts,
    clip_latent: np.ndarray,
    future_latent: np.ndarray,
    timeline: LatentTimeline,
    output_frames: int,
    temperature: float,
    generator: torch.Generator,
    first_playable: int = 0,
    taken: np.ndarray | None = None,
) -> Arrangement:
    """The runs of the clip that one variation plays, `output_frames` samples in all, and the
    beat it plays at each future beat.

    `clip_latent` ([groups, dim, frames]) are the latent frames of the clip, laid on it by
    `timeline`; `future_latent` ([groups, dim, frames]) the model's prediction from the clip's
    end on, frames of the same length. After the seam's jump (`_seam_lag`), only beats from
    `first_playable` on are played (the clip's current section). `taken` ([earlier
    variations, future beats]: the beats they played) makes this one an alternative: a beat
    that sounds like one an earlier variation played at the same place costs DIVERSITY
    logits for each.
    """
    mean = clip_latent.mean(axis=-1, keepdims=True)
    scale = clip_latent.std(axis=-1, keepdims=True) + 1e-6
    clip_z, future_z = (clip_latent - mean) / scale, (future_latent - mean) / scale
    last = cuts.last
    beats = np.arange(last + 1)
    clip_spans = np.stack([cuts.start(beats), cuts.start(beats + 1)], axis=1)
    clip = beat_descriptors(clip_z, timeline.frames(clip_spans))  # [groups, last + 1, dim]
    cuts = with_meter(cuts, clip)
    future_count = math.ceil((output_frames - (cuts.start(last + 1) - cuts.length)) / cuts.beat)
    future_beats = last + 1 + np.arange(max(future_count, 0))
    future_spans = np.stack([cuts.start(future_beats), cuts.start(future_beats + 1)], axis=1)
    predicted = beat_descriptors(future_z, (future_spans - cuts.length) / timeline.frame)

    first_playable = min(max(first_playable, 0), cuts.whole - 1)
    playable = np.arange(first_playable, cuts.whole)
    likeness = np.square(predicted[:, :, None] - clip[:, None, playable]).mean(axis=(0, 3))
    successors = np.square(clip[:, :, None] - clip[:, None, playable]).mean(axis=(0, 3))
    # [future beats, playable] and [last + 1, playable]: how far each playable beat is from
    # the prediction, and from the natural successor of each beat
    recency = RECENCY * (last - playable) / cuts.bar
    same = SAME_SOUND * float(np.median(successors))  # beats this close sound alike

    lag = _seam_lag(clip_z, timeline, cuts, temperature, generator)
    bounds = np.rint(cuts.start(future_beats) - cuts.length).astype(int)  # in the output
    edges = np.concatenate([[0], bounds, [output_frames]])
    start = round(cuts.length - lag * cuts.beat)
    runs = [[start, start + int(edges[1])]]
    current = last - lag
    played = np.full(len(future_beats), -1)
    for number in range(len(future_beats)):
        length = int(min(edges[number + 2], output_frames) - edges[number + 1])
        if length <= 0:
            break
        follow = current + 1
        cost = likeness[number] + CONTINUITY * successors[min(follow, last)]
        if first_playable <= follow < cuts.whole:  # its own successor follows seamlessly
            cost[follow - first_playable] = likeness[number, follow - first_playable]
        off_bar = (playable - follow) % cuts.bar != 0
        logits = -SHARPNESS * cost / max(float(np.median(cost)), 1e-9) - recency
        logits = logits - OFF_BAR * off_bar
        if taken is not None and taken.size:
            earlier = taken[:, number][taken[:, number] >= 0]
            logits = logits - DIVERSITY * (successors[earlier] < same).sum(axis=0)
        chosen = int(playable[_draw(logits, temperature, generator)])
        played[number] = chosen
        if chosen == follow:
            runs[-1][1] += length
        else:
            begin = round(float(cuts.start(chosen)))
            runs.append([begin, begin + length])
        current = chosen
    return Arrangement([(begin, end) for begin, end in runs], played)


def _seam_lag(
    clip_z: np.ndarray,
    timeline: LatentTimeline,
    cuts: BeatCuts,
    temperature: float,
    generator: torch.Generator,
) -> int:
    """How many beats back the continuation starts: a power of two of beats within a bar, or
    of bars (a beat, two, a bar, two bars...), drawn at the temperature, likelier the more the
    moment before it sounds like the clip's last moment, so that what plays after the seam is
    what followed a moment like the clip's end (the seam jolts less than the loop's:
    docs/evaluation.md)."""
    last = cuts.last
    backs = [2**k for k in range(8) if 2**k < cuts.bar] + [cuts.bar * 2**k for k in range(8)]
    candidates = [  # the seam's run must end a half fade before the clip does, or jump there
        back
        for back in backs
        if back <= cuts.whole and cuts.start(last - back + 1) + cuts.fade <= cuts.length
    ]
    ends = cuts.length - np.array([*candidates, 0]) * cuts.beat
    spans = np.stack([ends - SEAM_FRAMES * timeline.frame, ends], axis=1)
    moments = beat_descriptors(clip_z, timeline.frames(spans))  # [groups, candidates + 1, dim]
    distance = np.square(moments[:, :-1] - moments[:, -1:]).mean(axis=(0, 2))
    logits = -SHARPNESS * distance / max(float(np.median(distance)), 1e-9)
    return candidates[_draw(logits, temperature, generator)]


def _draw(logits: np.ndarray, temperature: float, generator: torch.Generator) -> int:
    """The index of the largest of `logits` plus Gumbel noise times `temperature`: a draw
    from their softmax at that temperature, reproducible by `generator`."""
    uniform = torch.rand(logits.shape[0], generator=generator, dtype=torch.float64).numpy()
    gumbel = -np.log(-np.log(np.clip(uniform, 1e-12, 1 - 1e-12)))
    return int(np.argmax(logits + temperature * gumbel))

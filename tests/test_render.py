"""Rendering from the clip: runs of its own samples, crossfaded at each jump, and the plan of
which beat each future beat plays."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from segue.engine import arrangement
from segue.engine.arrangement import (
    ARRANGE_FADE_SECONDS,
    CUT_LEAD_SECONDS,
    LatentTimeline,
    arrange,
    cut_beats,
    with_meter,
)
from segue.engine.render import crossfade_ramps, play_runs

RATE = 48000


def _noise(seconds: float, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((2, round(seconds * RATE))).astype("f4")


def test_runs_play_the_source_sample_for_sample_outside_their_crossfades() -> None:
    source, fade = _noise(2.0), 64
    runs = [(1000, 5000), (40000, 46000), (8000, 9000)]
    out = play_runs(source, runs, fade)
    assert out.shape == (2, 11000) and out.dtype == np.float32
    head, tail = fade // 2, fade - fade // 2
    at = 0
    for number, (start, end) in enumerate(runs):
        lead = head if number else 0
        trail = tail if number < len(runs) - 1 else 0
        inside = slice(at + lead, at + (end - start) - trail)
        assert np.array_equal(out[:, inside], source[:, start + lead : end - trail])
        at += end - start


def test_a_last_run_shorter_than_its_crossfade_is_played() -> None:
    """An output that ends a few samples after a jump (a beat boundary just before its end)
    plays those samples, faded in as far as they go: it raised a shape error."""
    source, fade = _noise(1.0), 353
    out = play_runs(source, [(1000, 5000), (20000, 20050)], fade)
    assert out.shape == (2, 4050)
    assert np.array_equal(out[:, : 4000 - fade // 2], source[:, 1000 : 5000 - fade // 2])


def test_a_crossfade_keeps_the_level_and_has_no_kink() -> None:
    up, down = crossfade_ramps(400)
    assert np.allclose(up**2 + down**2, 1.0, atol=1e-6)  # equal power: uncorrelated runs
    assert up[0] == pytest.approx(0.0, abs=1e-7) and up[-1] == pytest.approx(1.0)
    # A raised cosine starts and ends flat: no corner (a click) where the fade begins or ends.
    assert abs(up[1] - up[0]) < 1e-4 and abs(up[-1] - up[-2]) < 1e-4


def test_a_jump_between_two_tones_is_click_free() -> None:
    """The second difference (what a click is made of) across a jump from a tone to the same
    tone two radians later stays near the tone's own; cut hard, it is many times that."""
    t = np.arange(RATE) / RATE
    source = np.concatenate([np.sin(2 * np.pi * 220 * t), np.sin(2 * np.pi * 220 * t + 2.0)])
    source = source[None].astype(np.float32)  # 2 s, one channel: the phase jumps at 1 s
    fade = round(ARRANGE_FADE_SECONDS * RATE)
    runs = [(1000, 20000), (RATE + 1000, RATE + 20000)]
    out = play_runs(source, runs, fade)

    def jolt(x: np.ndarray) -> float:
        return float(np.abs(np.diff(x, 2)).max())

    tone = jolt(source[:, : RATE - 1])
    hard = np.concatenate([source[:, start:end] for start, end in runs], axis=1)
    assert jolt(out) < 2 * tone < jolt(hard) / 100


def test_a_run_without_room_for_its_crossfade_is_refused() -> None:
    source = _noise(0.5)
    end = source.shape[1]
    with pytest.raises(ValueError, match="run 1"):
        play_runs(source, [(100, 1000), (end - 500, end), (2000, 3000)], 64)


def _click_track(seconds: float, bpm: float, offset: float) -> np.ndarray:
    """Decaying noise bursts on each beat from `offset` seconds: a clip whose onsets are known."""
    out = np.zeros((2, round(seconds * RATE)), np.float32)
    burst = _noise(0.05, 1) * np.exp(-np.arange(round(0.05 * RATE)) / (0.01 * RATE))
    for at in np.arange(offset, seconds - 0.06, 60 / bpm):
        start = round(at * RATE)
        out[:, start : start + burst.shape[1]] += burst
    return out


def test_beats_are_cut_shortly_before_their_onsets() -> None:
    clip = _click_track(6.0, 120, offset=0.1)
    cuts = cut_beats(clip, RATE, 0.5)
    assert cuts is not None and cuts.beat == 0.5 * RATE
    onset_phase = (0.1 * RATE) % cuts.beat
    lead = (onset_phase - cuts.origin) % cuts.beat  # from the cut to the attack
    # The crossfade is over before the attack (the attack plays whole), and the cut is no
    # more than half an onset FFT further from it than CUT_LEAD_SECONDS.
    assert cuts.fade / 2 + CUT_LEAD_SECONDS * RATE / 2 < lead < CUT_LEAD_SECONDS * RATE + 512
    assert cuts.whole >= 10 and cuts.start(cuts.whole) + cuts.fade <= clip.shape[1]
    assert cut_beats(clip[:, :RATE], RATE, 0.5) is None  # under four whole beats
    assert cuts.bar == 4  # four beats of 120 bpm: 2 s
    fast = cut_beats(_click_track(6.0, 180, offset=0.1), RATE, 1 / 3)
    assert fast is not None and fast.bar == 8  # eighth notes of 90 bpm: their bar is 8


def _arrangement(
    wanted: list[int],
    monkeypatch: pytest.MonkeyPatch,
    temperature: float = 0.0,
    seed: int = 0,
    played: list[int] | None = None,
    bar: int | None = None,
    **weights: float,
):
    """Latent frames where each of a 120-bpm clip's beats is a distinct vector, and a
    prediction that asks for the beats `wanted`: the runs that the arrangement plays (cold,
    unless a `temperature` is given), with the arrangement's weights as given, and each
    beat's start; `played` gets the beat played at each future beat. Given a `bar`, the
    clip's beats repeat every `bar` beats, with a little of their own."""
    played = [] if played is None else played
    for name, value in weights.items():
        monkeypatch.setattr(arrangement, name, value)
    bpm, per_beat, dim = 120, 10, 16
    beat = 60 / bpm * RATE
    cuts = cut_beats(_click_track(6.0, bpm, offset=0.0), RATE, 60 / bpm)
    assert cuts is not None and cuts.whole >= 10
    timeline = LatentTimeline(start=cuts.origin, frame=beat / per_beat)
    vectors = np.random.default_rng(3).standard_normal((cuts.last + 1, dim))
    if bar is not None:  # each beat sounds like the same beat of every bar, and a little apart
        vectors = vectors[np.arange(cuts.last + 1) % bar] + 0.3 * vectors
    clip_latent = np.repeat(vectors.T, per_beat, axis=1)[None]  # frame f: beat f // 10
    lead = round((cuts.start(cuts.last + 1) - cuts.length) / timeline.frame)  # the clip ends
    # mid-beat: the first future beat starts where beat last + 1 would
    future = np.concatenate(
        [np.zeros((dim, lead))] + [np.repeat(vectors[b][:, None], per_beat, 1) for b in wanted],
        axis=1,
    )[None]
    output = round(cuts.start(cuts.last + 1) - cuts.length + len(wanted) * beat)
    generator = torch.Generator().manual_seed(seed)
    arranged = arrange(cuts, clip_latent, future, timeline, output, temperature, generator)
    assert sum(end - start for start, end in arranged.runs) == output
    played.extend(arranged.beats.tolist())
    return arranged.runs, [round(float(cuts.start(b))) for b in range(cuts.last + 1)]


def test_the_prediction_says_which_beat_plays_next(monkeypatch: pytest.MonkeyPatch) -> None:
    """Asked for beats 3, 7, 7, 1, 9, 2 with no other wish, the arrangement plays exactly
    those, each a jump (7 after 7 is a repeat, not a successor)."""
    wanted = [3, 7, 7, 1, 9, 2]
    runs, starts = _arrangement(wanted, monkeypatch, CONTINUITY=0.0, RECENCY=0.0, OFF_BAR=0.0)
    assert [start for start, _ in runs[1:]] == [starts[b] for b in wanted]


def test_beats_that_follow_each_other_play_as_one_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """Beats 2, 3, 4, 5 then 8, 9: two runs of the clip after the seam, played through."""
    runs, starts = _arrangement([2, 3, 4, 5, 8, 9], monkeypatch, CONTINUITY=0.0, RECENCY=0.0)
    beat = starts[1] - starts[0]
    assert [start for start, _ in runs[1:]] == [starts[2], starts[8]]
    assert abs((runs[1][1] - runs[1][0]) - 4 * beat) <= 1


def test_a_jump_keeps_its_place_in_the_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the shipped weights, a prediction that asks for beats off the bar (the clip's beat
    1 after its beat 4, where a whole bar's jump would land on 1 + 4k) is played with jumps
    that keep the downbeat: every run starts a whole number of bars from where the clip's
    own successor would have been."""
    runs, starts = _arrangement([5, 2, 7, 3, 6, 1, 4, 2], monkeypatch)
    beat = starts[1] - starts[0]
    at = runs[0][1]  # where the clip would have gone on after the seam's run
    for start, end in runs[1:]:
        assert round((start - at) / beat) % arrangement.BAR_BEATS == 0
        at = end


@pytest.mark.parametrize("bar", [3, 4])
def test_a_jump_keeps_the_clips_own_bar(bar: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A clip whose beats repeat every 3 beats is in 3: its jumps are by whole bars of 3 (a
    waltz jumped by 4 beats loses its downbeat); one that repeats every 4 is in 4."""
    cuts = cut_beats(_click_track(6.0, 120, offset=0.0), RATE, 0.5)
    assert cuts is not None
    descriptors = np.random.default_rng(1).standard_normal((1, cuts.last + 1, 8))
    repeating = descriptors[:, np.arange(cuts.last + 1) % bar] + 0.3 * descriptors
    assert with_meter(cuts, repeating).bar == bar
    assert with_meter(cuts, descriptors).bar == arrangement.BAR_BEATS  # no bar to hear: 4
    assert with_meter(replace(cuts, meter=4), repeating).bar == 4  # the DAW's meter stays
    runs, starts = _arrangement([5, 2, 7, 3, 6, 1, 4, 2], monkeypatch, bar=bar)
    beat = starts[1] - starts[0]
    at = runs[0][1]
    for start, end in runs[1:]:
        assert round((start - at) / beat) % bar == 0
        at = end


def test_the_temperature_says_how_far_it_strays(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cold, the seed changes nothing and every asked-for beat is played; hot, each seed
    plays its own arrangement, and fewer of the beats asked for."""
    wanted = [3, 7, 7, 1, 9, 2, 5, 8]
    weights = {"CONTINUITY": 0.0, "RECENCY": 0.0, "OFF_BAR": 0.0}

    def played(temperature: float, seed: int) -> list[int]:
        beats: list[int] = []
        _arrangement(wanted, monkeypatch, temperature, seed, beats, **weights)
        return beats[: len(wanted)]

    assert played(0.0, 0) == played(0.0, 1) == wanted
    hot = [played(3.0, seed) for seed in range(4)]
    assert len({tuple(h) for h in hot}) == 4
    assert np.mean([np.mean(np.array(h) == wanted) for h in hot]) < 0.8


def test_a_clip_that_ends_just_after_a_beat_still_has_room_for_the_seams_jump() -> None:
    """The clip ends 1 ms into a beat: replaying one beat back would end the seam's run where
    the clip ends, with no room to fade out of it (play_runs refused such a run). Every
    drawn seam leaves that room."""
    beat = 0.5 * RATE
    clip = _click_track(6.0, 120, offset=0.0)
    cuts = cut_beats(clip, RATE, 0.5)
    assert cuts is not None
    end = round(cuts.start(cuts.last) + 0.001 * RATE)
    cuts = cut_beats(clip[:, :end], RATE, 0.5)
    assert cuts is not None and cuts.length - cuts.start(cuts.last) < cuts.fade
    timeline = LatentTimeline(start=cuts.origin, frame=beat / 10)
    latent = np.random.default_rng(0).standard_normal((1, 8, round(end / timeline.frame) + 10))
    for seed in range(40):
        generator = torch.Generator().manual_seed(seed)
        runs = arrange(cuts, latent, latent, timeline, RATE, 5.0, generator).runs
        play_runs(clip[:, :end], runs, cuts.fade)

"""`segue eval`: every measure on cases where the right answer is known, the baselines, the
pairs and the training-song check, and the real command end to end on procedural songs."""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
import scipy.signal
from commands import segue_here
from helpers import side_to_mid_db, write_clip

from segue.engine.audio import resample
from segue.engine.modelfile import open_model, save_model
from segue.procedural import generate_song, song_spec
from segue.trainer import baselines, metrics
from segue.trainer.eval_results import EVAL_RATE
from segue.trainer.evaluate import cut_pairs, find_songs, is_training_song, model_names

pytestmark = pytest.mark.long  # among the suite's longest files: handed out early

RATE = EVAL_RATE
SPLIT = 8.0  # seconds of input before the truth
LENGTH = 6.0  # seconds of truth


def _cut(song: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    split, end = round(SPLIT * RATE), round((SPLIT + LENGTH) * RATE)
    return song[:, :split], song[:, split:end]


@pytest.fixture(scope="module")
def rock():
    """(spec, input, truth): a procedural rock song, its first 8 s and the 6 s that follow."""
    spec = song_spec(3, style="rock")
    return (spec, *_cut(generate_song(spec, SPLIT + LENGTH, RATE)))


@pytest.fixture(scope="module")
def ballad():
    """A procedural ballad: sparse, so a click or a copy stands out."""
    spec = song_spec(5, style="ballad")
    return (spec, *_cut(generate_song(spec, SPLIT + LENGTH, RATE)))


@pytest.fixture(scope="module")
def techno():
    """A procedural techno track: a steady beat whose last bar loops well."""
    spec = song_spec(5, style="techno")
    return (spec, *_cut(generate_song(spec, SPLIT + LENGTH, RATE)))


def _variant(spec, **changes) -> np.ndarray:
    """The same song (same seed: same parts) with its key or tempo changed: the truth's part."""
    return _cut(generate_song(dataclasses.replace(spec, **changes), SPLIT + LENGTH, RATE))[1]


def _rng() -> np.random.Generator:
    return np.random.default_rng(0)


def test_a_muffled_copy_scores_worse_on_the_highs(rock) -> None:
    _, _, truth = rock
    low, high = scipy.signal.butter(4, 1500 / (RATE / 2))
    muffled = scipy.signal.lfilter(low, high, truth).astype(np.float32)
    assert metrics.high_frequency_error(truth, truth, RATE) == 0.0
    assert metrics.high_frequency_error(muffled, truth, RATE) > 10.0
    assert metrics.log_mel_distance(truth, truth, RATE) == 0.0
    assert metrics.log_mel_distance(muffled, truth, RATE) > 5.0
    assert metrics.frame_distance(muffled, truth, RATE) > metrics.frame_distance(truth, truth, RATE)


def test_a_transposed_copy_scores_worse_on_chroma_and_noise_scores_low(rock) -> None:
    spec, _, truth = rock
    transposed = _variant(spec, key=(spec.key + 6) % 12)  # a tritone away: other pitch classes
    assert metrics.chroma_similarity(truth, truth, RATE) == pytest.approx(1.0)
    assert metrics.chroma_similarity(transposed, truth, RATE) < 0.3
    assert metrics.chroma_similarity(np.zeros_like(truth), truth, RATE) == 0.0
    noise = [np.random.default_rng(k).standard_normal(truth.shape) * 0.1 for k in range(4)]
    scores = [metrics.chroma_similarity(n.astype(np.float32), truth, RATE) for n in noise]
    assert np.mean(scores) < 0.5


def test_a_tempo_changed_copy_scores_worse_on_tempo(rock) -> None:
    spec, before, truth = rock
    faster = _variant(spec, bpm=spec.bpm * 1.2)
    assert metrics.tempo_bpm(before, RATE) == pytest.approx(spec.bpm, rel=0.02)
    assert metrics.tempo_error(truth, before, RATE) < 2.0
    assert metrics.tempo_error(faster, before, RATE) == pytest.approx(20.0, abs=3.0)
    nudged = _variant(spec, bpm=spec.bpm * 1.005)  # a jump off the beat grid drifts this much
    assert metrics.tempo_error(truth, before, RATE) < 0.1
    assert metrics.tempo_error(nudged, before, RATE) == pytest.approx(0.5, abs=0.15)
    assert metrics.tempo_error(np.zeros_like(truth), before, RATE) == metrics.MAX_TEMPO_ERROR
    noise = baselines.noise(before, truth.shape[1], RATE, _rng())  # no pulse: no tempo to read
    assert metrics.tempo_error(noise, before, RATE) == metrics.MAX_TEMPO_ERROR
    assert math.isnan(metrics.tempo_error(truth, noise, RATE))  # nothing to keep: not counted
    assert metrics.fold_octaves(2.0) == 1.0 and metrics.fold_octaves(0.5) == 1.0
    assert metrics.fold_octaves(1.2) == pytest.approx(1.2)


def test_a_drone_fails_frame_realism_and_pulse_where_the_truth_and_a_loop_pass(techno) -> None:
    _, before, truth = techno
    drone = baselines.drone(before, truth.shape[1], RATE, _rng())
    loop = baselines.loop(before, truth.shape[1], RATE, _rng())
    frames = {
        name: metrics.frame_distance(x, truth, RATE)
        for name, x in (("drone", drone), ("loop", loop), ("truth", truth))
    }
    pulse = {
        name: metrics.pulse_error(x, truth, RATE)
        for name, x in (("drone", drone), ("loop", loop), ("truth", truth))
    }
    assert frames["truth"] < 1e-3 < frames["loop"] < frames["drone"]
    assert pulse["truth"] == 0.0 and pulse["loop"] < 1.0 < 2.0 < pulse["drone"]
    assert metrics.pulse_clarity(drone, RATE) < 0.15 < 0.3 < metrics.pulse_clarity(truth, RATE)


def test_a_drone_has_the_inputs_stereo_image(techno) -> None:
    """A mono input gets a mono drone, not two unrelated noises (3 dB down in a mono downmix);
    a wide one a drone about as wide."""
    _, before, truth = techno
    mono = np.repeat(before[:1], 2, axis=0)
    drone = baselines.drone(mono, truth.shape[1], RATE, _rng())
    assert np.allclose(drone[0], drone[1], atol=1e-6) and np.abs(drone).max() > 0.01
    wide = np.stack([before[0], 0.5 * before[0] + _rng().normal(0, 0.05, before.shape[1])])
    drone = baselines.drone(wide.astype(np.float32), truth.shape[1], RATE, _rng())
    assert abs(side_to_mid_db(drone) - side_to_mid_db(wide[:, -2 * RATE :])) < 2.0


def test_a_loop_is_a_copy_and_new_material_is_not(ballad) -> None:
    _, before, truth = ballad
    loop = baselines.loop(before, truth.shape[1], RATE, _rng())
    other = _cut(generate_song(song_spec(6, style="techno"), SPLIT + LENGTH, RATE))[1]
    copy = {
        name: metrics.copy_score(x, before, RATE)
        for name, x in (("loop", loop), ("truth", truth), ("other", other))
    }
    assert copy["loop"] > 0.8
    assert copy["truth"] < copy["loop"] - 0.1
    assert copy["other"] < 0.5
    assert metrics.copy_score(np.zeros_like(truth), before, RATE) == 0.0


def test_loudness_difference_of_a_copy_at_minus_6_db_is_6(rock) -> None:
    _, _, truth = rock
    half = truth * np.float32(10 ** (-6 / 20))
    assert metrics.loudness_difference(half, truth, RATE) == pytest.approx(6.0, abs=0.05)
    assert metrics.loudness_difference(truth, truth, RATE) == 0.0


def test_a_clicky_seam_scores_worse_than_a_smooth_one(ballad) -> None:
    _, before, truth = ballad
    smooth = metrics.seam_jump(truth, before, RATE)
    clicky = metrics.seam_jump(truth + np.float32(0.5), before, RATE)  # starts 0.5 away
    assert smooth < 1.5 < 2 * smooth < clicky
    assert metrics.seam_jump(np.zeros_like(truth), before, RATE) > 3.0


def test_identical_variations_have_no_spread(rock) -> None:
    _, before, truth = rock
    assert metrics.variation_spread([truth, truth, truth], truth, RATE) == (0.0, 0.0)
    noises = [
        baselines.noise(before, truth.shape[1], RATE, np.random.default_rng(k)) for k in (1, 2)
    ]
    spread, ratio = metrics.variation_spread(noises, truth, RATE)
    assert spread > 0.5 and 0.0 < ratio < 1.0
    with pytest.raises(ValueError):
        metrics.variation_spread([truth], truth, RATE)


def test_a_band_limited_copy_fails_the_band_measure_at_the_songs_own_rate() -> None:
    """What a 24 kHz model plays, cut at 12 kHz, looks like the truth at EVAL_RATE (11 kHz
    Nyquist): the band measure is scored at the song's rate, where it fails."""
    native = 44100
    truth = generate_song(song_spec(3, style="rock"), 4.0, native)
    cut = {hz: _low_passed(truth, hz, native) for hz in (8000, 12000)}
    assert metrics.band_error(truth, truth, native) == 0.0
    assert metrics.band_error(cut[8000], truth, native) > 2.0
    assert metrics.band_error(cut[12000], truth, native) > 0.25
    at_eval = [resample(x, native, RATE) for x in (truth, cut[12000])]
    assert metrics.band_error(at_eval[1], at_eval[0], RATE) < 0.05
    both = metrics.score_case(
        metrics.Case(at_eval[0], at_eval[0], at_eval[1], RATE),
        metrics.Case(truth, truth, cut[12000], native),
    )
    assert both["band_error"] == metrics.band_error(cut[12000], truth, native)
    assert both["high_frequency_error"] == metrics.high_frequency_error(*at_eval[::-1], RATE)


def test_a_noisy_copy_and_a_drone_fail_cleanliness_where_a_muffled_copy_passes(techno) -> None:
    _, before, truth = techno
    hiss = np.random.default_rng(0).normal(0, 0.02, truth.shape).astype(np.float32)  # -18 dB
    assert metrics.flatness_error(truth, truth, RATE) == 0.0
    assert metrics.flatness_error(truth + hiss, truth, RATE) > 2.0
    assert metrics.flatness_error(_low_passed(truth, 8000, RATE), truth, RATE) < 0.1
    drone = baselines.drone(before, truth.shape[1], RATE, _rng())
    assert metrics.flatness_db(drone, RATE) > metrics.flatness_db(before, RATE) + 3.0


def _low_passed(samples: np.ndarray, hz: float, rate: int) -> np.ndarray:
    sections = scipy.signal.butter(8, hz, fs=rate, output="sos")
    return scipy.signal.sosfilt(sections, samples).astype(np.float32)


def _smooth_song(seconds: float, beat: float = 0.55) -> np.ndarray:
    """Sustained chords (continuous phase, a new one each bar) over a soft kick on each beat:
    no sample-to-sample jolt anywhere, so a cut between two of its beats would show."""
    t = np.arange(round(seconds * RATE)) / RATE
    chords = np.array([(233.0, 293.0), (262.0, 311.0), (208.0, 277.0), (247.0, 370.0)])
    bar = (t // (4 * beat)).astype(int) % len(chords)
    phases = 2 * np.pi * np.cumsum(chords[bar], axis=0) / RATE
    since = t % beat
    kick = np.sin(2 * np.pi * 55 * since) * (1 - np.exp(-since / 0.004)) * np.exp(-since / 0.08)
    mono = 0.12 * np.sin(phases).sum(axis=1) + 0.5 * kick
    return np.stack([mono, mono]).astype(np.float32)


def _jolt(samples: np.ndarray) -> float:
    """The largest second difference of the mono mix: a click's signature."""
    return float(np.abs(np.diff(metrics.mono(samples), 2)).max())


def test_the_jukebox_rearranges_the_inputs_beats_without_a_click() -> None:
    before = _smooth_song(8.0)
    frames = round(LENGTH * RATE)
    played = baselines.jukebox(before, frames, RATE, _rng())
    assert played.shape == (2, frames)
    assert np.array_equal(played, baselines.jukebox(before, frames, RATE, _rng()))
    assert not np.allclose(
        played, baselines.jukebox(before, frames, RATE, np.random.default_rng(1))
    )
    assert metrics.loudness(played, RATE) == pytest.approx(metrics.loudness(before, RATE), abs=0.1)
    runs = baselines.jukebox_runs(before, frames, RATE, _rng())
    assert len(runs) > 2 and sum(end - start for start, end in runs) == frames
    cut = np.concatenate([before[:, start:end] for start, end in runs], axis=1)
    assert _jolt(played) < 1.2 * _jolt(before) < 0.1 * _jolt(cut)  # the same runs, cut hard
    silent = np.zeros_like(before)  # no beat at all: fixed segments, and silence stays silent
    assert not baselines.jukebox(silent, frames, RATE, _rng()).any()


def test_the_jukebox_is_newer_than_the_loop_and_as_clean_as_the_clip(ballad) -> None:
    """Its variations are other orders of the same beats: each less of a copy than the loop
    (procedural songs repeat themselves exactly, so by less than on real music), in time,
    as clean as the clip, and joined to it at least as smoothly as the loop is."""
    _, before, truth = ballad
    loop = baselines.loop(before, truth.shape[1], RATE, _rng())
    played = [
        baselines.jukebox(before, truth.shape[1], RATE, np.random.default_rng(k)) for k in range(4)
    ]
    copy = [metrics.copy_score(x, before, RATE) for x in played]
    looped = metrics.copy_score(loop, before, RATE)
    assert max(copy) < looped and np.mean(copy) < looped - 0.05
    for x in played:
        assert metrics.flatness_error(x, before, RATE) < 1.0
        assert metrics.tempo_error(x, before, RATE) < 2.0
        assert metrics.seam_jump(x, before, RATE) < metrics.seam_jump(loop, before, RATE)


def test_baselines_keep_the_input_loudness_and_the_loop_its_bar(rock) -> None:
    spec, before, truth = rock
    level = metrics.loudness(before, RATE)
    frames = truth.shape[1]
    for name, baseline in baselines.BASELINES.items():
        played = baseline(before, frames, RATE, _rng())
        assert played.shape == truth.shape and played.dtype == np.float32, name
        if name != "silence":
            assert metrics.loudness(played, RATE) == pytest.approx(level, abs=0.5), name
    assert not baselines.silence(before, frames, RATE, _rng()).any()
    bar = metrics.beat_period(before, RATE, baselines.BEATS_PER_BAR)
    assert bar == pytest.approx(spec.bar_seconds, rel=0.01)
    assert baselines.truth_of(truth)(before, frames, RATE, _rng()) is not None


# --------------------------------------------------------------------------- pairs and songs


def _library(folder: Path, seconds: float = 20.0) -> dict[str, Path]:
    """Two procedural songs as a 44.1 kHz wav and a 22.05 kHz ogg, a broken file, a short one."""
    folder.mkdir(parents=True, exist_ok=True)
    songs = {
        "song-a.wav": (song_spec(11, style="rock"), 44100),
        "more/song-b.ogg": (song_spec(12, style="techno"), 22050),
    }
    paths = {}
    for name, (spec, rate) in songs.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        paths[name] = write_clip(path, generate_song(spec, seconds, rate), rate)
    (folder / "broken.wav").write_bytes(b"RIFF not really a wav file at all")
    paths["short.wav"] = write_clip(folder / "short.wav", generate_song(spec, 2.0, 22050), 22050)
    return paths


def test_pairs_are_spread_seeded_and_skip_what_cannot_be_used(tmp_path: Path) -> None:
    _library(tmp_path / "lib")
    songs = find_songs(tmp_path / "lib")
    assert [s.name for s in songs] == ["broken.wav", "song-b.ogg", "short.wav", "song-a.wav"]
    pairs, skipped = cut_pairs(songs, tmp_path / "lib", 4, 4.0, 3.0, seed=1)
    again, _ = cut_pairs(songs, tmp_path / "lib", 4, 4.0, 3.0, seed=1)
    assert len(pairs) == 4
    assert {p.song for p in pairs} == {"song-a.wav", "more/song-b.ogg"}
    assert [(p.song, p.start) for p in pairs] == [(p.song, p.start) for p in again]
    assert "not audio" in skipped["broken.wav"] and "shorter than a pair" in skipped["short.wav"]
    for pair in pairs:
        assert pair.before.shape == (2, round(4.0 * pair.rate))
        assert pair.truth.shape == (2, round(3.0 * pair.rate))
    for song in ("song-a.wav", "more/song-b.ogg"):
        starts = sorted(p.start for p in pairs if p.song == song)
        assert all(b - a >= 7.0 for a, b in itertools.pairwise(starts))


def test_training_songs_are_recognised_by_their_recorded_path(tmp_path: Path) -> None:
    paths = _library(tmp_path / "lib")
    song_b = paths["more/song-b.ogg"]
    assert is_training_song(song_b, ["more/song-b.ogg"])
    assert is_training_song(song_b, ["song-b"])  # older model files: the name without suffix
    assert not is_training_song(song_b, ["other/song-b.ogg", "song-a.wav", "song-bb.ogg"])
    link = tmp_path / "held-out" / "b.ogg"
    link.parent.mkdir()
    link.symlink_to(song_b)
    assert is_training_song(link, ["more/song-b.ogg"])  # a link is judged by what it points to
    assert model_names(["default", "x/a.safetensors", "y/b.safetensors"]) == ["default", "a", "b"]
    assert model_names(["default", "x/default.safetensors"]) == ["default", "x/default"]
    assert model_names(["a/x/m.safetensors", "b/x/m.safetensors", "y/m.safetensors"]) == [
        "a/x/m.safetensors",
        "b/x/m.safetensors",
        "y/m",
    ]


def test_bad_data_and_trained_songs_are_refused_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "a.wav").write_bytes(b"nothing")
    paths = _library(tmp_path / "lib")
    trained = tmp_path / "trained.safetensors"
    loaded = open_model("default")
    save_model(trained, loaded.model, {"data": {"train_songs": ["more/song-b.ogg"]}})
    cases = [
        ([str(tmp_path / "empty")], "no audio files"),
        ([str(tmp_path / "bad")], "no usable audio"),
        ([str(tmp_path / "lib"), "-m", str(trained)], "--trained skip"),
        ([str(paths["song-a.wav"]), "--seconds", "0"], "must be positive"),
    ]
    for args, words in cases:
        result = segue_here("eval", *args, ok=False)
        assert result.exit_code == 1, result.output
        message = result.output.strip().splitlines()[-1]
        assert message.startswith("Error: ") and words in message, result.output


# --------------------------------------------------------------------------- end to end


class _Sources(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.sources += [value for key, value in attrs if key in ("src", "href")]


def test_segue_eval_compares_models_and_baselines_in_one_run(tmp_path: Path) -> None:
    _library(tmp_path / "lib")
    trained = tmp_path / "trained.safetensors"
    loaded = open_model("default")
    save_model(trained, loaded.model, {"data": {"train_songs": ["more/song-b.ogg"]}})
    report = tmp_path / "report"
    result = segue_here("eval", str(tmp_path / "lib"), "-m", "default", "-m", str(trained),
                        "--pairs", "2", "--input-seconds", "4", "--seconds", "3",
                        "--variations", "2", "--trained", "flag", "--statistic", "median",
                        "--json", "--report", str(report))  # fmt: skip
    results = json.loads(result.stdout)
    systems = ["default", "trained", "silence", "noise", "drone", "loop", "jukebox", "truth"]
    assert [s["name"] for s in results["systems"]] == systems
    rows = [line.split()[0] for line in result.stderr.splitlines() if line.strip()]
    assert all(name in rows for name in systems), result.stderr
    assert re.search(r"mel ↓.*band ↓.*flatness ↓.*chroma ↑.*copy ≈T.*spread ↑", result.stderr)
    native = ["band_error", "flatness_error", "loudness_difference"]
    assert results["settings"]["native_rate_measures"] == native
    assert "median over pairs" in result.stderr
    assert len(results["pairs"]) == 2
    for pair in results["pairs"]:
        assert pair["trained_on"] == (["trained"] if pair["song"] == "more/song-b.ogg" else [])
    by_name = {s["name"]: s["measures"] for s in results["systems"]}
    assert by_name["truth"]["mel_distance"]["mean"] == 0.0
    assert by_name["silence"]["loudness_difference"]["mean"] > 20.0
    assert by_name["default"]["variation_spread"]["mean"] > 0.0
    assert by_name["loop"]["variation_spread"]["values"] == [None, None]
    assert by_name["jukebox"]["variation_spread"]["mean"] > 0.0  # other orders of the beats
    for measure in ("band_error", "flatness_error"):
        assert by_name["truth"][measure]["mean"] == 0.0
        assert by_name["noise"][measure]["mean"] > by_name["jukebox"][measure]["mean"]
    assert len(by_name["drone"]["frame_distance"]["values"]) == 2
    # Each variation alone, beside the mean over them: its own rows in the JSON and the table.
    each = {s["name"]: s["each_variation"] for s in results["systems"]}
    assert list(each["default"]) == ["default v1", "default v2"] and each["loop"] == {}
    alone = [row["mel_distance"]["values"] for row in each["default"].values()]
    assert np.allclose(np.mean(alone, axis=0), by_name["default"]["mel_distance"]["values"])
    assert "variation_spread" not in each["default"]["default v1"]
    lines = result.stderr.splitlines()
    assert any(line.startswith("default v2 ") for line in lines), result.stderr
    assert json.loads((report / "results.json").read_text())["systems"][0]["name"] == "default"
    parser = _Sources()
    parser.feed((report / "index.html").read_text())
    audio = [s for s in parser.sources if s.endswith(".mp3")]
    assert len(audio) == 2 * (1 + len(systems))
    assert all((report / source).is_file() for source in parser.sources), parser.sources
    assert (report / "distributions.png").stat().st_size > 10_000
    assert not list(report.rglob(".*.part"))


def test_without_the_eval_extra_segue_eval_names_it(tmp_path: Path) -> None:
    """The plain install leaves librosa out: `segue eval` and its help then say which extra to
    install, in one line, where a traceback would have been (librosa is made unimportable in
    a real `python` process, as on a machine without it; the other commands never import it)."""
    blocked = "import sys; sys.modules['librosa'] = None; from segue.cli import run; run()"
    for args in (["eval", str(tmp_path)], ["eval", "--help"]):
        result = subprocess.run(
            [sys.executable, "-c", blocked, *args], capture_output=True, text=True, timeout=120
        )
        assert "pip install 'segue[eval]'" in result.stdout + result.stderr
        assert "Traceback" not in result.stderr
    assert result.returncode == 0  # the help is shown, with the extra named

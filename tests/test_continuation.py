"""Continuation as a DAW needs it: exact length, the clip's rate and channels, matched loudness,
no click at the seam, K real variations of the same clip."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from helpers import file_digest, procedural_clip, write_clip

from segue.engine import continuation
from segue.engine.arrangement import arrange
from segue.engine.audio import Audio, AudioError, loudness_db, read_audio
from segue.engine.continuation import (
    REPLAY_PHASE_TOLERANCE,
    REPLAY_WEIGHT,
    _distinct_periods,
    _sampling,
    beat_grid,
    continue_clip,
    continue_file,
    current_section,
)
from segue.engine.modelfile import LoadedModel
from segue.engine.outputs import output_paths
from segue.engine.requests import ContinueSettings, bars_to_seconds, continue_settings
from segue.engine.tempo import ONSET_HOP, onset_envelope
from segue.procedural import song_spec
from segue.trainer.metrics import (
    band_error,
    flatness_error,
    frame_distance,
    high_share,
    log_mel_distance,
    pulse_clarity,
)

pytestmark = pytest.mark.long  # among the suite's longest files: handed out early


def _tail_loudness(audio: Audio, seconds: float) -> float:
    return loudness_db(audio.samples[:, -round(seconds * audio.rate) :], audio.rate)


def _seam_jump(clip: np.ndarray, continuation: np.ndarray) -> float:
    """The step at the join, relative to the clip's own typical sample-to-sample step."""
    step = np.abs(continuation[:, 0] - clip[:, -1])
    typical = np.percentile(np.abs(np.diff(clip, axis=1)), 99, axis=1)
    return float(np.max(step / (typical + 1e-9)))


def _log_spectrogram(x: np.ndarray, rate: int = 44100) -> np.ndarray:
    """Log power below 10 kHz: the band both a 24 kHz model and its clip cover."""
    mono = x.mean(axis=0)
    frames = np.lib.stride_tricks.sliding_window_view(mono, 2048)[::512] * np.hanning(2048)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    return np.log(power[:, : round(10_000 * 2048 / rate)] + 1e-8)


def _timbre_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Distance between average log spectra: does this sound like the same music?"""
    return float(np.mean(np.abs(_log_spectrogram(a).mean(0) - _log_spectrogram(b).mean(0))))


def _frame_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Mean log-power difference, frame by frame: do these play different notes and hits?"""
    return float(np.mean(np.abs(_log_spectrogram(a) - _log_spectrogram(b))))


@pytest.mark.parametrize(
    ("rate", "channels", "seconds"),
    [(44100, 2, 3.7), (48000, 2, 10.0), (44100, 1, 2.0), (32000, 6, 1.5), (8000, 2, 1.0)],
)
def test_exact_length_rate_and_channels(
    default_model: LoadedModel, rate: int, channels: int, seconds: float
) -> None:
    stereo = procedural_clip(9.0, rate)
    samples = np.concatenate([stereo] * 3)[:channels] if channels != 1 else stereo[:1]
    (out,) = continue_clip(default_model, Audio(samples, rate), ContinueSettings(seconds, seed=0))
    assert out.shape == (channels, round(seconds * rate)) and out.dtype == np.float32
    assert np.isfinite(out).all() and np.abs(out).max() <= 1.0


def test_loudness_matches_the_tail_and_the_seam_does_not_click(default_model: LoadedModel) -> None:
    for style, rate in [("rock", 44100), ("ballad", 48000), ("techno", 22050)]:
        clip = Audio(procedural_clip(12.0, rate, style) * 0.3, rate)  # quiet, to test the gain
        (out,) = continue_clip(default_model, clip, ContinueSettings(8.0, seed=1))
        window = default_model.config.window_seconds
        assert abs(loudness_db(out, rate) - _tail_loudness(clip, window)) < 1.5, style
        assert _seam_jump(clip.samples, out) < 1.0, style


def _lowpass(samples: np.ndarray, hertz: float, rate: int) -> np.ndarray:
    spectrum = np.fft.rfft(samples, axis=-1)
    spectrum[..., np.fft.rfftfreq(samples.shape[-1], 1 / rate) > hertz] = 0
    return np.fft.irfft(spectrum, n=samples.shape[-1], axis=-1).astype(np.float32)


def _high_share_db(samples: np.ndarray, rate: int) -> float:
    """`segue eval`'s share of the power above 3 kHz, in dB."""
    return float(10 * np.log10(high_share(samples, rate)))


def _breakdown(samples: np.ndarray, rate: int, seconds: float = 5.0) -> np.ndarray:
    """The song with its upper instruments gone for its last `seconds`."""
    out = samples.copy()
    out[:, -round(seconds * rate) :] = _lowpass(samples[:, -round(seconds * rate) :], 2000, rate)
    return out


def test_after_a_section_change_the_continuation_sounds_like_the_clips_end(
    default_model: LoadedModel,
) -> None:
    """A clip whose highs stop 5 s before its end (a breakdown) is continued with the tone and
    loudness of those last seconds: matched to the whole window, as before, the continuation
    brought the highs back (-18 dB of its power above 3 kHz, the window's -17, where the clip's
    end has next to none; now -34). A clip that goes on as it began keeps its whole window."""
    rate = default_model.config.sample_rate
    window = procedural_clip(default_model.config.window_seconds, rate, "rock", seed=2)
    assert current_section(window, rate).shape == window.shape
    assert current_section(_breakdown(window, rate), rate).shape == (2, 4 * rate)

    rate = 44100
    clip = _breakdown(procedural_clip(12.0, rate, "rock", seed=2), rate)
    (out,) = continue_clip(default_model, Audio(clip, rate), ContinueSettings(6.0, seed=1))
    whole = _high_share_db(clip[:, -8 * rate :], rate)  # -17 dB
    assert _high_share_db(out, rate) < whole - 10
    assert abs(loudness_db(out, rate) - _tail_loudness(Audio(clip, rate), 4.0)) < 1.5


@pytest.mark.parametrize("style", ["techno", "ballad"])
def test_a_48_khz_clip_is_continued_to_the_top_of_its_band(
    default_model: LoadedModel, decoder_model: LoadedModel, style: str
) -> None:
    """Played from the clip's own beats, a continuation of a 48 kHz clip keeps the band and
    the cleanliness of the clip's end (the 8 s the model heard); the decoder's, at the model's
    24 kHz, stops at 12 kHz and is grainier."""
    rate = 48000
    clip = Audio(procedural_clip(10.0, rate, style, seed=2), rate)
    heard = clip.samples[:, -8 * rate :]
    (played,) = continue_clip(default_model, clip, ContinueSettings(8.0, seed=0))
    (decoded,) = continue_clip(decoder_model, clip, ContinueSettings(8.0, seed=0))
    assert band_error(played, heard, rate) < 0.2 < 0.5 < band_error(decoded, heard, rate)
    # Measured: flatness 0.45 and 0.40 dB off the clip's end, the decoder's 0.99 and 2.21.
    assert flatness_error(played, heard, rate) < 0.6 < 0.9 < flatness_error(decoded, heard, rate)


def test_a_clip_with_no_beat_is_rendered_by_the_decoder(default_model: LoadedModel) -> None:
    """Noise has no beat to cut at: the decoder plays it, at the clip's rate and length."""
    rate = 44100
    noise = np.random.default_rng(0).standard_normal((2, 9 * rate)).astype(np.float32) * 0.1
    clip = Audio(noise, rate)
    assert beat_grid(default_model, clip).beat_seconds is None
    outs = continue_clip(default_model, clip, ContinueSettings(3.0, variations=2, seed=0))
    assert [o.shape for o in outs] == [(2, 3 * rate)] * 2 and not np.allclose(*outs)


def test_long_continuations_chain_windows_without_dropouts(default_model: LoadedModel) -> None:
    rate = 44100
    clip = Audio(procedural_clip(10.0, rate, "reggae"), rate)
    (out,) = continue_clip(default_model, clip, ContinueSettings(30.0, seed=2))
    assert out.shape[1] == 30 * rate
    target = _tail_loudness(clip, default_model.config.window_seconds)
    for start in range(0, 30, 5):  # every 5 s stretch, across window joins, keeps the level
        part = out[:, start * rate : (start + 5) * rate]
        assert abs(loudness_db(part, rate) - target) < 3.0, start


def test_long_continuations_keep_their_beat(
    default_model: LoadedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each window hears the one before as latents, never its audio encoded again: the clip is
    encoded once. Re-encoding decoded audio blurred the onsets window by window; this clip's
    pulse clarity fell 0.87 -> 0.71 over 32 s that way (held-out real songs: 0.6 -> 0.15).
    Chained as latents, with the clip's phase on replayed cells: 0.76 -> 0.67 (0.74 -> 0.69
    without it; the 8 held-out real clips: 0.56 -> 0.48 with it, 0.51 -> 0.46 without)."""
    rate = 22050
    clip = Audio(procedural_clip(12.0, rate, "reggae", seed=5), rate)
    encode, encoded = default_model.model.encode, []

    def counted(waveform: torch.Tensor) -> torch.Tensor:
        encoded.append(waveform.shape)
        return encode(waveform)

    monkeypatch.setattr(default_model.model, "encode", counted)
    (out,) = continue_clip(default_model, clip, ContinueSettings(32.0, seed=0))
    assert len(encoded) == 1
    window = 8 * rate
    first, last = out[:, :window], out[:, -window:]
    assert pulse_clarity(last, rate) > 0.85 * pulse_clarity(first, rate)


def test_short_clips_are_looped_and_tiny_ones_refused(default_model: LoadedModel) -> None:
    rate = 44100
    (out,) = continue_clip(
        default_model, Audio(procedural_clip(5.0, rate), rate), ContinueSettings(4.0, seed=3)
    )
    assert out.shape == (2, 4 * rate)
    with pytest.raises(AudioError, match="at least"):
        continue_clip(default_model, Audio(procedural_clip(0.2, rate), rate), ContinueSettings(4.0))


def test_variations_differ_but_all_continue_the_same_clip(default_model: LoadedModel) -> None:
    rate = 44100
    # Techno and reggae: the shipped model's timbre is weakest on sustained ballad pads (its
    # ballad continuations are noisier than the clip), a known limit noted in the README.
    clips = {s: Audio(procedural_clip(10.0, rate, s, seed=5), rate) for s in ("techno", "reggae")}
    results = {
        s: continue_clip(default_model, c, ContinueSettings(6.0, 3, seed=7))
        for s, c in clips.items()
    }
    for style, variations in results.items():
        clip = clips[style]
        other = next(c for s, c in clips.items() if s != style)
        for a, b in itertools.combinations(variations, 2):
            assert not np.allclose(a, b, atol=1e-3)
            assert _frame_distance(a, b) > 0.25  # about 1 dB on every bin of every frame
        for variation in variations:
            assert _seam_jump(clip.samples, variation) < 1.0
            window = default_model.config.window_seconds
            assert abs(loudness_db(variation, rate) - _tail_loudness(clip, window)) < 1.5
            # It sounds more like its own clip than like the other one.
            own = _timbre_distance(variation, clip.samples[:, -6 * rate :])
            assert own < _timbre_distance(variation, other.samples[:, -6 * rate :])
    again = continue_clip(default_model, clips["techno"], ContinueSettings(6.0, 3, seed=7))
    assert all(np.array_equal(a, b) for a, b in zip(again, results["techno"], strict=True))


def test_variations_of_a_clip_that_repeats_exactly_are_alternatives(
    default_model: LoadedModel,
) -> None:
    """One bar, played five times over: every beat has a perfect match a bar back, and each
    variation alone would replay the last bar. A beat an earlier variation played at the same
    place costs the later ones, so the four differ everywhere but at the seam."""
    rate, bpm = 44100, song_spec(1, style="techno").bpm
    bar = procedural_clip(4 * 60 / bpm, rate, "techno", seed=1)
    clip = Audio(np.tile(bar, 5), rate)
    variations = continue_clip(
        default_model, clip, ContinueSettings(6.0, variations=4, seed=0, bpm=bpm)
    )
    for a, b in itertools.combinations(variations, 2):
        assert _frame_distance(a[:, rate:], b[:, rate:]) > 0.25


def test_the_seed_model_continues_but_has_no_variations(seed_model: LoadedModel) -> None:
    rate = 48000
    clip = Audio(procedural_clip(12.0, rate), rate)
    (out,) = continue_clip(seed_model, clip, ContinueSettings(5.0))
    assert out.shape == (2, 5 * rate) and np.isfinite(out).all()
    with pytest.raises(ValueError, match="deterministic"):
        continue_clip(seed_model, clip, ContinueSettings(5.0, variations=2))


def test_continue_file_writes_next_to_the_clip_and_never_touches_it(
    default_model: LoadedModel, tmp_path: Path
) -> None:
    rate = 48000
    clip = write_clip(tmp_path / "take 1.wav", procedural_clip(6.0, rate), rate)
    before = file_digest(clip)
    paths = continue_file(
        default_model, clip, ContinueSettings(bars_to_seconds(2, 120), variations=2, seed=0)
    )
    assert [p.name for p in paths] == ["take 1.continuation.wav", "take 1.continuation.v2.wav"]
    for path in paths:
        info = sf.info(path)
        assert (info.samplerate, info.channels, info.frames) == (rate, 2, 4 * rate)
    assert file_digest(clip) == before
    assert not list(tmp_path.glob(".*"))  # no temporary files left behind
    with pytest.raises(ValueError, match="overwrite the input"):
        continue_file(default_model, clip, ContinueSettings(2.0, output=clip))
    assert file_digest(clip) == before


def test_a_long_clip_is_read_only_for_its_tail(default_model: LoadedModel, tmp_path: Path) -> None:
    rate = 22050
    samples = np.concatenate([np.zeros((2, 200 * rate), np.float32), procedural_clip(8.0, rate)], 1)
    clip = write_clip(tmp_path / "long.flac", samples, rate)
    (path,) = continue_file(
        default_model, clip, ContinueSettings(3.0, seed=0, output=tmp_path / "next.flac")
    )
    out = read_audio(path)
    assert out.frames == 3 * rate
    assert _seam_jump(samples[:, -rate:], out.samples) < 1.5  # 24-bit FLAC rounding allowed


def test_output_names() -> None:
    assert output_paths(Path("/a/x.mp3"), None, 1) == [Path("/a/x.continuation.wav")]
    assert output_paths(Path("/a/x.wav"), Path("/b/y.flac"), 3) == [
        Path("/b/y.flac"),
        Path("/b/y.v2.flac"),
        Path("/b/y.v3.flac"),
    ]
    assert bars_to_seconds(4, 120) == 8.0 and bars_to_seconds(2, 90, 3) == 4.0


def _drawn_periods(
    loaded: LoadedModel, window: np.ndarray, count: int, distinct: bool
) -> tuple[list[int], set[int]]:
    """The periods `count` variations of `window` take at temperature 1, and those allowed."""
    config, model = loaded.config, loaded.model
    on_beat = beat_grid(loaded, Audio(window, config.sample_rate)).lags
    assert on_beat is not None
    allowed = set((np.flatnonzero(on_beat) + config.min_lag_frames).tolist())
    generator = torch.Generator().manual_seed(0)
    variation = torch.randn(count, config.variation_dim, generator=generator)
    sampling = _sampling(loaded, variation, 1, 1.0, generator, torch.device("cpu"), on_beat)
    with torch.inference_mode():
        latent = model.encode(torch.from_numpy(window[None])).repeat(count, 1, 1)
        choose = _distinct_periods(count, on_beat) if distinct else None
        lags = model.predict_latent(
            latent, sampling.variation, lag_noise=sampling.lag_noise, choose=choose
        ).lags
    return lags.tolist(), allowed


def _reggae_window(loaded: LoadedModel) -> np.ndarray:
    config = loaded.config
    assert song_spec(0, style="reggae").bpm == 75
    window = procedural_clip(config.window_seconds, config.sample_rate, "reggae", 0)
    return window.astype(np.float32)


def test_repetition_periods_are_whole_beats_of_the_clip(default_model: LoadedModel) -> None:
    """A 75 bpm clip: a beat is 20 latent frames, so the predictor may loop 20, 40 or 80 frames
    (and 10 or 160 if the beat is read at double time), nothing else, however its own logits
    lean (16 draws at temperature 1)."""
    lags, allowed = _drawn_periods(default_model, _reggae_window(default_model), 16, False)
    assert {20, 40, 80} <= allowed
    assert all(min(abs(lag - 10 * 2**k) for k in range(5)) <= 1 for lag in allowed)
    assert set(lags) <= allowed


def test_variations_take_different_periods_until_none_is_left(default_model: LoadedModel) -> None:
    lags, allowed = _drawn_periods(default_model, _reggae_window(default_model), 4, True)
    assert len(set(lags)) == 4 and set(lags) <= allowed
    lags, allowed = _drawn_periods(default_model, _reggae_window(default_model), 8, True)
    assert set(lags) == allowed and len(allowed) < 8  # every period, then again from the top


def _beat_phase(samples: np.ndarray, rate: int, beat: float, start: float) -> float:
    """Where the onsets of `samples` (which start `start` seconds into the song) fall in a
    beat of `beat` seconds: 0 to 1."""
    envelope = onset_envelope(samples, rate)
    times = start + np.arange(envelope.size) * ONSET_HOP / rate
    return float(np.angle(np.sum(envelope * np.exp(-2j * np.pi * times / beat))) / (2 * np.pi))


@pytest.mark.slow
def test_a_long_continuation_stays_on_the_daws_beat(default_model: LoadedModel) -> None:
    """A 111 bpm clip's beat is 13.5 latent frames. The clip is varispeeded so that two beats
    are a whole number of frames (27), and over 32 s no variation drifts off the beat grid of
    the DAW's tempo by a fortieth of a beat. (Periods of whole frames without the varispeed:
    three variations drifted 0.04 beat; a one-beat loop of 14 frames ran 3.6 % fast.)"""
    rate, bpm = 44100, song_spec(0, style="rock").bpm
    assert bpm == 111
    clip = Audio(procedural_clip(12.0, rate, "rock", 0).astype(np.float32), rate)
    grid = beat_grid(default_model, clip)  # the beat found in the clip
    frame_seconds = default_model.config.window_seconds / default_model.model.frames
    assert grid.unit_frames == 27  # two beats: one is 13.5 frames, 3.6 % off whole ones
    unit_seconds = grid.unit_frames * frame_seconds * default_model.config.sample_rate / grid.rate
    assert unit_seconds == pytest.approx(2 * 60 / bpm, rel=0.005)

    beat, eight = 60 / bpm, 8 * rate
    for variation in continue_clip(
        default_model, clip, ContinueSettings(32.0, variations=4, seed=0, bpm=bpm)
    ):
        first = _beat_phase(variation[:, :eight], rate, beat, 12.0)
        last = _beat_phase(variation[:, -eight:], rate, beat, 12.0 + 24.0)
        assert abs((last - first + 0.5) % 1 - 0.5) < 1 / 40


def test_the_daws_tempo_says_what_a_beat_is(default_model: LoadedModel) -> None:
    """Asked in bars, a request carries the DAW's tempo; it sets the beat even where the clip
    has none to find (noise): 75 bpm is 20 latent frames a beat."""
    config = default_model.config
    noise = np.random.default_rng(0).standard_normal((2, config.window_samples))
    noise = noise.astype(np.float32)
    clip = Audio(noise, config.sample_rate)
    assert beat_grid(default_model, clip).lags is None
    on_beat = beat_grid(default_model, clip, bpm=75.0).lags
    assert set((np.flatnonzero(on_beat) + config.min_lag_frames).tolist()) == {20, 40, 80, 160}
    assert continue_settings({"bars": 2, "bpm": 75}).bpm == 75.0
    assert continue_settings({"seconds": 4}).bpm is None


def test_the_daws_meter_says_what_a_bar_is(
    default_model: LoadedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 4/4 clip continued in a session in 3/4: the arrangement is handed the DAW's bar of 3
    beats; without a meter it is handed none, and hears the clip's (the real `arrange` runs,
    watched)."""
    handed: list[int | None] = []

    def watched(cuts, *args, **kwargs):
        handed.append(cuts.meter)
        return arrange(cuts, *args, **kwargs)

    monkeypatch.setattr(continuation, "arrange", watched)
    clip = Audio(procedural_clip(10.0, 44100, "techno", seed=1), 44100)
    in_three = continue_settings({"bars": 2, "bpm": 120, "beats_per_bar": 3, "seed": 0})
    assert in_three.beats_per_bar == 3
    continue_clip(default_model, clip, in_three)
    continue_clip(default_model, clip, continue_settings({"seconds": 4, "seed": 0}))
    assert handed == [3, None]


@pytest.mark.parametrize(
    ("style", "seed"), [("techno", 1), pytest.param("salsa", 2, marks=pytest.mark.slow)]
)
def test_a_replayed_bar_keeps_the_detail_it_had_in_the_clip(
    decoder_model: LoadedModel, monkeypatch: pytest.MonkeyPatch, style: str, seed: int
) -> None:
    """Where the decoder renders (a clip with no beat to cut at) and the prediction loops the
    clip, its frames get back the decoder's error on them in
    the clip, and then the clip's phase where they are still the clip's: each step closer to
    what the song really played next, frame by frame and in the distribution of its frames.
    Measured (4 variations each), neither -> the error -> both: techno log-mel 5.60 -> 5.19 ->
    4.46 dB, frames 4.18 -> 3.61 -> 3.18; salsa 7.28 -> 6.31 -> 6.01, 5.03 -> 3.76 -> 3.82."""
    rate = decoder_model.config.sample_rate
    song = procedural_clip(18.0, rate, style, seed=seed)
    clip, truth = Audio(song[:, : 10 * rate], rate), song[:, 10 * rate :]
    steps = {
        "neither": (0.0, 1e-9),
        "the error": (REPLAY_WEIGHT, 1e-9),
        "both": (REPLAY_WEIGHT, REPLAY_PHASE_TOLERANCE),
    }
    scores = {}
    for step, (weight, tolerance) in steps.items():
        monkeypatch.setattr(continuation, "REPLAY_WEIGHT", weight)
        monkeypatch.setattr(continuation, "REPLAY_PHASE_TOLERANCE", tolerance)
        outs = continue_clip(decoder_model, clip, ContinueSettings(8.0, variations=4, seed=0))
        scores[step] = np.mean(
            [(log_mel_distance(o, truth, rate), frame_distance(o, truth, rate)) for o in outs],
            axis=0,
        )
    mel_gain, frames_gain = scores["neither"] - scores["the error"]
    assert mel_gain > 0.3 and frames_gain > 0.4, scores
    assert scores["both"][0] < scores["the error"][0] - 0.15, scores

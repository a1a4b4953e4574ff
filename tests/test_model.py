"""The network's shape: `seed` is the original exactly (flaws included), `default` is not."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from helpers import procedural_clip
from torch import Tensor

from segue.engine.config import ConvSpec, load_preset
from segue.engine.model import (
    DECODER_REACH_FRAMES,
    ISTFTDecoder,
    SegueNet,
    best_lags,
    latent_frames,
    locked_phase,
    loop_indices,
    loop_latent,
    parameter_count,
)
from segue.engine.modelfile import LoadedModel
from segue.engine.replay import clip_replay, continue_replaying, decode_replayed
from segue.trainer.metrics import log_mel_distance


@pytest.fixture(scope="module")
def seed_net() -> SegueNet:
    torch.manual_seed(0)
    return SegueNet(load_preset("seed").model).eval()


@pytest.fixture(scope="module")
def default_net() -> SegueNet:
    torch.manual_seed(0)
    return SegueNet(load_preset("default").model).eval()


def _reconstruction_and_prediction(net: SegueNet, x: Tensor) -> tuple[Tensor, Tensor]:
    """The network's two outputs, as training decodes them: the input window's latents, and
    the prediction of the window that follows them."""
    latent = net.encode(x)
    return net.decode(latent), net.decode(net.predict_latent(latent).mean)


def test_seed_is_the_original_network(seed_net: SegueNet) -> None:
    assert parameter_count(seed_net) == 251_778  # as the original code builds it
    convs = [m for m in seed_net.encoder.modules() if isinstance(m, torch.nn.Conv1d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size[0], c.stride[0]) for c in convs] == [
        (2, 128, 9, 2),
        (128, 64, 7, 2),
    ]
    assert not any(isinstance(m, torch.nn.GELU) for m in seed_net.modules())
    layer = seed_net.predictor.transformer.layers[0]
    assert len(seed_net.predictor.transformer.layers) == 1
    assert layer.self_attn.num_heads == 4 and layer.linear1.out_features == 256
    x = torch.randn(2, 2, 120_000)
    with torch.no_grad():
        reconstruction, prediction = _reconstruction_and_prediction(seed_net, x)
    assert seed_net.encode(x).shape == (2, 64, 3000)
    assert reconstruction.shape == prediction.shape == (2, 2, 120_000)


def test_default_shapes_and_size(default_net: SegueNet) -> None:
    config = default_net.config
    assert config.sample_rate >= 22050
    assert parameter_count(default_net) * 4 < 15e6  # fits the 20 MB shipping budget with `seed`
    x = torch.randn(1, 2, config.window_samples)
    with torch.no_grad():
        reconstruction, prediction = _reconstruction_and_prediction(default_net, x)
    assert prediction.shape == x.shape and reconstruction.shape == x.shape


def _fed_by_bias_alone(spec: ConvSpec, frames: int = 50) -> float:
    """Share of a transposed convolution's outputs that no input sample reaches."""
    conv = torch.nn.ConvTranspose1d(
        1, 1, spec.kernel, spec.stride, spec.padding, spec.output_padding, bias=False
    )
    torch.nn.init.ones_(conv.weight)
    with torch.no_grad():
        reached = conv(torch.ones(1, 1, frames))[0, 0]
    return float((reached == 0).float().mean())


def test_seed_decoder_has_the_original_gaps_and_default_has_none(default_net: SegueNet) -> None:
    seed = load_preset("seed").model
    gaps = [_fed_by_bias_alone(spec) for spec in seed.decoder_layers]
    assert gaps[2] == pytest.approx(
        0.4, abs=0.01
    )  # the k=3, s=5 layer: the published steady-tone comb
    assert all(_fed_by_bias_alone(spec) == 0 for spec in default_net.config.decoder_layers)
    # An iSTFT overlap-add leaves no output sample without signal (barring the edge frames).
    with torch.no_grad():
        audio = default_net.decode(torch.randn(1, default_net.config.latent_dim, 4))[0]
    assert (audio.abs().sum(dim=0) > 0).float().mean() > 0.99


def _permuted_frames_change_output(net: SegueNet) -> bool:
    frames = net.frames if net.config.latent_frames is None else 24
    latent = torch.randn(1, net.config.latent_dim, frames)
    order = torch.randperm(frames, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        plain = net.predict_latent(latent).mean
        permuted = net.predict_latent(latent[:, :, order]).mean
    if net.config.predictor == "same-frames":
        plain = plain[:, :, order]  # an equivariant map permutes its output the same way
    return not torch.allclose(plain, permuted, atol=1e-5)


def test_only_default_knows_where_a_frame_is(seed_net: SegueNet, default_net: SegueNet) -> None:
    assert not _permuted_frames_change_output(seed_net)  # no positional encoding: order-blind
    assert _permuted_frames_change_output(default_net)


def test_variation_vector_and_lag_noise_change_the_prediction() -> None:
    torch.manual_seed(0)
    net = SegueNet(load_preset("default").model).eval()
    torch.nn.init.normal_(net.predictor.head.weight, std=0.02)  # as if trained: not zero
    latent = torch.randn(2, net.config.latent_dim, net.frames)
    dim = net.config.variation_dim
    with torch.no_grad():
        a = net.predict_latent(latent, torch.randn(2, dim))
        b = net.predict_latent(latent, torch.randn(2, dim))
        lags = a.lag_logits.shape[1]
        c = net.predict_latent(latent, lag_noise=torch.randn(2, lags) * 100)
    assert not torch.allclose(a.mean, b.mean)
    assert a.log_sigma is not None and a.log_sigma.shape == a.mean.shape
    assert not torch.equal(c.lags, a.lags)
    assert (c.lags >= net.config.min_lag_frames).all() and (c.lags <= net.frames).all()


def test_loops_continue_the_last_period_and_the_best_period_is_found() -> None:
    frames, dim = 40, 3
    period = 7
    pattern = torch.randn(period, dim)
    whole = pattern.repeat(20, 1)[None]  # [1, 140, dim] with period 7
    tokens, future = whole[:, :frames], whole[:, frames : 2 * frames]
    looped = loop_latent(tokens, torch.tensor([period]))
    assert torch.allclose(looped, future)
    lags = best_lags(tokens.transpose(1, 2), future.transpose(1, 2), min_lag=4)
    assert int(lags) == period  # the shortest exact period wins ties (argmin takes the first)


def test_decoder_synthesis_is_torch_istft(default_net: SegueNet) -> None:
    """The decoder's own overlap-add (faster on CPU) computes what torch.istft computes,
    and lets gradients through for training."""
    decoder, config = default_net.decoder, default_net.config
    spectrum = torch.randn(3, config.n_fft // 2 + 1, 57, dtype=torch.complex64, requires_grad=True)
    ours = decoder._synthesise(spectrum.transpose(1, 2))
    reference = torch.istft(
        spectrum,
        config.n_fft,
        config.hop,
        window=decoder.window,
        center=True,
        length=57 * config.hop,
    )
    assert torch.allclose(ours, reference, atol=1e-5)
    ours.square().sum().backward()
    assert spectrum.grad is not None and torch.isfinite(spectrum.grad).all()


@pytest.mark.parametrize("net_name", ["default_net", "seed_net"])
def test_a_partial_window_is_the_start_of_the_whole_one(net_name: str, request) -> None:
    """The last window of a continuation decodes only the frames it needs (plus a margin for
    the decoder's reach); the audio it keeps is the start of the whole window's audio."""
    net: SegueNet = request.getfixturevalue(net_name)
    torch.manual_seed(1)
    latent = torch.randn(1, net.config.latent_dim, net.frames)
    with torch.no_grad():
        whole = net.continue_latent(latent).waveform
        part = net.continue_latent(latent, frames=net.frames // 3).waveform
    per_frame = whole.shape[-1] // net.frames
    assert part.shape[-1] == per_frame * (net.frames // 3)
    kept = per_frame * (net.frames // 3 - DECODER_REACH_FRAMES)
    assert torch.allclose(part[..., :kept], whole[..., :kept], atol=1e-5)


def _level_db(audio: torch.Tensor, bin_samples: int) -> torch.Tensor:
    """Level in dB of each stretch of `bin_samples`, channels together."""
    usable = audio.shape[-1] // bin_samples * bin_samples
    stretches = audio[..., :usable].reshape(*audio.shape[:-1], -1, bin_samples)
    return 10 * torch.log10(stretches.square().mean(dim=(-1, -3)) + 1e-12)


@pytest.mark.parametrize("net_name", ["default_net", "seed_net"])
def test_the_prediction_is_decoded_as_the_inputs_next_frames(net_name: str, request) -> None:
    """No edge at the join: the prediction's audio is what the decoder makes of it heard right
    after the input, as one stream, not decoded alone (which fades its first frames in). A
    locked phase runs on from the stream's start, so there the levels are what must agree."""
    net: SegueNet = request.getfixturevalue(net_name)
    torch.manual_seed(2)
    latent = torch.randn(1, net.config.latent_dim, net.frames)
    with torch.no_grad():
        future, prediction = net.continue_latent(latent)
        stream = net.decode(torch.cat([latent, future], dim=-1))
    after_input = stream[..., stream.shape[-1] // 2 :]
    per_frame = prediction.shape[-1] // net.frames
    levels, expected = _level_db(prediction, per_frame), _level_db(after_input, per_frame)
    assert (levels - expected).abs().max() < 1.0
    if net.config.decoder_phase != "locked":
        assert torch.allclose(prediction, after_input, atol=1e-5)


def _peak_frequencies(audio: torch.Tensor, rate: int, count: int) -> list[float]:
    """The `count` strongest spectral peaks of a signal, in Hz, read between FFT bins."""
    spectrum = torch.fft.rfft(audio * torch.hann_window(audio.shape[-1])).abs()
    peaks = (spectrum[1:-1] > spectrum[:-2]) & (spectrum[1:-1] >= spectrum[2:])
    strongest = torch.argsort(torch.where(peaks, spectrum[1:-1], 0.0), descending=True)[:count] + 1
    found = []
    for k in strongest.tolist():
        a, b, c = spectrum[k - 1 : k + 2].log().tolist()
        found.append((k + 0.5 * (a - c) / (a - 2 * b + c)) * rate / audio.shape[-1])
    return sorted(found)


def test_locked_phase_plays_each_partial_at_its_own_pitch() -> None:
    """Given only the STFT magnitudes of three tones halfway between the 25 Hz bins, the
    locked phase brings back their pitches; a phase that stands still moves each to a bin
    centre, 12.5 Hz away: a semitone at 212 Hz."""
    rate, n_fft, hop = 24_000, 960, 240
    time = torch.arange(2 * rate) / rate
    chord = (237.5, 312.5, 412.5)
    audio = sum(torch.sin(2 * math.pi * f * time + i) for i, f in enumerate(chord)) / 3
    window = torch.hann_window(n_fft)
    magnitude = torch.stft(audio, n_fft, hop, window=window, return_complex=True).abs()
    magnitude = magnitude.T[None, : 2 * rate // hop]  # [1, frames, bins]
    decoder = ISTFTDecoder(load_preset("default").model)
    locked = locked_phase(magnitude.log(), n_fft, hop)
    for phase, close in ((locked, True), (magnitude * 0, False)):
        decoded = decoder._synthesise(torch.polar(magnitude, phase))[0, rate // 2 : -rate // 2]
        errors = [
            abs(a - b) for a, b in zip(_peak_frequencies(decoded, rate, 3), chord, strict=True)
        ]
        assert (max(errors) < 2.0) == close, errors


@pytest.mark.parametrize("net_name", ["default_net", "seed_net"])
def test_latent_frames_counts_what_the_encoder_makes(net_name: str, request) -> None:
    """Continuation plans its windows with `latent_frames`; it must match the encoder for any
    clip length, the spectral front end of `default` included."""
    net: SegueNet = request.getfixturevalue(net_name)
    for samples in (24_000, 100_003, net.config.window_samples):
        with torch.no_grad():
            made = net.encode(torch.zeros(1, net.config.channels, samples)).shape[-1]
        assert made == latent_frames(net.config, samples)


def _level_matched(audio: np.ndarray, reference: np.ndarray) -> np.ndarray:
    return audio * np.sqrt(np.mean(reference**2) / np.mean(audio**2))


def test_a_clip_replayed_with_its_decoding_error_decodes_close_to_itself(
    default_model: LoadedModel,
) -> None:
    """A replay gives each STFT cell back the decoder's error on the clip cell it replays, and
    the clip's phase where the cell is still the clip's: the clip's own latents, replayed
    whole, decode close to the clip (the clamp on the error is what is left); given the cells
    of the next latent frame, further from it than with no replay at all."""
    net, rate = default_model.model, default_model.config.sample_rate
    clip = procedural_clip(default_model.config.window_seconds, rate, "rock", seed=3)
    waveform = torch.from_numpy(clip[None]).float()
    with torch.no_grad():
        latent = net.encode(waveform)
        replay = clip_replay(net.decoder, waveform, latent, weight=1.0, phase_tolerance=0.5)
        shifted = replay._replace(sources=(replay.sources + 1).clamp(max=net.frames - 1))
        decoded = {
            "plain": net.decode(latent)[0].numpy(),
            "replayed": decode_replayed(net.decoder, latent, replay)[0].numpy(),
            "shifted": decode_replayed(net.decoder, latent, shifted)[0].numpy(),
        }
    distance = {
        name: log_mel_distance(_level_matched(audio, clip), clip, rate)
        for name, audio in decoded.items()
    }  # measured: plain 5.0 dB, replayed 1.7, shifted by one frame 9.8
    assert distance["replayed"] < 0.4 * distance["plain"]
    assert distance["shifted"] > distance["plain"]


def test_a_replayed_cell_keeps_the_clip_phase_only_while_it_is_the_clips(
    default_model: LoadedModel,
) -> None:
    """Latents that are not the clip's, replayed with none of the clip's error: within a
    tolerance too small for them they decode as they would alone, the decoder's own phase;
    within a tolerance wide enough for anything they take the clip's phase."""
    net = default_model.model
    torch.manual_seed(5)
    shape = (1, net.config.channels, net.config.window_samples)
    clip, other = 0.1 * torch.randn(shape), 0.1 * torch.randn(shape)  # below the clamp
    with torch.no_grad():
        latent = net.encode(other)
        plain = net.decode(latent)
        replay = clip_replay(net.decoder, clip, net.encode(clip), 0.0, phase_tolerance=1e-9)
        strict = decode_replayed(net.decoder, latent, replay)
        loose = decode_replayed(net.decoder, latent, replay._replace(phase_tolerance=1e6))

    def change(audio: Tensor) -> float:  # RMS difference from the plain decoding, relative
        return float((audio - plain).square().mean().sqrt() / plain.square().mean().sqrt())

    assert change(strict) < 1e-3  # the odd cell equal to its clip cell aside
    assert change(loose) > 0.3


def test_replayed_frames_follow_the_loop_from_window_to_window(default_net: SegueNet) -> None:
    """Each window's frames replay the clip frames that the predictor's loop played there,
    through every window of a long continuation."""
    torch.manual_seed(4)
    waveform = torch.randn(2, default_net.config.channels, default_net.config.window_samples)
    with torch.no_grad():
        latent = default_net.encode(waveform)
        replay = clip_replay(default_net.decoder, waveform, latent, weight=0.5, phase_tolerance=0.5)
        sources = replay.sources
        for _ in range(3):
            lags = default_net.predict_latent(latent).lags
            continued, following = continue_replaying(default_net, latent, None, None, replay)
            played = loop_indices(default_net.frames, latent.device)[lags - 1]
            sources = sources.gather(1, played)
            assert torch.equal(following.sources, sources)
            latent, replay = continued.latent, following
    assert replay.weight == 0.5 and replay.clip.phasor.shape[0] == 2


def test_a_waveform_decoder_has_nothing_to_replay(seed_net: SegueNet) -> None:
    waveform = torch.randn(1, seed_net.config.channels, seed_net.config.window_samples)
    with torch.no_grad():
        assert clip_replay(seed_net.decoder, waveform, seed_net.encode(waveform), 0.5, 0.5) is None

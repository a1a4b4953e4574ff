"""The network's shape: `seed` is the original exactly (flaws included), `default` is not."""

from __future__ import annotations

import pytest
import torch

from segue.engine.config import ConvSpec
from segue.engine.model import SegueNet, parameter_count
from segue.presets import load_preset


@pytest.fixture(scope="module")
def seed_net() -> SegueNet:
    torch.manual_seed(0)
    return SegueNet(load_preset("seed").model).eval()


@pytest.fixture(scope="module")
def default_net() -> SegueNet:
    torch.manual_seed(0)
    return SegueNet(load_preset("default").model).eval()


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
        out = seed_net(x)
    assert seed_net.encode(x).shape == (2, 64, 3000)
    assert out.reconstruction.shape == out.prediction.shape == (2, 2, 120_000)


def test_default_shapes_and_size(default_net: SegueNet) -> None:
    config = default_net.config
    assert config.sample_rate >= 22050
    assert parameter_count(default_net) * 4 < 15e6  # fits the 20 MB shipping budget with `seed`
    x = torch.randn(1, 2, config.window_samples)
    with torch.no_grad():
        out = default_net(x, torch.randn(1, config.variation_dim))
    assert out.prediction.shape == x.shape and out.reconstruction.shape == x.shape


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
    latent = torch.randn(1, net.config.latent_dim, 24)
    order = torch.randperm(24, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        plain = net.predict_latent(latent).mean
        permuted = net.predict_latent(latent[:, :, order]).mean
    if net.config.predictor == "same-frames":
        plain = plain[:, :, order]  # an equivariant map permutes its output the same way
    return not torch.allclose(plain, permuted, atol=1e-5)


def test_only_default_knows_where_a_frame_is(seed_net: SegueNet, default_net: SegueNet) -> None:
    assert not _permuted_frames_change_output(seed_net)  # no positional encoding: order-blind
    assert _permuted_frames_change_output(default_net)


def test_variation_vector_changes_the_prediction(default_net: SegueNet) -> None:
    latent = torch.randn(2, default_net.config.latent_dim, 20)
    with torch.no_grad():
        a = default_net.predict_latent(latent, torch.randn(2, default_net.config.variation_dim))
        b = default_net.predict_latent(latent, torch.randn(2, default_net.config.variation_dim))
    assert not torch.allclose(a.mean, b.mean)
    assert a.log_sigma is not None and a.log_sigma.shape == a.mean.shape

"""The Segue network: conv + max-pool encoder, transformer, decoder.

One class builds both the original design (preset `seed`, flaws included) and Segue's own
(`default`) from a `ModelConfig`; `forward` returns the reconstruction of the input window and
the prediction of the window that follows it.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import Tensor, nn

from .config import ConvSpec, ModelConfig


class Output(NamedTuple):
    reconstruction: Tensor  # [batch, channels, samples]: encoder -> decoder
    prediction: Tensor  # [batch, channels, samples]: encoder -> transformer -> decoder


class LatentPrediction(NamedTuple):
    mean: Tensor  # [batch, latent_dim, frames]
    log_sigma: Tensor | None  # same shape; None for a deterministic predictor


def _activation(name: str) -> nn.Module:
    return nn.GELU() if name == "gelu" else nn.Identity()


def sinusoidal_positions(length: int, dim: int, device: torch.device) -> Tensor:
    """Fixed sine/cosine positions (Vaswani et al.), so any sequence length works."""
    position = torch.arange(length, device=device, dtype=torch.float32)[:, None]
    rates = torch.exp(
        torch.arange(0, dim, 2, device=device, dtype=torch.float32) * (-math.log(10000.0) / dim)
    )
    table = torch.zeros(length, dim, device=device)
    table[:, 0::2] = torch.sin(position * rates)
    table[:, 1::2] = torch.cos(position * rates)
    return table


class Encoder(nn.Module):
    """Waveform -> latent sequence: 1-D convolutions, each optionally max-pooled."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        previous = config.channels
        for index, spec in enumerate(config.encoder):
            layers.append(
                nn.Conv1d(previous, spec.channels, spec.kernel, spec.stride, spec.padding)
            )
            if index < len(config.encoder) - 1:
                layers.append(_activation(config.activation))
            if spec.pool > 1:
                layers.append(nn.MaxPool1d(spec.pool))
            previous = spec.channels
        if config.latent_frames is not None:
            layers.append(nn.AdaptiveAvgPool1d(config.latent_frames))
        self.layers = nn.Sequential(*layers)

    def forward(self, waveform: Tensor) -> Tensor:
        return self.layers(waveform)


def latent_frames(config: ModelConfig, samples: int) -> int:
    """How many latent frames the encoder makes of `samples` input samples."""
    if config.latent_frames is not None:
        return config.latent_frames
    length = samples
    for spec in config.encoder:
        length = (length + 2 * spec.padding - spec.kernel) // spec.stride + 1
        length //= spec.pool
    return length


class Predictor(nn.Module):
    """The transformer: input latents -> latents of the following window.

    `same-frames` is the original: the window attends to itself and each output frame is read
    at the position of an input frame. `future-queries` appends one query token per future
    frame (a learned vector plus its position plus a projection of the variation vector), so
    the prediction is conditioned on where in the future it is and on which variation to play,
    and it outputs a Gaussian (mean, log sigma) per frame to sample from.

    Its mean starts from a *pointer*: each future frame attends over the input frames and takes
    a weighted mix of their latents, to which the head adds a correction. Music repeats itself
    (the beat, the bar, the phrase), and a mix of real input frames decodes into real sounding
    frames, where a prediction from scratch under a distance loss decays into the average of
    all futures: a drone with no beat.
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        dim = config.latent_dim
        layer = nn.TransformerEncoderLayer(
            dim,
            config.heads,
            config.ff_dim,
            config.dropout,
            activation="relu" if config.activation == "none" else "gelu",
            batch_first=True,
            norm_first=config.norm_first,
        )
        self.transformer = nn.TransformerEncoder(layer, config.layers, enable_nested_tensor=False)
        if config.predictor == "future-queries":
            self.input_norm = nn.LayerNorm(dim)
            self.query = nn.Parameter(torch.randn(dim) * 0.02)
            self.variation = nn.Linear(config.variation_dim, dim) if config.variation_dim else None
            self.pointer_query = nn.Linear(dim, dim)
            self.pointer_key = nn.Linear(dim, dim)
            self.head = nn.Linear(dim, 2 * dim)
            nn.init.zeros_(self.head.weight)  # start as a pure pointer with unit spread
            nn.init.zeros_(self.head.bias)

    def forward(self, latent: Tensor, variation: Tensor | None = None) -> LatentPrediction:
        tokens = latent.transpose(1, 2)  # [batch, frames, dim]
        if self.config.predictor == "same-frames":
            if self.config.positional == "sinusoidal":
                tokens = tokens + sinusoidal_positions(
                    tokens.shape[1], tokens.shape[2], tokens.device
                )
            return LatentPrediction(self.transformer(tokens).transpose(1, 2), None)

        batch, frames, dim = tokens.shape
        positions = sinusoidal_positions(2 * frames, dim, tokens.device)
        queries = self.query.expand(batch, frames, dim) + positions[frames:]
        if self.variation is not None:
            if variation is None:
                variation = tokens.new_zeros(batch, self.config.variation_dim)
            queries = queries + self.variation(variation)[:, None, :]
        sequence = torch.cat([self.input_norm(tokens) + positions[:frames], queries], dim=1)
        encoded = self.transformer(sequence)
        past, future = encoded[:, :frames], encoded[:, frames:]
        scores = self.pointer_query(future) @ self.pointer_key(past).transpose(1, 2)
        pointed = (scores / math.sqrt(dim)).softmax(dim=-1) @ tokens
        correction, log_sigma = self.head(future).chunk(2, dim=-1)
        mean = pointed + correction
        return LatentPrediction(mean.transpose(1, 2), log_sigma.clamp(-7.0, 2.0).transpose(1, 2))


class TransposedDecoder(nn.Module):
    """The original decoder: a stack of transposed convolutions."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        previous = config.latent_dim
        for index, spec in enumerate(config.decoder_layers):
            layers.append(_transposed(previous, spec))
            if index < len(config.decoder_layers) - 1:
                layers.append(_activation(config.activation))
            previous = spec.channels
        self.layers = nn.Sequential(*layers)

    def forward(self, latent: Tensor) -> Tensor:
        return self.layers(latent)


def _transposed(in_channels: int, spec: ConvSpec) -> nn.ConvTranspose1d:
    return nn.ConvTranspose1d(
        in_channels, spec.channels, spec.kernel, spec.stride, spec.padding, spec.output_padding
    )


class ConvNeXtBlock(nn.Module):
    """Depthwise conv + pointwise MLP with a residual path: wide context at low cost."""

    def __init__(self, dim: int, kernel: int = 7, expansion: int = 3) -> None:
        super().__init__()
        self.depthwise = nn.Conv1d(dim, dim, kernel, padding=kernel // 2, groups=dim)
        self.norm = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(
            nn.Linear(dim, expansion * dim), nn.GELU(), nn.Linear(expansion * dim, dim)
        )

    def forward(self, x: Tensor) -> Tensor:
        y = self.depthwise(x).transpose(1, 2)
        return x + self.mlp(self.norm(y)).transpose(1, 2)


class ISTFTDecoder(nn.Module):
    """Latents -> STFT frames (magnitude and phase) -> inverse STFT.

    Every output sample is an overlap-add of windowed frames, so there are no positions fed by
    a bias alone and no fixed upsampling comb: the original's steady tones cannot appear.
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        layers: list[nn.Module] = []
        previous = config.latent_dim
        for spec in config.decoder_layers:
            layers += [_transposed(previous, spec), nn.GELU()]
            previous = spec.channels
        layers += [ConvNeXtBlock(previous) for _ in range(config.decoder_blocks)]
        self.body = nn.Sequential(*layers)
        self.bins = config.n_fft // 2 + 1
        self.head = nn.Conv1d(previous, config.channels * 2 * self.bins, 1)
        self.register_buffer("window", torch.hann_window(config.n_fft), persistent=False)

    def forward(self, latent: Tensor) -> Tensor:
        frames = self.head(self.body(latent))  # [batch, channels * 2 * bins, stft frames]
        batch, _, count = frames.shape
        frames = frames.reshape(batch * self.config.channels, 2, self.bins, count)
        magnitude = torch.exp(frames[:, 0].clamp(max=6.0))
        phase = frames[:, 1]
        spectrum = torch.polar(magnitude, phase)
        hop = self.config.hop
        audio = torch.istft(
            spectrum,
            self.config.n_fft,
            hop,
            window=self.window,
            center=True,
            length=count * hop,
        )
        return audio.reshape(batch, self.config.channels, count * hop)


class SegueNet(nn.Module):
    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder = Encoder(config)
        self.predictor = Predictor(config)
        self.decoder = (
            ISTFTDecoder(config) if config.decoder == "istft" else TransposedDecoder(config)
        )

    @property
    def frames(self) -> int:
        """Latent frames per window."""
        return latent_frames(self.config, self.config.window_samples)

    def encode(self, waveform: Tensor) -> Tensor:
        return self.encoder(waveform)

    def decode(self, latent: Tensor) -> Tensor:
        return self.decoder(latent)

    def predict_latent(self, latent: Tensor, variation: Tensor | None = None) -> LatentPrediction:
        return self.predictor(latent, variation)

    def future_latent(
        self, latent: Tensor, variation: Tensor | None = None, noise: Tensor | None = None
    ) -> Tensor:
        """The next window's latents: the predicted mean, plus `noise` times its spread.

        `variation` ([batch, variation_dim]) picks which continuation to play; `noise` (shaped
        like the latent, already scaled by the temperature) samples around the predicted mean.
        """
        predicted = self.predict_latent(latent, variation)
        if noise is None or predicted.log_sigma is None:
            return predicted.mean
        return predicted.mean + noise * predicted.log_sigma.exp()

    def continue_window(
        self, waveform: Tensor, variation: Tensor | None = None, noise: Tensor | None = None
    ) -> Tensor:
        """Only the prediction: what inference needs, without decoding the reconstruction."""
        return self.decode(self.future_latent(self.encode(waveform), variation, noise))

    def forward(
        self, waveform: Tensor, variation: Tensor | None = None, noise: Tensor | None = None
    ) -> Output:
        """Reconstruct the window and predict the next one."""
        latent = self.encode(waveform)
        return Output(
            self.decode(latent), self.decode(self.future_latent(latent, variation, noise))
        )


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())

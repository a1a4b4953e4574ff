"""The Segue network: conv + max-pool encoder, transformer, decoder.

One class builds both the original design (preset `seed`, flaws included: its own decoder is in
`seed_design.py`) and Segue's own (`default`) from a `ModelConfig`. Training decodes the input
window's latents (its reconstruction) and the prediction of the window that follows them;
a continuation predicts window after window (`continue_latent`), each decoded after the one it
follows (`replay.py` corrects the frames that replay the clip).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import torch
from torch import Tensor, nn

from .config import ModelConfig
from .seed_design import TransposedDecoder, activation, transposed

DECODER_REACH_FRAMES = 6
"""How many latent frames on either side of a sample the decoders' convolutions and overlap-add
reach (at most 5 for `default`, 3 for `seed`): decoding a window's first N + 6 frames gives its
first N frames' audio exactly."""


PeriodChoice = Callable[[Tensor], Tensor]
"""Picks the repetition period of each row from its scores (logits plus noise, [batch, lags]):
the indices, [batch]. The rows can depend on each other (variations that must differ)."""


class Continued(NamedTuple):
    latent: Tensor  # [batch, latent_dim, frames]: the whole next window, what follows it hears
    waveform: Tensor  # [batch, channels, samples]: its audio


class LatentPrediction(NamedTuple):
    mean: Tensor  # [batch, latent_dim, frames]
    log_sigma: Tensor | None  # same shape; None for a deterministic predictor
    lag_logits: Tensor | None = None  # [batch, lags]: which repetition period to continue with
    lags: Tensor | None = None  # [batch]: the period used, in frames


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


class SpectralFront(nn.Module):
    """Waveform -> log-magnitude STFT of each channel, [batch, channels x bins, samples / hop].

    A 1-D convolution with a fixed Fourier kernel (computed by FFT), then a magnitude. It gives
    the encoder the frequency resolution that harmony needs: a learned first layer of 16 taps
    sees 1.5 kHz-wide bands, and the notes of a chord are a few hertz apart in the bass.
    """

    def __init__(self, n_fft: int, hop: int) -> None:
        super().__init__()
        self.n_fft, self.hop = n_fft, hop
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)

    def forward(self, waveform: Tensor) -> Tensor:
        batch, channels, samples = waveform.shape
        spectrum = torch.stft(
            waveform.reshape(batch * channels, samples),
            self.n_fft,
            self.hop,
            window=self.window,
            center=True,
            return_complex=True,
        )[..., : samples // self.hop]  # frame t is centred on sample t * hop
        return torch.log1p(spectrum.abs()).reshape(batch, -1, spectrum.shape[-1])


class Encoder(nn.Module):
    """Waveform -> latent sequence: 1-D convolutions, each optionally max-pooled, over the
    waveform itself or over its log-magnitude STFT (`encoder_n_fft`)."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        previous = config.channels
        if config.encoder_n_fft:
            layers.append(SpectralFront(config.encoder_n_fft, config.encoder_hop))
            previous = config.channels * (config.encoder_n_fft // 2 + 1)
        for index, spec in enumerate(config.encoder):
            layers.append(
                nn.Conv1d(previous, spec.channels, spec.kernel, spec.stride, spec.padding)
            )
            if index < len(config.encoder) - 1:
                layers.append(activation(config.activation))
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
    length = samples // config.encoder_hop if config.encoder_n_fft else samples
    for spec in config.encoder:
        length = (length + 2 * spec.padding - spec.kernel) // spec.stride + 1
        length //= spec.pool
    return length


def loop_indices(frames: int, device: torch.device) -> Tensor:
    """[frames, frames]: row L-1 lists, for each future frame, the input frame that a loop of
    period L plays there (the input's last L frames, repeated)."""
    lag = torch.arange(1, frames + 1, device=device)[:, None]
    step = torch.arange(frames, device=device)[None, :]
    return frames - lag + step % lag


def loop_latent(tokens: Tensor, lags: Tensor) -> Tensor:
    """Continue [batch, frames, dim] input tokens by looping each one's last `lags` frames."""
    batch, frames, dim = tokens.shape
    index = loop_indices(frames, tokens.device)[lags - 1]  # [batch, frames]
    return tokens.gather(1, index[..., None].expand(batch, frames, dim))


def best_lags(latent: Tensor, target: Tensor, min_lag: int) -> Tensor:
    """For each example, the loop period whose repetition of the input is closest to what
    really followed (in latent space): the label the lag head learns to predict."""
    tokens, truth = latent.transpose(1, 2), target.transpose(1, 2)
    frames = tokens.shape[1]
    index = loop_indices(frames, tokens.device)[min_lag - 1 :]  # [lags, frames]
    loops = tokens[:, index]  # [batch, lags, frames, dim]
    distance = (loops - truth[:, None]).square().mean(dim=(2, 3))
    return distance.argmin(dim=1) + min_lag


class Predictor(nn.Module):
    """The transformer: input latents -> latents of the following window.

    `same-frames` is the original: the window attends to itself and each output frame is read
    at the position of an input frame. `future-queries` appends one query token per future
    frame (a learned vector plus its position plus a projection of the variation vector), so
    the prediction is conditioned on where in the future it is and on which variation to play.

    Music repeats itself (the beat, the bar, the phrase), and a prediction made from scratch
    under a distance loss decays into the average of all futures: a drone with no beat. So the
    future-queries predictor chooses a *period* from a categorical distribution (logits per
    lag, informed by the input's self-similarity at that lag), continues the input's latents
    with that period, and adds a predicted correction with a Gaussian spread per frame.
    Sampling the period and the spread is where variations come from.
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
            frames = latent_frames(config, config.window_samples)
            self.input_norm = nn.LayerNorm(dim)
            self.query = nn.Parameter(torch.randn(dim) * 0.02)
            self.variation = nn.Linear(config.variation_dim, dim) if config.variation_dim else None
            self.lag_head = nn.Linear(dim, frames)
            self.similarity_scale = nn.Parameter(torch.tensor(3.0))
            self.head = nn.Linear(dim, 2 * dim)
            nn.init.zeros_(self.head.weight)  # start as a pure loop with unit spread
            nn.init.zeros_(self.head.bias)
            nn.init.zeros_(self.lag_head.weight)

    def forward(
        self,
        latent: Tensor,
        variation: Tensor | None = None,
        lags: Tensor | None = None,
        lag_noise: Tensor | None = None,
        choose: PeriodChoice | None = None,
    ) -> LatentPrediction:
        """`lags` forces the loop periods (training); otherwise the most likely period, or a
        sampled one when `lag_noise` (Gumbel noise times a temperature, [batch, frames]) is given;
        `choose` picks among the scores instead of each row taking its best.
        """
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
        normed = self.input_norm(tokens)
        encoded = self.transformer(torch.cat([normed + positions[:frames], queries], dim=1))
        future = encoded[:, frames:]
        lag_logits = self._lag_logits(normed, future)
        if lags is None:
            scores = lag_logits if lag_noise is None else lag_logits + lag_noise
            index = scores.argmax(dim=1) if choose is None else choose(scores)
            lags = index + self.config.min_lag_frames
        correction, log_sigma = self.head(future).chunk(2, dim=-1)
        mean = loop_latent(tokens, lags) + correction
        return LatentPrediction(
            mean.transpose(1, 2), log_sigma.clamp(-7.0, 2.0).transpose(1, 2), lag_logits, lags
        )

    def _lag_logits(self, normed: Tensor, future: Tensor) -> Tensor:
        """Logits for periods min_lag..frames: the input's self-similarity at each lag (how well
        it already repeats with that period) plus what the transformer adds."""
        frames = normed.shape[1]
        unit = nn.functional.normalize(normed.float(), dim=-1)  # float32 under mixed precision
        # Mean cosine similarity between each frame and the one `lag` frames earlier, for every
        # lag at once: the autocorrelation of the frame sequence, through the FFT.
        spectrum = torch.fft.rfft(unit, n=2 * frames, dim=1)
        products = torch.fft.irfft(spectrum * spectrum.conj(), n=2 * frames, dim=1)
        pairs = torch.arange(frames - 1, 0, -1, device=unit.device, dtype=unit.dtype)
        similarity = products[:, 1:frames].sum(dim=-1) / pairs  # lags 1 .. frames - 1
        similarity = nn.functional.pad(similarity, (0, 1))  # a whole-window period: no evidence
        logits = self.similarity_scale * similarity + self.lag_head(future.mean(dim=1))
        return logits[:, self.config.min_lag_frames - 1 :]


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


def locked_phase(log_magnitude: Tensor, n_fft: int, hop: int) -> Tensor:
    """A phase for STFT log magnitudes [signals, frames, bins] that lets every partial sound at
    its own pitch (a phase vocoder with phase locking, Laroche & Dolson 1999).

    A decoder whose phase barely moves from frame to frame plays every bin at its centre
    frequency: a comb at sample_rate / n_fft (25 Hz) that no chord survives. Here each bin
    follows its nearest spectral peak, whose frequency is read between bins from a parabola
    through the log magnitudes; the phase at a frame's centre advances by that frequency times
    the hop, and the bins around a peak keep the peak's phase plus pi per bin, as the STFT of a
    steady sinusoid under a Hann window has it. Measured with the true magnitudes of real
    music: chroma similarity 0.96-0.98 against 0.34-0.38 for a phase that stands still.
    """
    bins = log_magnitude.shape[-1]
    floor = log_magnitude.new_tensor(math.log(1e-7))  # on the input's device
    log = torch.logaddexp(log_magnitude, floor)  # log(magnitude + 1e-7)
    lower = nn.functional.pad(log, (1, 0), value=-1e9)[..., :-1]
    upper = nn.functional.pad(log, (0, 1), value=-1e9)[..., 1:]
    peak = (log > lower) & (log >= upper)  # two neighbours are never both peaks
    curvature = (lower - 2 * log + upper).clamp(max=-1e-6)
    index = torch.arange(bins, device=log.device, dtype=log.dtype)
    partial = index + (0.5 * (lower - upper) / curvature).clamp(-0.5, 0.5)
    # Peaks' frequencies rise with their bins, so a running max (min) from the left (right)
    # gives each bin the nearest peak below (above) it.
    far = 1e9
    below = torch.where(peak, partial, -far).cummax(dim=-1).values
    above = torch.where(peak, partial, far).flip(-1).cummin(dim=-1).values.flip(-1)
    frequency = torch.where(index - below <= above - index, below, above)  # in bins
    frequency = torch.where(frequency.abs() < far, frequency, index)  # a frame with no peak
    advance = (2 * math.pi * hop / n_fft) * frequency
    # Partials start in Schroeder's phases (pi f^2 / bins), not all at zero: zero would line
    # them up into a click at the start of every decoded window.
    start = (math.pi / bins) * frequency[:, :1].square()
    centre = start + torch.cumsum(advance, dim=1) - advance[:, :1]
    return centre + math.pi * (frequency - index)


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
            layers += [transposed(previous, spec), nn.GELU()]
            previous = spec.channels
        layers += [ConvNeXtBlock(previous) for _ in range(config.decoder_blocks)]
        self.body = nn.Sequential(*layers)
        self.bins = config.n_fft // 2 + 1
        self.head = nn.Conv1d(previous, config.channels * 2 * self.bins, 1)
        if config.decoder_phase == "locked":  # the learned offset starts at zero
            phase_rows = self.head.weight.view(config.channels, 2, self.bins, -1)[:, 1]
            nn.init.zeros_(phase_rows)
            nn.init.zeros_(self.head.bias.view(config.channels, 2, self.bins)[:, 1])
        self.register_buffer("window", torch.hann_window(config.n_fft), persistent=False)

    def forward(self, latent: Tensor) -> Tensor:
        """The waveform of `latent`."""
        log_magnitude, phase = self.spectrum(latent)
        phase = self.played_phase(log_magnitude, phase)
        return self.render(log_magnitude, torch.cos(phase), torch.sin(phase))

    def spectrum(self, latent: Tensor) -> tuple[Tensor, Tensor]:
        """The STFT frames that the latents decode to, before any phase locking: log
        magnitudes and learned phases, each [batch, channels, STFT frames, bins]."""
        features = self.body(latent).transpose(1, 2)  # [batch, stft frames, features]
        # The 1x1 head as a matrix product: half the time of the same Conv1d on CPU, and its
        # output comes out frame-major, as the inverse FFT wants it. Float32 from here on, also
        # under mixed precision: a bfloat16 phase is off by radians, and complex bfloat16 does
        # not exist.
        frames = nn.functional.linear(features, self.head.weight.squeeze(-1), self.head.bias)
        frames = frames.float()
        batch, count, _ = frames.shape
        frames = frames.reshape(batch, count, self.config.channels, 2, self.bins).transpose(1, 2)
        return frames[..., 0, :].clamp(max=6.0), frames[..., 1, :]

    def played_phase(self, log_magnitude: Tensor, phase: Tensor) -> Tensor:
        """The phase the cells play with: the learned `phase`, plus the phase locked to the
        peaks of `log_magnitude` for `decoder_phase = "locked"`."""
        if self.config.decoder_phase != "locked":
            return phase
        with torch.no_grad():
            locked = locked_phase(log_magnitude.flatten(0, 1), self.config.n_fft, self.config.hop)
        return phase + locked.view_as(phase)

    def render(self, log_magnitude: Tensor, real: Tensor, imaginary: Tensor) -> Tensor:
        """The waveform [batch, channels, samples] of STFT cells given by their log magnitudes
        and the parts of their unit phasors, each [batch, channels, STFT frames, bins]."""
        batch, channels, count, _ = log_magnitude.shape
        magnitude = log_magnitude.exp()
        # magnitude * e^(i phase), built from its parts: torch.polar is twice as slow on CPU.
        spectrum = torch.complex(magnitude * real, magnitude * imaginary)
        audio = self._synthesise(spectrum.reshape(batch * channels, count, self.bins))
        return audio.reshape(batch, channels, count * self.config.hop)

    def _synthesise(self, spectrum: Tensor) -> Tensor:
        """Inverse STFT of [signals, frames, bins], as `torch.istft(center=True)` computes it,
        for a hop that divides the FFT size: windowed frames overlap-added by n_fft / hop
        shifted sums, then divided by the summed squared window. A third of the time of
        torch.istft, whose general overlap-add dominates this decoder's cost on CPU."""
        n_fft, hop = self.config.n_fft, self.config.hop
        overlap = n_fft // hop
        signals, count, _ = spectrum.shape
        frames = torch.fft.irfft(spectrum, n=n_fft, dim=-1) * self.window
        frames = frames.reshape(signals, count, overlap, hop)
        out = frames.new_zeros(signals, count + overlap - 1, hop)
        envelope = frames.new_zeros(count + overlap - 1, hop)
        squared = self.window.square().reshape(overlap, hop)
        for shift in range(overlap):
            out[:, shift : shift + count] += frames[:, :, shift]
            envelope[shift : shift + count] += squared[shift]
        start = n_fft // 2  # center=True: frame t is centred on sample t * hop
        out = out.reshape(signals, -1)[:, start : start + count * hop]
        return out / envelope.reshape(-1)[start : start + count * hop].clamp(min=1e-11)


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

    def predict_latent(
        self,
        latent: Tensor,
        variation: Tensor | None = None,
        lags: Tensor | None = None,
        lag_noise: Tensor | None = None,
        choose: PeriodChoice | None = None,
    ) -> LatentPrediction:
        return self.predictor(latent, variation, lags, lag_noise, choose)

    def predict(self, latent: Tensor, sampling: Sampling | None) -> tuple[LatentPrediction, Tensor]:
        """The prediction, and the latents drawn from it (its mean without `sampling`)."""
        if sampling is None:
            predicted = self.predict_latent(latent)
            return predicted, predicted.mean
        predicted = self.predict_latent(
            latent, sampling.variation, lag_noise=sampling.lag_noise, choose=sampling.choose
        )
        return predicted, sample_latent(predicted, sampling.noise)

    def continue_latent(
        self, latent: Tensor, sampling: Sampling | None = None, frames: int | None = None
    ) -> Continued:
        """The window that follows these latents: its latents, and its waveform (only the
        prediction, which is all inference needs). `frames` decodes just the first latent frames
        of it (the last window of a continuation is seldom needed whole)."""
        _, future = self.predict(latent, sampling)
        return Continued(future, self.decode_following(latent, future, frames))

    def decode_following(
        self,
        latent: Tensor,
        future: Tensor,
        frames: int | None = None,
        decode: Callable[[Tensor], Tensor] | None = None,
    ) -> Tensor:
        """The waveform of `future` (of its first `frames`), the latents that follow `latent`.

        The decoder hears the input's last latent frames before the prediction, and their audio
        is cut off again: decoded alone, the prediction's first frames lack the neighbours the
        decoder's convolutions and overlap-add expect, and fade in (3 to 4 dB down over the
        first 30 ms): a dip at the join. `decode` decodes the frames heard (`self.decode` if not
        given)."""
        context = latent[..., -DECODER_REACH_FRAMES:]
        heard = torch.cat([context, future if frames is None else future[..., :frames]], dim=-1)
        waveform = (self.decode if decode is None else decode)(heard)
        start = waveform.shape[-1] * context.shape[-1] // heard.shape[-1]
        return waveform[..., start:]


class Sampling(NamedTuple):
    """The random choices behind one variation, each already scaled by the temperature."""

    variation: Tensor | None  # [batch, variation_dim]: which continuation to play
    noise: Tensor | None  # like the latent: where in the predicted spread to land
    lag_noise: Tensor | None  # [batch, lags] Gumbel noise: which repetition period to take
    choose: PeriodChoice | None = None  # how the rows pick their periods; None: each its best


def sample_latent(predicted: LatentPrediction, noise: Tensor | None) -> Tensor:
    """The predicted mean plus `noise` times the predicted spread."""
    if noise is None or predicted.log_sigma is None:
        return predicted.mean
    return predicted.mean + noise * predicted.log_sigma.exp()


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())

"""Hyper-parameters of a Segue network and of its training, as plain data.

Presets (TOML files in `presets/`) and model files both store these, so a model file always
says exactly which network it holds and how it was trained.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from typing import Any

from segue.presets import available_presets, preset_path

from .errors import InvalidValueError

MAX_VARIATIONS = 16  # continuations of one clip per request: one batch through the network
DEFAULT_TEMPERATURE = 0.5  # sampling: keeps to the likely repetition periods, on tempo, varied


@dataclass(frozen=True)
class ConvSpec:
    """One 1-D (transposed) convolution, optionally followed by max-pooling."""

    channels: int
    kernel: int
    stride: int = 1
    padding: int = 0
    output_padding: int = 0
    pool: int = 1


@dataclass(frozen=True)
class ModelConfig:
    """The network: encoder (conv + max-pool), transformer, decoder."""

    sample_rate: int
    channels: int
    window_seconds: float
    encoder: tuple[ConvSpec, ...]
    activation: str  # "none" (the original) or "gelu"
    heads: int
    layers: int
    ff_dim: int
    decoder: str  # "transposed" (the original) or "istft"
    decoder_layers: tuple[ConvSpec, ...]
    latent_frames: int | None = None  # adaptive average pooling to a fixed frame count
    encoder_n_fft: int = 0  # > 0: the encoder starts from a log-magnitude STFT of this size
    encoder_hop: int = 0
    dropout: float = 0.0
    norm_first: bool = False
    positional: str = "none"  # "none" or "sinusoidal"
    predictor: str = "same-frames"  # "same-frames" (the original) or "future-queries"
    variation_dim: int = 0  # size of the random vector a variation is drawn from; 0 = deterministic
    min_lag_frames: int = 8  # shortest repetition period the future-queries predictor may loop
    decoder_blocks: int = 0  # residual convolution blocks before the iSTFT head
    n_fft: int = 0
    hop: int = 0
    decoder_phase: str = "learned"  # "learned" (absolute) or "locked" (to peaks, plus learned)
    render: str = "decoder"  # what plays the prediction: "decoder" (the network's own audio) or
    # "clip" (the clip's own beats, arranged by the prediction: engine/arrangement.py)

    @property
    def latent_dim(self) -> int:
        return self.encoder[-1].channels

    @property
    def window_samples(self) -> int:
        return round(self.window_seconds * self.sample_rate)

    @property
    def clip_tail_seconds(self) -> float:
        """How much of a clip's end a continuation reads (the rest of a long file is never
        decoded): two windows and a second to spare."""
        return 2 * self.window_seconds + 1.0


@dataclass(frozen=True)
class TrainConfig:
    """How a preset is trained: data windows, losses, optimiser, the stages."""

    batch_size: int
    learning_rate: float
    accumulation: int = 1
    weight_decay: float = 0.0
    grad_clip: float | None = None
    input_offset: float = 0.0  # the original added +1 to input and target while training
    stage1_fraction: float = 0.3  # share of the budget spent on the autoencoder alone
    stage3_fraction: float = 0.0  # share, at the end, on the decoder alone (real latents only)
    stage3_learning_rate: float | None = None  # None: the learning rate of the other stages
    reconstruction_weight: float = 1.0
    prediction_weight: float = 1.0
    waveform_loss: str = "mse"  # "mse", "l1", or "none" (for a phase not meant to be the input's)
    prediction_waveform_loss: bool = True
    stft_weight: float = 0.0
    stft_sizes: tuple[int, ...] = (2048, 512, 128)
    stft_mels: tuple[int, ...] = ()  # mel bands per STFT size (the ear's resolution); () linear
    spectral_crop_seconds: float | None = None  # spectral losses on a random crop of each window
    latent_weight: float = 0.0
    lag_weight: float = 0.0
    best_of: int = 1  # variation vectors tried per pair; the closest one is trained
    pair_hop_seconds: float = 10.0
    max_song_seconds: float | None = None
    validation_fraction: float = 0.1

    def __post_init__(self) -> None:
        """A preset's mistake is refused when it is read, not after its songs are preprocessed."""
        if self.stft_mels and len(self.stft_mels) != len(self.stft_sizes):
            raise InvalidValueError(
                "stft_mels needs one number of mel bands per size in stft_sizes"
            )
        fractions = (self.stage1_fraction, self.stage3_fraction)
        if min(fractions) < 0 or sum(fractions) > 1:
            raise InvalidValueError(
                "stage1_fraction and stage3_fraction must share at most the budget"
            )

    def stage(self, done: float) -> int:
        """The stage at this fraction of the budget: 1 autoencoder, 2 whole net, 3 decoder."""
        if done < self.stage1_fraction:
            return 1
        return 3 if done >= 1.0 - self.stage3_fraction else 2

    def stage_learning_rate(self, stage: int) -> float:
        if stage == 3 and self.stage3_learning_rate is not None:
            return self.stage3_learning_rate
        return self.learning_rate


@dataclass(frozen=True)
class Preset:
    name: str
    intent: str
    model: ModelConfig
    train: TrainConfig
    extra: dict[str, Any] = field(default_factory=dict)


def load_preset(name: str) -> Preset:
    """A shipped preset by name, or a preset file of your own by its path (`my.toml`)."""
    path = preset_path(name)
    if not path.is_file():
        raise InvalidValueError(
            f"unknown preset {name!r}: available are {', '.join(available_presets())}"
        )
    data = tomllib.loads(path.read_text())
    return Preset(
        name=data["name"],
        intent=data["intent"],
        model=model_config_from_dict(data["model"]),
        train=train_config_from_dict(data.get("train", {})),
    )


def _build(cls: type, data: dict[str, Any]) -> Any:
    """Build a config dataclass from a dict, refusing unknown keys so a typo never goes unseen."""
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(data) - set(known)
    if unknown:
        raise InvalidValueError(f"unknown {cls.__name__} keys: {', '.join(sorted(unknown))}")
    values = dict(data)
    for name in ("encoder", "decoder_layers"):
        if name in values:
            values[name] = tuple(ConvSpec(**spec) for spec in values[name])
    for name in ("stft_sizes", "stft_mels"):
        if name in values:
            values[name] = tuple(values[name])
    return cls(**values)


def model_config_from_dict(data: dict[str, Any]) -> ModelConfig:
    config: ModelConfig = _build(ModelConfig, data)
    _validate(config)
    return config


def train_config_from_dict(data: dict[str, Any]) -> TrainConfig:
    return _build(TrainConfig, data)


def to_dict(config: ModelConfig | TrainConfig) -> dict[str, Any]:
    return dataclasses.asdict(config)


def _validate(config: ModelConfig) -> None:
    if config.activation not in ("none", "gelu"):
        raise InvalidValueError(f"activation must be 'none' or 'gelu', not {config.activation!r}")
    if config.decoder not in ("transposed", "istft"):
        raise InvalidValueError(f"decoder must be 'transposed' or 'istft', not {config.decoder!r}")
    if config.positional not in ("none", "sinusoidal"):
        raise InvalidValueError(
            f"positional must be 'none' or 'sinusoidal', not {config.positional!r}"
        )
    if config.predictor not in ("same-frames", "future-queries"):
        raise InvalidValueError("predictor must be 'same-frames' or 'future-queries'")
    if config.latent_dim % config.heads:
        raise InvalidValueError("the latent size must be divisible by the number of heads")
    if config.decoder_phase not in ("learned", "locked"):
        raise InvalidValueError(
            f"decoder_phase must be 'learned' or 'locked', not {config.decoder_phase!r}"
        )
    if config.render not in ("decoder", "clip"):
        raise InvalidValueError(f"render must be 'decoder' or 'clip', not {config.render!r}")
    if config.render == "clip" and not config.variation_dim:
        raise InvalidValueError(
            "render = 'clip' needs a model that draws variations (variation_dim)"
        )
    if config.decoder_phase == "locked" and config.decoder != "istft":
        raise InvalidValueError("a locked decoder phase needs the istft decoder")
    if config.encoder_n_fft and config.encoder_hop <= 0:
        raise InvalidValueError("a spectral encoder needs a positive encoder_hop")
    if config.decoder == "istft" and (
        config.hop <= 0 or config.n_fft % config.hop or config.n_fft // config.hop < 2
    ):
        raise InvalidValueError("an istft decoder needs a hop that divides n_fft at least twice")

"""The original project's network (preset `seed`), kept as the baseline that Segue is measured
against: rebuilt as its published code builds it, flaws included (../shared/seed/ in the
project's workspace has the original's README and what its code really does).

What only the original uses is its decoder, a stack of transposed convolutions with no
activation between them. Its encoder (conv + max-pool) and its transformer are `model.py`'s,
with the original's settings: they grew into Segue's own. The two layer kinds the original is
made of are here too, and Segue's design builds on them: the activation after a convolution
(none in the original, GELU in Segue's) and a transposed convolution as a `ConvSpec` gives it
(the iSTFT decoder's upsampling).
"""

from __future__ import annotations

from torch import Tensor, nn

from .config import ConvSpec, ModelConfig


def activation(name: str) -> nn.Module:
    return nn.GELU() if name == "gelu" else nn.Identity()


def transposed(in_channels: int, spec: ConvSpec) -> nn.ConvTranspose1d:
    return nn.ConvTranspose1d(
        in_channels, spec.channels, spec.kernel, spec.stride, spec.padding, spec.output_padding
    )


class TransposedDecoder(nn.Module):
    """The original decoder: a stack of transposed convolutions."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        previous = config.latent_dim
        for index, spec in enumerate(config.decoder_layers):
            layers.append(transposed(previous, spec))
            if index < len(config.decoder_layers) - 1:
                layers.append(activation(config.activation))
            previous = spec.channels
        self.layers = nn.Sequential(*layers)

    def forward(self, latent: Tensor) -> Tensor:
        return self.layers(latent)

"""Training losses: waveform, multi-resolution STFT, and the latent Gaussian of the prediction."""

from __future__ import annotations

import auraloss
import torch
from torch import Tensor, nn
from torch.nn import functional

from segue.engine.config import TrainConfig
from segue.engine.model import LatentPrediction


class Losses(nn.Module):
    """Every loss a preset asks for, configured once from its TrainConfig."""

    def __init__(self, config: TrainConfig, sample_rate: int, generator: torch.Generator) -> None:
        super().__init__()
        self.config = config
        self.generator = generator
        self.crop = (
            round(config.spectral_crop_seconds * sample_rate)
            if config.spectral_crop_seconds
            else None
        )
        self.stft = (
            auraloss.freq.MultiResolutionSTFTLoss(
                fft_sizes=list(config.stft_sizes),
                hop_sizes=[size // 4 for size in config.stft_sizes],
                win_lengths=list(config.stft_sizes),
            )
            if config.stft_weight > 0
            else None
        )

    def waveform(self, output: Tensor, target: Tensor) -> Tensor:
        if self.config.waveform_loss == "none":
            return output.new_zeros(())
        if self.config.waveform_loss == "l1":
            return functional.l1_loss(output, target)
        return functional.mse_loss(output, target)

    def spectral(self, output: Tensor, target: Tensor) -> Tensor:
        if self.stft is None:
            return output.new_zeros(())
        if self.crop is not None and self.crop < output.shape[-1]:
            start = int(
                torch.randint(output.shape[-1] - self.crop + 1, (1,), generator=self.generator)
            )
            output = output[..., start : start + self.crop]
            target = target[..., start : start + self.crop]
        return self.config.stft_weight * self.stft(output, target)

    def reconstruction(self, output: Tensor, target: Tensor) -> Tensor:
        return self.waveform(output, target) + self.spectral(output, target)

    def prediction(self, output: Tensor, target: Tensor) -> Tensor:
        loss = self.spectral(output, target)
        if self.config.prediction_waveform_loss:
            loss = loss + self.waveform(output, target)
        return loss


def latent_nll(predicted: LatentPrediction, target: Tensor) -> Tensor:
    """Per-example Gaussian negative log-likelihood of the true next latents (mean over frames)."""
    assert predicted.log_sigma is not None
    z = (target - predicted.mean) * torch.exp(-predicted.log_sigma)
    return (0.5 * z.square() + predicted.log_sigma).mean(dim=(1, 2))

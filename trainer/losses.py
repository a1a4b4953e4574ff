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
            nn.ModuleList(_stft_loss(size, mels, sample_rate) for size, mels in resolutions(config))
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
        losses = [loss(output, target) for loss in self.stft]
        return self.config.stft_weight * torch.stack(losses).mean()

    def reconstruction(self, output: Tensor, target: Tensor) -> Tensor:
        return self.waveform(output, target) + self.spectral(output, target)

    def prediction(self, output: Tensor, target: Tensor) -> Tensor:
        loss = self.spectral(output, target)
        if self.config.prediction_waveform_loss:
            loss = loss + self.waveform(output, target)
        return loss


def resolutions(config: TrainConfig) -> list[tuple[int, int | None]]:
    """(FFT size, mel bands or None for linear bins) for each resolution of the spectral loss."""
    mels = config.stft_mels or (None,) * len(config.stft_sizes)  # the config checked the lengths
    return list(zip(config.stft_sizes, mels, strict=True))


def _stft_loss(size: int, mels: int | None, sample_rate: int) -> nn.Module:
    """Spectral convergence plus log-magnitude L1 at one resolution (auraloss). On mel bands,
    low frequencies weigh as the ear (and a log-mel judge) weighs them; linear bins give the
    few below 300 Hz, where bass and kick live, under 3 % of the loss."""
    scale = {} if mels is None else {"scale": "mel", "n_bins": mels, "sample_rate": sample_rate}
    return auraloss.freq.STFTLoss(fft_size=size, hop_size=size // 4, win_length=size, **scale)


def latent_nll(predicted: LatentPrediction, target: Tensor) -> Tensor:
    """Per-example Gaussian negative log-likelihood of the true next latents (mean over frames)."""
    assert predicted.log_sigma is not None
    z = (target - predicted.mean) * torch.exp(-predicted.log_sigma)
    return (0.5 * z.square() + predicted.log_sigma).mean(dim=(1, 2))

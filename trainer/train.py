"""Two-stage training, as in the original: the autoencoder alone, then the whole network.

Stage 1 trains encoder and decoder on reconstruction; stage 2 adds the transformer and trains
everything on reconstruction + prediction. The budget (steps or minutes) is split between the
stages by the preset's `stage1_fraction`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import Tensor
from torch.nn import functional
from tqdm import tqdm

from segue.engine.config import Preset, to_dict
from segue.engine.model import LatentPrediction, SegueNet, best_lags, sample_latent
from segue.engine.modelfile import save_model

from .data import Library, PairDataset, load_library, split_songs
from .losses import Losses, latent_nll

VALIDATION_PAIRS = 32


@dataclass
class Budget:
    """Either a number of optimiser steps or a wall-clock time; the first one given wins."""

    steps: int | None = None
    minutes: float | None = None

    def __post_init__(self) -> None:
        if (self.steps is None) == (self.minutes is None):
            raise ValueError("give exactly one of steps or minutes")

    def fraction_done(self, step: int, started: float) -> float:
        if self.steps is not None:
            return step / self.steps
        return (time.monotonic() - started) / (60.0 * self.minutes)


@dataclass
class TrainingResult:
    path: Path
    steps: int
    stage1_steps: int
    seconds: float
    validation: dict[str, float]
    skipped: list[tuple[str, str]] = field(default_factory=list)


class Trainer:
    def __init__(self, preset: Preset, device: torch.device, seed: int = 0) -> None:
        self.preset = preset
        self.device = device
        self.seed = seed
        torch.manual_seed(seed)
        self.model = SegueNet(preset.model).to(device)
        self.generator = torch.Generator(device="cpu").manual_seed(seed)
        self.losses = Losses(preset.train, preset.model.sample_rate, self.generator).to(device)
        self.optimizer = torch.optim.AdamW(
            self.model.parameters(),
            lr=preset.train.learning_rate,
            weight_decay=preset.train.weight_decay,
        )

    def step_loss(self, inputs: Tensor, targets: Tensor, stage: int) -> dict[str, Tensor]:
        """The weighted losses of one batch and their total; stage 1 is reconstruction only."""
        model, train = self.model, self.preset.train
        latent = model.encode(inputs)
        losses = {"reconstruction": self.losses.reconstruction(model.decode(latent), inputs)}
        if stage == 2:
            prediction, latent_losses = self._predict(latent, targets)
            losses["prediction"] = self.losses.prediction(prediction, targets)
            losses.update(latent_losses)
        weights = {
            "reconstruction": train.reconstruction_weight,
            "prediction": train.prediction_weight,
            "latent": train.latent_weight,
            "lag": train.lag_weight,
        }
        losses["total"] = sum(weights[name] * value for name, value in losses.items())
        return losses

    def _predict(self, latent: Tensor, targets: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        """The decoded prediction, and the latent-space losses of a generative predictor.

        The loop period is taught as a classification (the period that best continues the
        input into the truth). Then `best_of` variation vectors are tried per pair and only
        the one closest to the truth is trained, so that different vectors learn different
        plausible futures instead of all collapsing onto their average.
        """
        model, config = self.model, self.preset.model
        if config.variation_dim == 0:
            return model.decode(model.predict_latent(latent).mean), {}
        # The encoder learns from reconstruction only: a latent loss that could reach it would
        # reward shrinking every latent toward zero.
        latent = latent.detach()
        with torch.no_grad():
            target_latent = model.encode(targets)
            lags = best_lags(latent, target_latent, config.min_lag_frames)
        tries, batch = self.preset.train.best_of, latent.shape[0]
        predicted = model.predict_latent(
            latent.repeat(tries, 1, 1),
            self._randn(tries * batch, config.variation_dim),
            lags=lags.repeat(tries),
        )
        nll = latent_nll(predicted, target_latent.repeat(tries, 1, 1)).view(tries, batch)
        best = nll.argmin(dim=0) * batch + torch.arange(batch, device=latent.device)
        winner = LatentPrediction(predicted.mean[best], predicted.log_sigma[best])
        future = sample_latent(winner, self._randn(*winner.mean.shape))
        lag_loss = functional.cross_entropy(
            predicted.lag_logits, (lags - config.min_lag_frames).repeat(tries)
        )
        return model.decode(future), {"latent": nll.min(dim=0).values.mean(), "lag": lag_loss}

    def _randn(self, *shape: int) -> Tensor:
        return torch.randn(*shape, generator=self.generator).to(self.device)

    @torch.no_grad()
    def validate(self, dataset: PairDataset) -> dict[str, float]:
        """Mean losses over a fixed set of validation pairs (no offset, as the original)."""
        if len(dataset) == 0:
            return {}
        self.model.eval()
        picks = torch.linspace(0, len(dataset) - 1, min(VALIDATION_PAIRS, len(dataset))).long()
        sums: dict[str, float] = {}
        state = self.generator.get_state()
        self.generator.manual_seed(self.seed)
        for index in picks.tolist():
            inputs, targets = (t[None].to(self.device) for t in dataset[index])
            for name, value in self.step_loss(inputs, targets, stage=2).items():
                sums[name] = sums.get(name, 0.0) + float(value)
        self.generator.set_state(state)
        self.model.train()
        return {name: total / len(picks) for name, total in sums.items()}

    def fit(self, dataset: PairDataset, budget: Budget, progress: bool = True) -> tuple[int, int]:
        """Train until the budget is spent; returns (steps, stage-1 steps). Ctrl-C stops early."""
        train, window = self.preset.train, self.preset.model.window_seconds
        loader = torch.utils.data.DataLoader(
            dataset,
            batch_size=train.batch_size,
            sampler=torch.utils.data.RandomSampler(
                dataset, replacement=True, num_samples=10**9, generator=self.generator
            ),
            drop_last=True,
        )
        batches = iter(loader)
        self.model.train()
        started = time.monotonic()
        step = stage1_steps = 0
        bar = tqdm(total=None, desc="training", unit="step", disable=not progress)
        try:
            while (done := budget.fraction_done(step, started)) < 1.0:
                stage = 1 if done < train.stage1_fraction else 2
                if stage == 1:
                    stage1_steps += 1
                self.optimizer.zero_grad(set_to_none=True)
                for _ in range(train.accumulation):
                    inputs, targets = (t.to(self.device) for t in next(batches))
                    losses = self.step_loss(
                        inputs + train.input_offset, targets + train.input_offset, stage
                    )
                    (losses["total"] / train.accumulation).backward()
                if train.grad_clip:
                    torch.nn.utils.clip_grad_norm_(self.model.parameters(), train.grad_clip)
                self.optimizer.step()
                step += 1
                audio_seconds = step * train.accumulation * train.batch_size * 2 * window
                bar.update()
                bar.set_postfix(
                    stage=stage,
                    loss=f"{losses['total'].item():.4f}",
                    audio_s_per_s=f"{audio_seconds / (time.monotonic() - started):.1f}",
                )
        except KeyboardInterrupt:
            bar.write("interrupted: saving the model trained so far")
        bar.close()
        return step, stage1_steps


def train_library(
    preset: Preset,
    library: Path,
    output: Path,
    budget: Budget,
    device: torch.device,
    seed: int = 0,
    progress: bool = True,
) -> TrainingResult:
    """Library folder -> trained model file, with what was trained on recorded in its metadata."""
    songs: Library = load_library(library, preset.model, preset.train)
    if not songs.songs:
        reasons = "; ".join(reason for _, reason in songs.skipped[:3]) or "no audio files found"
        raise ValueError(f"nothing usable to train on in '{library}': {reasons}")
    train_songs, validation_songs = split_songs(songs.songs, preset.train.validation_fraction, seed)
    trainset = PairDataset(train_songs, preset.model, preset.train)
    if len(trainset) < preset.train.batch_size:
        raise ValueError(
            f"only {len(trainset)} training pairs in '{library}': need at least one batch "
            f"({preset.train.batch_size}); add songs longer than "
            f"{2 * preset.model.window_seconds:g} s"
        )
    validation_set = PairDataset(validation_songs, preset.model, preset.train)
    trainer = Trainer(preset, device, seed)
    started = time.monotonic()
    steps, stage1_steps = trainer.fit(trainset, budget, progress)
    seconds = time.monotonic() - started
    validation = trainer.validate(validation_set)
    metadata = {
        "preset": preset.name,
        "train_config": to_dict(preset.train),
        "steps": steps,
        "stage1_steps": stage1_steps,
        "train_seconds": round(seconds, 1),
        "seed": seed,
        "device": str(device),
        "validation_losses": validation,
        "data": {
            "library": Path(library).name,
            "train_songs": sorted(song.name for song in train_songs),
            "validation_songs": sorted(song.name for song in validation_songs),
            "train_pairs": len(trainset),
            "validation_pairs": len(validation_set),
            "skipped": len(songs.skipped),
        },
    }
    path = save_model(output, trainer.model, metadata)
    return TrainingResult(path, steps, stage1_steps, seconds, validation, songs.skipped)

"""Two-stage training, as in the original: the autoencoder alone, then the whole network.

Stage 1 trains encoder and decoder on reconstruction; stage 2 adds the transformer and trains
everything on reconstruction + prediction. A preset may add a third stage: the decoder alone,
on the encoder's latents of real audio (inputs and continuations both), everything else frozen.
In stage 2 the decoder also renders predicted latents, which are blurrier than real ones, and
learns to hedge; stage 3 sharpens it again on what it will replay. The budget (epochs, steps
or minutes) is split between the stages by the preset's `stage1_fraction` and
`stage3_fraction`.

A run keeps its working files beside the model, in `<model>.run/`: the checkpoint (written
every epoch, every few minutes, and on Ctrl-C), listening samples and `progress.png`. Every
random choice of a step is drawn from a generator seeded by (seed, rank, step), and the data
order of an epoch by (seed, epoch), so `--resume` continues exactly where a run stopped and a
`torchrun` run trains on the same pairs a single process would.
"""

from __future__ import annotations

import json
import signal
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import Tensor, nn
from torch.nn import functional
from tqdm import tqdm

from segue.engine.config import ModelConfig, Preset, to_dict
from segue.engine.errors import InvalidValueError
from segue.engine.model import LatentPrediction, SegueNet, best_lags, sample_latent
from segue.engine.modelfile import load_model, save_model
from segue.engine.modelheader import read_header

from . import distributed
from .checkpoint import load_checkpoint, save_checkpoint
from .dataset import PairDataset, Pairs, datasets
from .losses import Losses, latent_nll
from .report import listening_sample, plot_progress

VALIDATION_PAIRS = 32
CHECKPOINT_SECONDS = 600.0  # also between epochs, so a long epoch never loses more than this


@dataclass
class Budget:
    """Exactly one of: epochs (passes over the training pairs), optimiser steps, minutes."""

    epochs: int | None = None
    steps: int | None = None
    minutes: float | None = None

    def __post_init__(self) -> None:
        given = [value for value in (self.epochs, self.steps, self.minutes) if value is not None]
        if len(given) != 1:
            raise InvalidValueError("give exactly one of epochs, steps or minutes")
        if given[0] <= 0:
            raise InvalidValueError("the training budget must be positive")

    def total_steps(self, steps_per_epoch: int) -> int | None:
        if self.epochs is not None:
            return self.epochs * steps_per_epoch
        return self.steps

    def fraction_done(self, step: int, steps_per_epoch: int, seconds: float) -> float:
        total = self.total_steps(steps_per_epoch)
        if total is not None:
            return step / total
        return seconds / (60.0 * self.minutes)


@dataclass
class RunOptions:
    output: Path
    budget: Budget
    device: torch.device
    seed: int = 0
    resume: bool = False
    init_from: Path | None = None  # fine-tune this model file instead of starting fresh
    samples_every: int = 5  # epochs between listening samples
    progress: bool = True

    @property
    def run_folder(self) -> Path:
        return self.output.with_suffix(".run")


@dataclass
class TrainingResult:
    path: Path
    run_folder: Path
    steps: int
    stage1_steps: int
    stage3_steps: int
    epochs: int  # completed
    seconds: float
    audio_seconds_per_second: float  # trained per second of training steps (not validation)
    validation: dict[str, float]
    best_validation: float | None
    best_epoch: int | None
    history: list[dict[str, float]] = field(default_factory=list)


class TrainingStep(nn.Module):
    """The network and its losses as one module, so DistributedDataParallel can wrap it."""

    def __init__(self, model: SegueNet, preset: Preset) -> None:
        super().__init__()
        self.model = model
        self.train_config = preset.train
        self.generator = torch.Generator(device="cpu")
        self.losses = Losses(preset.train, model.config.sample_rate, self.generator)

    def forward(self, inputs: Tensor, targets: Tensor, stage: int) -> dict[str, Tensor]:
        """The weighted losses of one batch and their total; stage 1 is reconstruction only,
        stage 3 the reconstruction of both windows through a frozen encoder."""
        model, train = self.model, self.train_config
        if stage == 3:
            inputs = torch.cat([inputs, targets])  # both windows are real audio to render
            with torch.no_grad():
                latent = model.encode(inputs)
        else:
            latent = model.encode(inputs)
        reconstruction = model.decode(latent).float()
        losses = {"reconstruction": self.losses.reconstruction(reconstruction, inputs)}
        if stage == 2:
            prediction, latent_losses = self._predict(latent, targets)
            losses["prediction"] = self.losses.prediction(prediction.float(), targets)
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
        model, config = self.model, self.model.config
        if config.variation_dim == 0:
            return model.decode(model.predict_latent(latent).mean), {}
        # The encoder learns from reconstruction only: a latent loss that could reach it would
        # reward shrinking every latent toward zero.
        latent = latent.detach()
        with torch.no_grad():
            target_latent = model.encode(targets)
            lags = best_lags(latent, target_latent, config.min_lag_frames)
        tries, batch = self.train_config.best_of, latent.shape[0]
        predicted = model.predict_latent(
            latent.repeat(tries, 1, 1),
            self._randn(tries * batch, config.variation_dim, like=latent),
            lags=lags.repeat(tries),
        )
        nll = latent_nll(predicted, target_latent.repeat(tries, 1, 1)).view(tries, batch)
        best = nll.argmin(dim=0) * batch + torch.arange(batch, device=latent.device)
        winner = LatentPrediction(predicted.mean[best], predicted.log_sigma[best])
        future = sample_latent(winner, self._randn(*winner.mean.shape, like=latent))
        lag_loss = functional.cross_entropy(
            predicted.lag_logits, (lags - config.min_lag_frames).repeat(tries)
        )
        return model.decode(future), {"latent": nll.min(dim=0).values.mean(), "lag": lag_loss}

    def _randn(self, *shape: int, like: Tensor) -> Tensor:
        return torch.randn(*shape, generator=self.generator).to(like.device, like.dtype)


def epoch_batches(pairs: int, batch: int, epoch: int, seed: int, ranks: distributed.Ranks):
    """This rank's batches of one epoch: [batches, batch] pair indices.

    One permutation of all pairs per (seed, epoch), cut into global batches of `batch` x world;
    rank r takes the r-th slice of each. The union over ranks of a global batch is what one
    process with a `batch` x world batch would see.
    """
    order = torch.randperm(pairs, generator=torch.Generator().manual_seed(seed * 7919 + epoch))
    per_step = batch * ranks.world
    usable = pairs // per_step * per_step
    return order[:usable].view(-1, ranks.world, batch)[:, ranks.rank]


class Trainer:
    def __init__(
        self, preset: Preset, model: SegueNet, options: RunOptions, ranks: distributed.Ranks
    ) -> None:
        self.preset, self.options, self.ranks = preset, options, ranks
        self.device = next(model.parameters()).device
        self.step_module = TrainingStep(model, preset).to(self.device)
        train = preset.train
        self.optimizer = torch.optim.AdamW(
            model.parameters(), lr=train.learning_rate, weight_decay=train.weight_decay
        )
        self.wrapped: nn.Module = self.step_module
        if ranks.distributed:
            self.wrapped = nn.parallel.DistributedDataParallel(
                self.step_module,
                find_unused_parameters=True,  # stages 1 and 3 leave parts out
            )
        self.step = self.stage1_steps = self.stage3_steps = self.epoch = self.batch_in_epoch = 0
        self.elapsed = 0.0  # wall clock of the whole run, validation and samples included
        self.stepping = 0.0  # of that, the time spent in training steps: what throughput counts
        self.history: list[dict[str, float]] = []
        self.stop_requested = False

    @property
    def model(self) -> SegueNet:
        return self.step_module.model

    def throughput(self) -> float:
        """Audio seconds (input and following window of every pair, every process) trained per
        second spent in training steps."""
        train, world = self.preset.train, self.ranks.world
        per_step = (
            train.batch_size * train.accumulation * world * 2 * self.model.config.window_seconds
        )
        return per_step * self.step / max(self.stepping, 1e-9)

    # --- state -----------------------------------------------------------------------------

    def state(self) -> dict:
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "step": self.step,
            "stage1_steps": self.stage1_steps,
            "stage3_steps": self.stage3_steps,
            "epoch": self.epoch,
            "batch_in_epoch": self.batch_in_epoch,
            "elapsed": self.elapsed,
            "stepping": self.stepping,
            "history": self.history,
            "config": json.dumps(to_dict(self.model.config)),
            "train_config": json.dumps(to_dict(self.preset.train)),
            "seed": self.options.seed,
        }

    def restore(self, state: dict) -> None:
        if state["config"] != json.dumps(to_dict(self.model.config)) or state[
            "train_config"
        ] != json.dumps(to_dict(self.preset.train)):
            raise InvalidValueError(
                "the checkpoint was made with another preset or model: resume with the same "
                "--preset (and --from) as the run it continues"
            )
        if state["seed"] != self.options.seed:
            raise InvalidValueError(
                f"the checkpoint was made with --seed {state['seed']}: use it again"
            )
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        keys = (
            "step", "stage1_steps", "stage3_steps", "epoch", "batch_in_epoch", "elapsed",
            "stepping", "history",
        )  # fmt: skip
        for key in keys:
            setattr(self, key, state[key])

    def checkpoint(self) -> None:
        if self.ranks.main:
            save_checkpoint(self.options.run_folder, self.state())

    # --- training --------------------------------------------------------------------------

    def train_step(self, batches: list[tuple[Tensor, Tensor]], stage: int) -> float:
        train = self.preset.train
        self.step_module.generator.manual_seed(
            (self.options.seed * 1_000_003 + self.ranks.rank) * 1_000_003 + self.step
        )
        for group in self.optimizer.param_groups:
            group["lr"] = train.stage_learning_rate(stage)
        # Parameters left without a gradient (all but the decoder's in stage 3, the
        # transformer's in stage 1) are skipped by AdamW: no step, no weight decay.
        self.optimizer.zero_grad(set_to_none=True)
        total = 0.0
        for inputs, targets in batches:
            inputs, targets = inputs.to(self.device), targets.to(self.device)
            with self._precision():
                losses = self.wrapped(
                    inputs + train.input_offset, targets + train.input_offset, stage
                )
            (losses["total"] / len(batches)).backward()
            total += float(losses["total"].detach()) / len(batches)
        if train.grad_clip:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), train.grad_clip)
        self.optimizer.step()
        return total

    def _precision(self):
        """bfloat16 autocast on a GPU (mixed precision); full precision on the CPU."""
        if self.device.type == "cuda":
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return nullcontext()

    @torch.no_grad()
    def validate(self, dataset: PairDataset) -> dict[str, float]:
        """Mean losses over a fixed set of validation pairs, with fixed random draws."""
        if len(dataset) == 0:
            return {}
        self.model.eval()
        picks = torch.linspace(0, len(dataset) - 1, min(VALIDATION_PAIRS, len(dataset))).long()
        sums: dict[str, float] = {}
        self.step_module.generator.manual_seed(self.options.seed)
        for index in picks.tolist():
            inputs, targets = (t[None].to(self.device) for t in dataset[index])
            for name, value in self.step_module(inputs, targets, stage=2).items():
                sums[name] = sums.get(name, 0.0) + float(value)
        self.model.train()
        return {name: total / len(picks) for name, total in sums.items()}

    def fit(self, trainset: PairDataset, validation: PairDataset) -> None:
        """Train until the budget is spent or Ctrl-C; checkpoint on the way and at the end."""
        train, options = self.preset.train, self.options
        batches_per_epoch = len(trainset) // (train.batch_size * self.ranks.world)
        steps_per_epoch = batches_per_epoch // train.accumulation
        if steps_per_epoch == 0:
            need = train.batch_size * train.accumulation * self.ranks.world
            raise InvalidValueError(
                f"only {len(trainset)} training pairs: one step needs {need}; add songs longer "
                f"than {2 * self.model.config.window_seconds:g} s"
            )
        bar = tqdm(
            total=options.budget.total_steps(steps_per_epoch),
            initial=self.step,
            desc="training",
            unit="step",
            disable=not (options.progress and self.ranks.main),
        )
        started, last_checkpoint, epoch_losses = time.monotonic(), time.monotonic(), []
        before = self.elapsed
        self.model.train()
        with _stop_on_ctrl_c(self):
            while not self._spent(steps_per_epoch, before + time.monotonic() - started):
                order = epoch_batches(
                    len(trainset), train.batch_size, self.epoch, options.seed, self.ranks
                )
                steps = order[: steps_per_epoch * train.accumulation].view(
                    steps_per_epoch, train.accumulation, -1
                )
                for indices in steps[self.batch_in_epoch :]:
                    seconds = before + time.monotonic() - started
                    if self._spent(steps_per_epoch, seconds):
                        break
                    done = options.budget.fraction_done(self.step, steps_per_epoch, seconds)
                    stage = train.stage(done)
                    step_started = time.monotonic()
                    batches = [_collate(trainset, part) for part in indices]
                    loss = self.train_step(batches, stage)
                    self.stepping += time.monotonic() - step_started
                    epoch_losses.append(loss)
                    self.step += 1
                    self.stage1_steps += stage == 1
                    self.stage3_steps += stage == 3
                    self.batch_in_epoch += 1
                    self.elapsed = before + time.monotonic() - started
                    bar.update()
                    bar.set_postfix(
                        epoch=self.epoch + 1,
                        stage=stage,
                        loss=f"{loss:.4f}",
                        audio_s_per_s=f"{self.throughput():.1f}",
                    )
                    if time.monotonic() - last_checkpoint > CHECKPOINT_SECONDS:
                        self.checkpoint()
                        last_checkpoint = time.monotonic()
                else:
                    self._end_epoch(epoch_losses, validation)
                    epoch_losses = []
                    last_checkpoint = time.monotonic()
                    continue
                break
        self.elapsed = before + time.monotonic() - started
        bar.close()
        self.checkpoint()

    def _spent(self, steps_per_epoch: int, seconds: float) -> bool:
        done = self.options.budget.fraction_done(self.step, steps_per_epoch, seconds) >= 1.0
        return distributed.agree(done or self.stop_requested, self.ranks, self.device)

    def _end_epoch(self, losses: list[float], validation: PairDataset) -> None:
        self.epoch += 1
        self.batch_in_epoch = 0
        if self.ranks.main:
            entry = {"epoch": self.epoch, "step": self.step}
            if losses:
                entry["train_total"] = sum(losses) / len(losses)
            entry.update({f"validation_{k}": v for k, v in self.validate(validation).items()})
            self.history.append(entry)
            if self.options.progress:
                losses = {k: v for k, v in entry.items() if k not in ("epoch", "step")}
                tqdm.write(
                    f"epoch {self.epoch}: "
                    + ", ".join(f"{k.replace('_', ' ')} {v:.4f}" for k, v in losses.items())
                )
            if self.epoch % self.options.samples_every == 0 and len(validation):
                self.listening_sample(validation)
        self.checkpoint()
        distributed.barrier(self.ranks)

    def listening_sample(self, validation: PairDataset) -> None:
        inputs, truth = validation[len(validation) // 2]
        folder = self.options.run_folder / "samples" / f"epoch-{self.epoch:03d}"
        prediction = listening_sample(self.model, inputs, truth, folder)
        plot_progress(
            self.history,
            prediction,
            truth.numpy(),
            self.model.config.sample_rate,
            self.options.run_folder / "progress.png",
        )


def _collate(dataset: PairDataset, indices: Tensor) -> tuple[Tensor, Tensor]:
    inputs, targets = zip(*(dataset[int(i)] for i in indices), strict=True)
    return torch.stack(inputs), torch.stack(targets)


@contextmanager
def _stop_on_ctrl_c(trainer: Trainer):
    """The first Ctrl-C asks the run to stop after the step in flight (the checkpoint is then
    consistent); a second one stops at once."""

    def ask(number, frame) -> None:
        if trainer.stop_requested:
            raise KeyboardInterrupt
        trainer.stop_requested = True
        tqdm.write("stopping after this step (Ctrl-C again to stop now)")

    previous = signal.signal(signal.SIGINT, ask)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def starting_model(preset: Preset, options: RunOptions) -> SegueNet:
    """The network a run starts from: fresh from the preset, or a model file to fine-tune."""
    torch.manual_seed(options.seed)
    if options.init_from is not None:
        return load_model(options.init_from, "cpu").model
    return SegueNet(preset.model)


def model_config(preset: Preset, init_from: Path | None) -> ModelConfig:
    return read_header(init_from).config if init_from else preset.model


def run_training(preset: Preset, pairs: Pairs, options: RunOptions) -> TrainingResult:
    """Train on `pairs`, write the model file; under torchrun, on every rank together."""
    ranks, device = distributed.start(options.device)
    try:
        model = starting_model(preset, options).to(device)
        trainer = Trainer(preset, model, options, ranks)
        if options.resume:
            trainer.restore(load_checkpoint(options.run_folder))
        trainset, validation = datasets(pairs)
        trainer.fit(trainset, validation)
        result_validation = trainer.validate(validation) if ranks.main else {}
        path = options.output
        if ranks.main:
            metadata = _metadata(preset, pairs, options, trainer, result_validation)
            save_model(options.output, trainer.model, metadata)
        distributed.barrier(ranks)
    finally:
        distributed.stop(ranks)
    scored = [
        (entry["validation_total"], entry["epoch"])
        for entry in trainer.history
        if "validation_total" in entry
    ]
    best = min(scored) if scored else (None, None)
    return TrainingResult(
        path=path,
        run_folder=options.run_folder,
        steps=trainer.step,
        stage1_steps=trainer.stage1_steps,
        stage3_steps=trainer.stage3_steps,
        epochs=trainer.epoch,
        seconds=trainer.elapsed,
        audio_seconds_per_second=trainer.throughput(),
        validation=result_validation,
        best_validation=best[0],
        best_epoch=best[1],
        history=trainer.history,
    )


def _metadata(
    preset: Preset, pairs: Pairs, options: RunOptions, trainer: Trainer, validation: dict
) -> dict:
    return {
        "preset": preset.name,
        "train_config": to_dict(preset.train),
        "steps": trainer.step,
        "stage1_steps": trainer.stage1_steps,
        "stage3_steps": trainer.stage3_steps,
        "epochs": trainer.epoch,
        "train_seconds": round(trainer.elapsed, 1),
        "seed": options.seed,
        "device": str(trainer.device),
        "processes": trainer.ranks.world,
        "fine_tuned_from": str(options.init_from) if options.init_from else None,
        "validation_losses": validation,
        "data": pairs.summary(),
    }

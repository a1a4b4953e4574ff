"""A training session as `segue train` and its data commands run it: the pairs made ready (from
a library or a cache), refused in words when nothing is usable, and what is said at the end."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from segue.engine.config import ModelConfig, Preset
from segue.engine.errors import SegueError

from .cache import SongCache, default_cache, load_cache, preprocess
from .dataset import Pairs, build_pairs, load_pairs, save_pairs

if TYPE_CHECKING:  # the result's type only: training itself loads the network
    from .train import TrainingResult


def usable_pairs(
    cache: SongCache,
    preset: Preset,
    seed: int,
    hop: float | None = None,
    model: ModelConfig | None = None,
) -> Pairs:
    """Pairs for `model` (the preset's unless fine-tuning another), refusing an empty set."""
    model = model or preset.model
    pairs = build_pairs(cache, model, preset.train, seed, hop or preset.train.pair_hop_seconds)
    if len(pairs.train) == 0:
        too_short = [f"{source}: shorter than {2 * model.window_seconds:g} s"
                     for source in pairs.too_short]  # fmt: skip
        reasons = list(cache.skipped.values())[:2] + too_short[:2]
        raise SegueError(
            f"nothing usable to train on in '{cache.folder}' "
            f"({len(cache.songs)} songs read, {len(cache.skipped)} skipped): "
            + ("; ".join(reasons) or "no audio files found")
        )
    return pairs


def training_data(
    library: Path | None, cache: Path | None, preset: Preset, model: ModelConfig, seed: int
) -> tuple[SongCache, Pairs]:
    """The songs and pairs to train on: a LIBRARY decoded into its cache (updated, not rebuilt)
    and cut into pairs, or a cache and the pairs `segue dataset` saved in it."""
    if library is not None:
        songs = preprocess(library, cache or default_cache(library), model.sample_rate)
        pairs = usable_pairs(songs, preset, seed, None, model)
        save_pairs(pairs)
        return songs, pairs
    songs = load_cache(cache, model.sample_rate)
    return songs, load_pairs(songs, model)


def skipped_lines(skipped: dict[str, str], too_short: list[str] = ()) -> list[str]:
    """The files left out, and why."""
    if not (skipped or too_short):
        return []
    return [
        f"skipped {len(skipped) + len(too_short)} file(s):",
        *(f"  {source}: {reason}" for source, reason in sorted(skipped.items())),
        *(f"  {source}: too short for two windows" for source in too_short),
    ]


def summary_lines(name: str, result: TrainingResult, songs: SongCache, pairs: Pairs) -> list[str]:
    """What a finished run says: its data, its stages and time, its validation, its files."""
    summary = pairs.summary()
    lines = [
        f"data: {len(summary['train_songs'])} songs for training ({summary['train_pairs']} pairs),"
        f" {len(summary['validation_songs'])} for validation ({summary['validation_pairs']} pairs)",
        *skipped_lines(songs.skipped, pairs.too_short),
        f"trained '{name}' for {result.steps} steps ({result.stage1_steps} autoencoder-only"
        f", {result.stage3_steps} decoder-only, {result.epochs} epochs) in "
        f"{result.seconds / 60:.1f} min, "
        f"{result.audio_seconds_per_second:.1f} s of audio per second",
    ]
    if result.best_validation is not None:
        lines.append(
            f"best validation loss {result.best_validation:.4f} (epoch {result.best_epoch})"
        )
    lines += [f"  final validation {key}: {value:.4f}" for key, value in result.validation.items()]
    lines += [f"samples and progress.png: {result.run_folder}/", f"model: {result.path}"]
    return lines

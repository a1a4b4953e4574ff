"""`segue train`: a music library into a personal model."""

from __future__ import annotations

from pathlib import Path

import click

from segue.options import cache_option, device_option, fail_clearly, preset_option


@click.command()
@click.argument(
    "library", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path)
)
@cache_option
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The model file to write (.safetensors); its run folder goes beside it.",
)
@preset_option
@click.option("--epochs", type=click.IntRange(min=1), help="Passes over the training pairs.")
@click.option("--minutes", type=float, help="Train for this long (wall clock).")
@click.option("--steps", type=click.IntRange(min=1), help="Train for this many optimiser steps.")
@click.option(
    "--from",
    "init_from",
    help="Fine-tune this model (a shipped one like default, or a file) instead of starting fresh.",
)
@click.option("--resume", is_flag=True, help="Go on from the run's last checkpoint.")
@click.option(
    "--seed",
    default=0,
    show_default=True,
    type=int,
    help="Initial weights and random draws; with LIBRARY also the song split.",
)
@click.option("--samples-every", default=5, show_default=True, type=click.IntRange(min=1))
@device_option
@fail_clearly
def train(
    library, cache, output, preset, epochs, minutes, steps, init_from, resume, seed,
    samples_every, device,
) -> None:  # fmt: skip
    """Train a model on your songs: LIBRARY (a folder, any audio formats) or a --cache made
    by `segue preprocess` and `segue dataset`. Stages: the autoencoder, then the whole net, then
    (where the preset asks for it) the decoder alone."""
    import os

    from segue.engine.config import load_preset
    from segue.engine.modelheader import model_path

    if library is None and cache is None:
        raise click.UsageError("give a LIBRARY folder, or --cache made by segue preprocess")
    if library is not None and int(os.environ.get("WORLD_SIZE", "1")) > 1:
        raise click.UsageError(
            "under torchrun, prepare the data first (segue preprocess, segue dataset) and "
            "train with --cache, so that the processes do not all decode the library"
        )
    loaded = load_preset(preset)
    init_from = model_path(init_from) if init_from else None  # refused before torch loads

    from segue.engine.device import resolve_device
    from segue.trainer.session import summary_lines, training_data
    from segue.trainer.train import Budget, RunOptions, model_config, run_training

    model = model_config(loaded, init_from)
    songs, pairs = training_data(library, cache, loaded, model, seed)
    options = RunOptions(
        output=output,
        budget=Budget(epochs, steps, minutes),
        device=resolve_device(device),
        seed=seed,
        resume=resume,
        init_from=init_from,
        samples_every=samples_every,
    )
    result = run_training(loaded, pairs, options)
    if int(os.environ.get("RANK", "0")) == 0:
        for line in summary_lines(loaded.name, result, songs, pairs):
            click.echo(line)

"""`segue generate`, `segue preprocess` and `segue dataset`: a library of songs made ready to
train on, one step at a time."""

from __future__ import annotations

from pathlib import Path

import click

from segue.options import fail_clearly, preset_option


@click.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--songs", default=48, show_default=True, type=int)
@click.option("--seconds", default=60.0, show_default=True, type=float, help="Length of each song.")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--rate", default=24000, show_default=True, type=int)
def generate(directory, songs, seconds, seed, rate) -> None:
    """Write a library of procedural songs (every style, many tempos) to train or test on."""
    from segue.procedural import write_library

    paths = write_library(directory, songs, seed=seed, seconds=seconds, rate=rate)
    click.echo(f"wrote {len(paths)} songs to {directory}/")


@click.command()
@click.argument("library", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--cache", required=True, type=click.Path(file_okay=False, path_type=Path))
@preset_option
@fail_clearly
def preprocess(library, cache, preset) -> None:
    """Decode a music library once into a cache of arrays (updated, not rebuilt, next time)."""
    from segue.engine.config import load_preset
    from segue.trainer.cache import preprocess as run_preprocess
    from segue.trainer.session import skipped_lines

    songs = run_preprocess(library, cache, load_preset(preset).model.sample_rate)
    hours = sum(song.frames for song in songs.songs) / songs.sample_rate / 3600
    click.echo(f"{len(songs.songs)} songs ({hours:.1f} h) in {songs.folder}/")
    for line in skipped_lines(songs.skipped):
        click.echo(line)


@click.command()
@click.option("--cache", required=True, type=click.Path(file_okay=False, path_type=Path))
@preset_option
@click.option("--hop", type=float, help="Seconds between pair starts [the preset's].")
@click.option("--seed", default=0, show_default=True, type=int, help="Decides the song split.")
@fail_clearly
def dataset(cache, preset, hop, seed) -> None:
    """Cut (input window, following window) pairs from a cache; split songs train/validation."""
    from segue.engine.config import load_preset
    from segue.trainer.cache import load_cache
    from segue.trainer.dataset import save_pairs
    from segue.trainer.session import usable_pairs

    loaded = load_preset(preset)
    pairs = usable_pairs(load_cache(cache, loaded.model.sample_rate), loaded, seed, hop)
    path = save_pairs(pairs)
    click.echo(
        f"{len(pairs.train)} training pairs from {len(pairs.train_songs)} songs, "
        f"{len(pairs.validation)} validation pairs from {len(pairs.validation_songs)}: {path}"
    )

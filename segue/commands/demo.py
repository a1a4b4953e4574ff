"""`segue demo`: hear and see a continuation without a clip of your own."""

from __future__ import annotations

from pathlib import Path

import click

from segue.options import fail_clearly, length_options, model_options, settings_of


@click.command()
@click.option(
    "-o",
    "--output",
    "directory",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder for the clip, its continuation, both joined, and a picture.",
)
@click.option(
    "--style",
    help="The style of the procedural song (one that `segue generate` makes) [drawn].",
)
@click.option("--clip-seconds", default=10.0, show_default=True, type=float)
@click.option(
    "--rate",
    default=44100,
    show_default=True,
    type=int,
    help="Sample rate of the demo clip (a DAW project's rate).",
)
@length_options
@model_options
@fail_clearly
def demo(directory, style, clip_seconds, rate, model, device, **asked) -> None:
    """Make a procedural clip, continue it, and write what a person can hear and see."""
    from segue.engine.demo import write_demo
    from segue.engine.device import resolve_device
    from segue.engine.modelfile import open_model

    settings = settings_of(**asked)
    loaded = open_model(model, resolve_device(device))
    spec = write_demo(directory, loaded, settings, style, clip_seconds, rate)
    click.echo(f"{spec.style} at {spec.bpm:.0f} bpm: wrote {directory}/")
    for path in sorted(directory.iterdir()):
        click.echo(f"  {path.name}")

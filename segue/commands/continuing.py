"""`segue continue`: a clip file in, its continuation written beside it."""

from __future__ import annotations

from pathlib import Path

import click

from segue.options import fail_clearly, length_options, model_options, settings_of


@click.command("continue")
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="Where to write it [next to INPUT as <name>.continuation.wav].",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Replace an existing output that Segue did not write (its own it replaces anyway).",
)
@length_options
@model_options
@fail_clearly
def continue_command(input_path, output, overwrite, model, device, **asked) -> None:
    """Continue INPUT from its end; writes only the continuation, to place right after the clip."""
    from segue.engine.audio import read_audio
    from segue.engine.modelheader import model_path, read_header
    from segue.engine.outputs import checked_outputs
    from segue.engine.requests import check_continuation

    settings = settings_of(**asked, output=output, overwrite=overwrite)
    model_file = model_path(model)
    # the clip, the request and the outputs before the network: refused before torch loads
    config = read_header(model_file).config
    audio = read_audio(input_path, tail_seconds=config.clip_tail_seconds)
    check_continuation(config, settings, audio.channels)
    checked_outputs(input_path, output, settings.variations, overwrite)

    from segue.engine.continuation import continue_file
    from segue.engine.device import resolve_device
    from segue.engine.modelfile import load_model

    loaded = load_model(model_file, resolve_device(device))
    paths = continue_file(loaded, input_path, settings, audio=audio)
    for path in paths:
        click.echo(path)

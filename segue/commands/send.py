"""`segue send`: ask a running engine to continue a clip, as DAW scripts do."""

from __future__ import annotations

from pathlib import Path

import click

from segue.options import Failure, engine_options, request_of, request_options


@click.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=True, dir_okay=False))
@click.option("--variations", type=int, help="How many different continuations [1].")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write it [next to INPUT as <name>.continuation.wav].",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Let the engine replace an existing output that Segue did not write.",
)
@request_options
@engine_options
def send(input_path, variations, output, overwrite, host, port, timeout, token, **request) -> None:
    """Ask a running `segue serve` to continue INPUT; print the file(s) it wrote.

    For DAW scripts and hotkey tools: fast (no model to load), exit status 0 on success,
    1 with the engine's one-line reason on failure or when no engine answers in time.
    """
    from tqdm import tqdm

    from segue.bridge.client import PING_SECONDS, EngineClient, EngineError

    options = request_of(
        **request,
        variations=variations,
        output=str(output.resolve()) if output else None,
        overwrite=True if overwrite else None,
    )
    progress_bar = tqdm(total=1.0, bar_format="{l_bar}{bar}| {elapsed}", leave=False, disable=None)
    with progress_bar as bar:
        try:
            with EngineClient(host, port, token) as engine:
                engine.ping(min(timeout, PING_SECONDS))
                paths = engine.continue_clip(
                    input_path, options, timeout, lambda done: bar.update(done - bar.n)
                )
        except EngineError as error:
            raise Failure(str(error)) from None
    for path in paths:
        click.echo(path)

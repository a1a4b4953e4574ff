"""What several `segue` commands share: their options, and how a mistake a person can mend
becomes one line (`SegueError`) while a bug keeps its traceback."""

from __future__ import annotations

import functools
from pathlib import Path

import click

from segue.engine.config import DEFAULT_TEMPERATURE
from segue.engine.errors import SegueError
from segue.engine.protocol import DEFAULT_HOST, DEFAULT_PORT
from segue.engine.requests import ContinueSettings, continuation_seconds


class Failure(click.ClickException):
    """A one-line reason, printed as `Error: ...` with exit status 1."""


def fail_clearly(function):
    """Turn the errors a user can mend (`SegueError`: bad audio, a bad model file, a value out
    of range) into one line; anything else is a bug, and keeps its traceback."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except SegueError as error:
            raise Failure(str(error)) from None

    return wrapper


def settings_of(
    seconds: float | None,
    bars: float | None,
    bpm: float | None,
    beats_per_bar: int | None,
    variations: int,
    seed: int | None,
    temperature: float,
    output: Path | None = None,
    overwrite: bool = False,
) -> ContinueSettings:
    """The request the options make: the same object OSC and sidecars make, its length by the
    one rule (`continuation_seconds`), its ranges checked later by `check_continuation`."""
    try:
        length = continuation_seconds(seconds, bars, bpm, beats_per_bar)
    except SegueError as error:
        raise click.UsageError(f"{error} (--seconds, or --bars with --bpm)") from None
    return ContinueSettings(
        seconds=length,
        variations=variations,
        seed=seed,
        temperature=temperature,
        output=output,
        bpm=bpm,
        beats_per_bar=beats_per_bar,
        overwrite=overwrite,
    )


def length_options(function):
    """How long a continuation is; the rule (and its defaults) is `continuation_seconds`."""
    for option in reversed(
        [
            click.option("--seconds", type=float, help="Length of the continuation [10]."),
            click.option("--bars", type=float, help="Length in bars (with --bpm)."),
            click.option("--bpm", type=float, help="Tempo of the clip, for --bars."),
            click.option(
                "--beats-per-bar",
                type=int,
                help="The bar, for --bars and the continuation's own [4, or heard in the clip].",
            ),
        ]
    ):
        function = option(function)
    return function


device_option = click.option(
    "--device", default="auto", show_default=True, type=click.Choice(["auto", "cpu", "cuda"])
)
model_option = click.option(
    "--model",
    default="default",
    show_default=True,
    help="A shipped model (default, seed) or the path of a model file.",
)


def model_options(function):
    for option in reversed(
        [
            model_option,
            click.option(
                "--variations",
                default=1,
                show_default=True,
                type=int,
                help="How many different continuations to make.",
            ),
            click.option("--seed", type=int, help="Makes the variations reproducible."),
            click.option(
                "--temperature",
                default=DEFAULT_TEMPERATURE,
                show_default=True,
                type=float,
                help="How far a variation may stray: 0 the most likely, 1 as trained.",
            ),
            device_option,
        ]
    ):
        function = option(function)
    return function


cache_option = click.option(
    "--cache",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of decoded songs (made by `segue preprocess`).",
)
preset_option = click.option(
    "--preset", default="default", show_default=True, help="A preset name or a preset .toml file."
)


def request_options(function):
    """What a request to the engine may say; left out, the engine's defaults apply."""
    for option in reversed(
        [
            click.option("--seed", type=int, help="Makes the variations reproducible."),
            click.option(
                "--temperature",
                type=float,
                help=f"How far a variation may stray [{DEFAULT_TEMPERATURE}].",
            ),
        ]
    ):
        function = option(function)
    return length_options(function)


def engine_options(function):
    """Where the engine is and how long to wait for it."""
    for option in reversed(
        [
            click.option("--host", default=DEFAULT_HOST, show_default=True),
            click.option(
                "--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(1, 65535)
            ),
            click.option(
                "--timeout", default=120.0, show_default=True, type=float, help="Seconds to wait."
            ),
            click.option("--token", envvar="SEGUE_TOKEN", help="The engine's token, if any."),
        ]
    ):
        function = option(function)
    return function


def request_of(seconds, bars, bpm, beats_per_bar, seed, temperature, **more) -> dict[str, object]:
    """The request's key/value pairs; the engine checks them (one place for the rules)."""
    return {
        "seconds": seconds,
        "bars": bars,
        "bpm": bpm,
        "beats_per_bar": beats_per_bar,
        "seed": seed,
        "temperature": temperature,
        **more,
    }

"""The `segue` command: one click group, one subcommand per job."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import click

from segue import __version__
from segue.engine.config import DEFAULT_TEMPERATURE, MAX_VARIATIONS
from segue.engine.protocol import DEFAULT_HOST, DEFAULT_PORT, DEFAULT_QUEUE_LIMIT

MIN_TOKEN_CHARS = 8  # a secret, not a placeholder: `--token " "` guards nothing


class _Failure(click.ClickException):
    """A one-line reason, printed as `Error: ...` with exit status 1."""


def _fail_clearly(function):
    """Turn the errors a user can cause (bad audio, bad model, bad values) into one line."""
    import functools

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        from segue.engine.audio import AudioError
        from segue.engine.modelheader import ModelFileError

        try:
            return function(*args, **kwargs)
        except (AudioError, ModelFileError, ValueError, KeyError) as error:
            message = error.args[0] if isinstance(error, KeyError) and error.args else error
            raise _Failure(str(message)) from None

    return wrapper


@click.group()
@click.version_option(__version__, prog_name="segue")
def main() -> None:
    """Segue continues music: give it the last bars you played, it plays what comes next."""


def run() -> None:
    """The console script: run the command, then leave without tearing the interpreter down.

    Unloading torch's modules at exit costs about half a second on a 2-core laptop, a sixth of
    `segue continue` end to end (benchmarks/run.py). Every command has finished its work by
    the time it returns: outputs renamed into place, threads joined, sockets closed; only the
    standard streams and log handlers still need flushing.
    """
    try:
        main()  # click's standalone mode: always ends in SystemExit
        code: int | str | None = 0
    except SystemExit as done:
        code = done.code
    if isinstance(code, str):
        print(code, file=sys.stderr)
        code = 1
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code or 0)


def _seconds(
    seconds: float | None, bars: float | None, bpm: float | None, beats: int | None
) -> float:
    from segue.engine.requests import continuation_seconds

    try:
        return continuation_seconds(seconds, bars, bpm, beats)
    except ValueError as error:
        raise click.UsageError(f"{error} (--seconds, or --bars with --bpm)") from None


def _length_options(function):
    """How long a continuation is; the rule (and its defaults) is `continuation_seconds`."""
    for option in reversed(
        [
            click.option("--seconds", type=float, help="Length of the continuation [10]."),
            click.option("--bars", type=float, help="Length in bars (with --bpm)."),
            click.option("--bpm", type=float, help="Tempo of the clip, for --bars."),
            click.option("--beats-per-bar", type=int, help="For --bars [4]."),
        ]
    ):
        function = option(function)
    return function


_device_option = click.option(
    "--device", default="auto", show_default=True, type=click.Choice(["auto", "cpu", "cuda"])
)
_model_option = click.option(
    "--model",
    default="default",
    show_default=True,
    help="A shipped model (default, seed) or the path of a model file.",
)


def _model_options(function):
    for option in reversed(
        [
            _model_option,
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
            _device_option,
        ]
    ):
        function = option(function)
    return function


@main.command("continue")
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
@_length_options
@_model_options
@_fail_clearly
def continue_command(
    input_path,
    output,
    overwrite,
    seconds,
    bars,
    bpm,
    beats_per_bar,
    model,
    variations,
    seed,
    temperature,
    device,
) -> None:
    """Continue INPUT from its end; writes only the continuation, to place right after the clip."""
    from segue.engine.audio import read_audio
    from segue.engine.modelheader import model_path, read_header
    from segue.engine.outputs import checked_outputs
    from segue.engine.requests import check_continuation

    length = _seconds(seconds, bars, bpm, beats_per_bar)
    model_file = model_path(model)
    # the clip, the request and the outputs before the network: refused before torch loads
    config = read_header(model_file).config
    audio = read_audio(input_path, tail_seconds=config.clip_tail_seconds)
    check_continuation(config, length, variations, temperature, seed, audio.channels)
    checked_outputs(input_path, output, variations, overwrite)

    from segue.engine.continuation import continue_file
    from segue.engine.device import resolve_device
    from segue.engine.modelfile import load_model

    loaded = load_model(model_file, resolve_device(device))
    paths = continue_file(
        loaded,
        input_path,
        output,
        length,
        variations,
        seed,
        temperature,
        bpm=bpm,
        audio=audio,
        overwrite=overwrite,
    )
    for path in paths:
        click.echo(path)


@main.command()
@click.option(
    "-o",
    "--output",
    "directory",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder for the clip, its continuation, both joined, and a picture.",
)
@click.option("--style", type=click.Choice(["rock", "reggae", "salsa", "techno", "ballad"]))
@click.option("--clip-seconds", default=10.0, show_default=True, type=float)
@click.option(
    "--rate",
    default=44100,
    show_default=True,
    type=int,
    help="Sample rate of the demo clip (a DAW project's rate).",
)
@_length_options
@_model_options
@_fail_clearly
def demo(
    directory,
    style,
    clip_seconds,
    rate,
    seconds,
    bars,
    bpm,
    beats_per_bar,
    model,
    variations,
    seed,
    temperature,
    device,
) -> None:
    """Make a procedural clip, continue it, and write what a person can hear and see."""
    import numpy as np

    from segue.engine.audio import Audio, write_audio
    from segue.engine.continuation import continue_clip
    from segue.engine.device import resolve_device
    from segue.engine.modelfile import open_model
    from segue.engine.plots import plot_continuation
    from segue.trainer.procedural import generate_song, song_spec

    length = _seconds(seconds, bars, bpm, beats_per_bar)
    loaded = open_model(model, resolve_device(device))
    spec = song_spec(seed if seed is not None else 0, style=style)
    clip = generate_song(spec, clip_seconds, rate)
    directory.mkdir(parents=True, exist_ok=True)
    continuations = continue_clip(
        loaded,
        Audio(clip, rate),
        length,
        variations,
        seed,
        temperature,
        bpm=bpm,
    )
    write_audio(directory / "input.wav", clip, rate)
    for index, continuation in enumerate(continuations, start=1):
        suffix = "" if index == 1 else f".v{index}"
        write_audio(directory / f"continuation{suffix}.wav", continuation, rate)
        write_audio(
            directory / f"joined{suffix}.wav", np.concatenate([clip, continuation], 1), rate
        )
        plot_continuation(
            clip,
            continuation,
            rate,
            directory / f"continuation{suffix}.png",
            title=f"{spec.style} at {spec.bpm:.0f} bpm, continued by '{model}'",
        )
    click.echo(f"{spec.style} at {spec.bpm:.0f} bpm: wrote {directory}/")
    for path in sorted(directory.iterdir()):
        click.echo(f"  {path.name}")


@main.command()
@_model_option
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="Where OSC listens.")
@click.option("--osc-port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--watch",
    type=click.Path(file_okay=False, path_type=Path),
    help="A folder to watch: clips in <DIR>/inbox/ come back in <DIR>/outbox/.",
)
@_device_option
@click.option(
    "--token",
    envvar="SEGUE_TOKEN",
    help="Shared secret requests must carry (required beyond loopback; one is made if absent).",
)
@click.option(
    "--queue-limit",
    default=DEFAULT_QUEUE_LIMIT,
    show_default=True,
    type=click.IntRange(1, 10000),
    help="Jobs that may wait; more are refused as busy.",
)
@_fail_clearly
def serve(model, host, osc_port, watch, device, token, queue_limit) -> None:
    """Keep a model loaded and continue clips sent over OSC or dropped into a watch folder."""
    import logging
    import secrets

    from segue.engine.modelheader import model_path, read_header
    from segue.engine.protocol import OscEndpoint, is_loopback
    from segue.engine.watchfolder import hold_watch_folder, make_watch_folders

    # what can be refused is refused before torch loads (seconds, and minutes on a slow machine)
    read_header(model_path(model))
    if token is not None and (len(token.strip()) < MIN_TOKEN_CHARS or token != token.strip()):
        raise _Failure(
            f"a token must be at least {MIN_TOKEN_CHARS} characters, without spaces at its ends"
        )
    if not is_loopback(host) and not token:
        token = secrets.token_urlsafe(16)
        click.echo(f"listening beyond loopback: requests must carry  token {token}")
    endpoint = OscEndpoint(host, osc_port, token)
    if watch:
        make_watch_folders(watch)
        hold_watch_folder(watch)  # a second engine on one folder is refused before torch loads

    from segue.engine.daemon import Daemon, ServeOptions
    from segue.engine.device import resolve_device

    logging.basicConfig(level=logging.INFO, format="%(asctime)s segue: %(message)s")
    Daemon(ServeOptions(model, resolve_device(device), watch, queue_limit), endpoint).serve()


def _request_options(function):
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
    return _length_options(function)


def _engine_options(function):
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


def _request(seconds, bars, bpm, beats_per_bar, seed, temperature, **more) -> dict[str, object]:
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


@main.command()
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
@_request_options
@_engine_options
def send(input_path, variations, output, overwrite, host, port, timeout, token, **request) -> None:
    """Ask a running `segue serve` to continue INPUT; print the file(s) it wrote.

    For DAW scripts and hotkey tools: fast (no model to load), exit status 0 on success,
    1 with the engine's one-line reason on failure or when no engine answers in time.
    """
    from tqdm import tqdm

    from segue.bridge.client import PING_SECONDS, EngineClient, EngineError

    options = _request(
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
            raise _Failure(str(error)) from None
    for path in paths:
        click.echo(path)


@main.command()
@click.option(
    "--clips",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The folder your DAW exports the last bars to; the newest clip there is continued.",
)
@click.option("--mapping", default="default", show_default=True, help="A mapping name or file.")
@click.option("--midi-port", help="The MIDI input to listen to [the first one].")
@click.option("--list-ports", is_flag=True, help="List the MIDI inputs and stop.")
@_request_options
@_engine_options
def midi(clips, mapping, midi_port, list_ports, host, port, timeout, token, **request) -> None:
    """Fire continuations from a MIDI controller's pads, keys or buttons (needs segue[midi])."""
    import contextlib

    from segue.bridge.client import EngineClient
    from segue.bridge.midi import MidiActions, listen, load_mapping

    try:
        import mido
    except ImportError:
        raise _Failure("segue midi needs the MIDI extra: pip install 'segue[midi]'") from None
    if clips is None and not list_ports:
        raise click.UsageError("give --clips, the folder your DAW exports clips to")
    try:
        loaded = load_mapping(mapping)
    except ValueError as error:
        raise _Failure(str(error)) from None
    try:
        names = mido.get_input_names()
        if list_ports:
            click.echo("\n".join(names) or "no MIDI inputs")
            return
        inport = mido.open_input(midi_port or names[0]) if names else None
    except Exception as error:  # the MIDI backend's own errors: no ALSA sequencer, no port, ...
        raise _Failure(f"cannot open MIDI: {str(error).splitlines()[0]}") from None
    if inport is None:
        raise _Failure("no MIDI input: connect a controller (segue midi --list-ports)")
    actions = MidiActions(
        clips, _request(**request), lambda: EngineClient(host, port, token), click.echo, timeout
    )
    click.echo(f"listening to '{inport.name}' with mapping '{loaded.name}'; Ctrl-C stops")
    with inport, contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how one stops it
        listen(inport, loaded, actions)


@main.command()
def presets() -> None:
    """List the model presets: rate, channels, window, size, intent, and whether weights ship."""
    from segue.engine.model import SegueNet, parameter_count
    from segue.presets import available_presets, load_preset, shipped_model_path

    for name in available_presets():
        preset = load_preset(name)
        config = preset.model
        shipped = "shipped" if shipped_model_path(name).is_file() else "not trained"
        click.echo(
            f"{name:10s} {config.sample_rate} Hz  {config.channels} ch  "
            f"{config.window_seconds:g} s window  "
            f"{parameter_count(SegueNet(config)):,} parameters  ({shipped})"
        )
        click.echo(f"{'':10s} {preset.intent}")


@main.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--songs", default=48, show_default=True, type=int)
@click.option("--seconds", default=60.0, show_default=True, type=float, help="Length of each song.")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--rate", default=24000, show_default=True, type=int)
def generate(directory, songs, seconds, seed, rate) -> None:
    """Write a library of procedural songs (every style, many tempos) to train or test on."""
    from segue.trainer.procedural import write_library

    paths = write_library(directory, songs, seed=seed, seconds=seconds, rate=rate)
    click.echo(f"wrote {len(paths)} songs to {directory}/")


_cache_option = click.option(
    "--cache",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of decoded songs (made by `segue preprocess`).",
)
_preset_option = click.option(
    "--preset", default="default", show_default=True, help="A preset name or a preset .toml file."
)


@main.command()
@click.argument("library", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--cache", required=True, type=click.Path(file_okay=False, path_type=Path))
@_preset_option
@_fail_clearly
def preprocess(library, cache, preset) -> None:
    """Decode a music library once into a cache of arrays (updated, not rebuilt, next time)."""
    from segue.presets import load_preset
    from segue.trainer.cache import preprocess as run_preprocess

    songs = run_preprocess(library, cache, load_preset(preset).model.sample_rate)
    hours = sum(song.frames for song in songs.songs) / songs.sample_rate / 3600
    click.echo(f"{len(songs.songs)} songs ({hours:.1f} h) in {songs.folder}/")
    _report_skipped(songs.skipped)


@main.command()
@click.option("--cache", required=True, type=click.Path(file_okay=False, path_type=Path))
@_preset_option
@click.option("--hop", type=float, help="Seconds between pair starts [the preset's].")
@click.option("--seed", default=0, show_default=True, type=int, help="Decides the song split.")
@_fail_clearly
def dataset(cache, preset, hop, seed) -> None:
    """Cut (input window, following window) pairs from a cache; split songs train/validation."""
    from segue.presets import load_preset
    from segue.trainer.cache import load_cache
    from segue.trainer.dataset import save_pairs

    loaded = load_preset(preset)
    pairs = _pairs(load_cache(cache, loaded.model.sample_rate), loaded, seed, hop)
    path = save_pairs(pairs)
    click.echo(
        f"{len(pairs.train)} training pairs from {len(pairs.train_songs)} songs, "
        f"{len(pairs.validation)} validation pairs from {len(pairs.validation_songs)}: {path}"
    )


def _pairs(cache, preset, seed, hop, model=None):
    """Pairs for `model` (the preset's unless fine-tuning another), refusing an empty set."""
    from segue.trainer.dataset import build_pairs

    model = model or preset.model
    pairs = build_pairs(cache, model, preset.train, seed, hop or preset.train.pair_hop_seconds)
    if len(pairs.train) == 0:
        reasons = (
            list(cache.skipped.values())[:2]
            + [
                f"{source}: shorter than {2 * model.window_seconds:g} s"
                for source in pairs.too_short
            ][:2]
        )
        raise _Failure(
            f"nothing usable to train on in '{cache.folder}' "
            f"({len(cache.songs)} songs read, {len(cache.skipped)} skipped): "
            + ("; ".join(reasons) or "no audio files found")
        )
    return pairs


def _report_skipped(skipped: dict[str, str], too_short: list[str] = ()) -> None:
    if skipped or too_short:
        click.echo(f"skipped {len(skipped) + len(too_short)} file(s):")
    for source, reason in sorted(skipped.items()):
        click.echo(f"  {source}: {reason}")
    for source in too_short:
        click.echo(f"  {source}: too short for two windows")


@main.command()
@click.argument(
    "library", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path)
)
@_cache_option
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The model file to write (.safetensors); its run folder goes beside it.",
)
@_preset_option
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
@_device_option
@_fail_clearly
def train(
    library, cache, output, preset, epochs, minutes, steps, init_from, resume, seed,
    samples_every, device,
) -> None:  # fmt: skip
    """Train a model on your songs: LIBRARY (a folder, any audio formats) or a --cache made
    by `segue preprocess` and `segue dataset`. Stages: the autoencoder, then the whole net, then
    (where the preset asks for it) the decoder alone."""
    import os

    from segue.engine.modelheader import model_path
    from segue.presets import load_preset

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
    from segue.trainer.cache import default_cache, load_cache
    from segue.trainer.cache import preprocess as run_preprocess
    from segue.trainer.dataset import load_pairs, save_pairs
    from segue.trainer.train import Budget, RunOptions, model_config, run_training

    model = model_config(loaded, init_from)
    if library is not None:
        cache = cache or default_cache(library)
        songs = run_preprocess(library, cache, model.sample_rate)
        pairs = _pairs(songs, loaded, seed, None, model)
        save_pairs(pairs)
    else:
        songs = load_cache(cache, model.sample_rate)
        pairs = load_pairs(songs, model)
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
    if int(os.environ.get("RANK", "0")) != 0:
        return
    summary = pairs.summary()
    click.echo(
        f"data: {len(summary['train_songs'])} songs for training ({summary['train_pairs']} pairs),"
        f" {len(summary['validation_songs'])} for validation ({summary['validation_pairs']} pairs)"
    )
    _report_skipped(songs.skipped, pairs.too_short)
    click.echo(
        f"trained '{loaded.name}' for {result.steps} steps ({result.stage1_steps} autoencoder-only"
        f", {result.stage3_steps} decoder-only, {result.epochs} epochs) in "
        f"{result.seconds / 60:.1f} min, "
        f"{result.audio_seconds_per_second:.1f} s of audio per second"
    )
    if result.best_validation is not None:
        click.echo(f"best validation loss {result.best_validation:.4f} (epoch {result.best_epoch})")
    for name, value in result.validation.items():
        click.echo(f"  final validation {name}: {value:.4f}")
    click.echo(f"samples and progress.png: {result.run_folder}/")
    click.echo(f"model: {result.path}")


class _EvalCommand(click.Command):
    """`segue eval`, whose help lists the measures from their one table (trainer/metrics.py's
    MEASURES), imported only when the help is shown: it brings librosa."""

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        import inspect

        from segue.trainer.metrics import MEASURES

        rows = []
        for measure in MEASURES:
            name = f"{measure.label} {measure.arrow}"
            only = "" if measure.per_continuation else "with --variations K: "
            unit = f" [{measure.unit}]" if measure.unit else ""
            rows.append(f"  {name:<12}{only}{measure.what}{unit}")
        formatter.write_paragraph()
        with formatter.indentation():
            formatter.write_text(inspect.cleandoc(self.help).replace("{measures}", "\n".join(rows)))


@main.command("eval", cls=_EvalCommand)
@click.argument("data", type=click.Path(exists=True, path_type=Path))
@click.option(
    "-m",
    "--model",
    "models",
    multiple=True,
    help="A model to evaluate: a shipped one (default, seed) or a model file; "
    "repeat to compare several in one table [default].",
)
@click.option(
    "--pairs",
    default=8,
    show_default=True,
    type=click.IntRange(min=1),
    help="Pairs to cut, spread over the songs.",
)
@click.option(
    "--variations",
    default=1,
    show_default=True,
    type=click.IntRange(1, MAX_VARIATIONS),
    help="Continuations per input; 2 or more also measures how different they are.",
)
@click.option(
    "--seconds", default=8.0, show_default=True, type=float, help="Length of each continuation."
)
@click.option(
    "--input-seconds",
    type=float,
    help="Input every system hears [the longest window of the models].",
)
@click.option(
    "--trained",
    default="refuse",
    show_default=True,
    type=click.Choice(["refuse", "skip", "flag"]),
    help="Songs a model trained on (listed in its file): refuse to run, leave them out, "
    "or keep them and flag their pairs.",
)
@click.option("--seed", default=0, show_default=True, type=int, help="Pair positions and draws.")
@click.option(
    "--temperature",
    default=DEFAULT_TEMPERATURE,
    show_default=True,
    type=float,
    help="The models' sampling temperature.",
)
@click.option(
    "--statistic",
    default="mean",
    show_default=True,
    type=click.Choice(["mean", "median"]),
    help="What the table shows of each measure's values over the pairs.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the results as JSON on stdout (the table then goes to stderr).",
)
@click.option(
    "--report",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write DIR/index.html (players and spectrograms per pair), DIR/distributions.png "
    "and DIR/results.json.",
)
@_device_option
@_fail_clearly
def eval_command(
    data, models, pairs, variations, seconds, input_seconds, trained, seed, temperature,
    statistic, as_json, report, device,
) -> None:  # fmt: skip
    """Score models against honest baselines on held-out songs.

    DATA (a folder of songs in any format, or one file) is cut into pairs: an input and the
    true continuation that followed it. Every model (-m, repeated) and six baselines
    (silence, noise, drone, loop, jukebox: the input's own beats rearranged, Infinite Jukebox
    style, and truth) continue each input; one table gives each system's mean (or --statistic
    median) over the pairs of phase-invariant measures (↓ lower is better, ↑ higher, ≈T
    closest to the truth's own score; "at the song's rate": measured at its own sample rate):

    \b
    {measures}

    A model file lists the songs it trained on; DATA songs among them are refused
    unless --trained says otherwise.

    \b
    segue eval songs/ -m default -m seed -m mine.safetensors --pairs 20 --variations 4
    """
    import json

    from segue.engine.device import resolve_device
    from segue.engine.modelfile import open_model
    from segue.trainer.evaluate import model_names, table
    from segue.trainer.evaluate import run as run_evaluation

    given = list(models) or ["default"]
    where = resolve_device(device)
    loaded = {
        name: open_model(text, where) for name, text in zip(model_names(given), given, strict=True)
    }
    results = run_evaluation(
        data, loaded, pairs, variations, seconds, input_seconds, seed, temperature, trained, report
    )
    click.echo(table(results, statistic), err=as_json)
    if as_json:
        click.echo(json.dumps(results.to_json(), indent=1, ensure_ascii=False))
    if report is not None:
        click.echo(f"report: {report / 'index.html'}", err=as_json)

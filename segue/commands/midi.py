"""`segue midi`: continuations fired from a MIDI controller."""

from __future__ import annotations

from pathlib import Path

import click

from segue.engine.errors import SegueError
from segue.options import Failure, engine_options, request_of, request_options


@click.command()
@click.option(
    "--clips",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The folder your DAW exports the last bars to; the newest clip there is continued.",
)
@click.option("--mapping", default="default", show_default=True, help="A mapping name or file.")
@click.option("--midi-port", help="The MIDI input to listen to [the first one].")
@click.option("--list-ports", is_flag=True, help="List the MIDI inputs and stop.")
@request_options
@engine_options
def midi(clips, mapping, midi_port, list_ports, host, port, timeout, token, **request) -> None:
    """Fire continuations from a MIDI controller's pads, keys or buttons (needs segue[midi])."""
    import contextlib

    from segue.bridge.client import EngineClient
    from segue.bridge.midi import MidiActions, listen, load_mapping

    try:
        import mido
    except ImportError:
        raise Failure("segue midi needs the MIDI extra: pip install 'segue[midi]'") from None
    if clips is None and not list_ports:
        raise click.UsageError("give --clips, the folder your DAW exports clips to")
    try:
        loaded = load_mapping(mapping)
    except SegueError as error:
        raise Failure(str(error)) from None
    try:
        names = mido.get_input_names()
        if list_ports:
            click.echo("\n".join(names) or "no MIDI inputs")
            return
        inport = mido.open_input(midi_port or names[0]) if names else None
    except Exception as error:  # the MIDI backend's own errors: no ALSA sequencer, no port, ...
        raise Failure(f"cannot open MIDI: {str(error).splitlines()[0]}") from None
    if inport is None:
        raise Failure("no MIDI input: connect a controller (segue midi --list-ports)")
    actions = MidiActions(
        clips, request_of(**request), lambda: EngineClient(host, port, token), click.echo, timeout
    )
    click.echo(f"listening to '{inport.name}' with mapping '{loaded.name}'; Ctrl-C stops")
    with inport, contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how one stops it
        listen(inport, loaded, actions)

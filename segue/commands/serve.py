"""`segue serve`: the engine, a model kept loaded behind OSC and a watch folder."""

from __future__ import annotations

from pathlib import Path

import click

from segue.engine.protocol import DEFAULT_HOST, DEFAULT_PORT, DEFAULT_QUEUE_LIMIT
from segue.options import Failure, device_option, fail_clearly, model_option

MIN_TOKEN_CHARS = 8  # a secret, not a placeholder: `--token " "` guards nothing


@click.command()
@model_option
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="Where OSC listens.")
@click.option("--osc-port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--watch",
    type=click.Path(file_okay=False, path_type=Path),
    help="A folder to watch: clips in <DIR>/inbox/ come back in <DIR>/outbox/.",
)
@device_option
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
@fail_clearly
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
        raise Failure(
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

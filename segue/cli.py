"""The `segue` command: one click group, one subcommand per job, each loaded when it runs.

A subcommand's module (`segue/commands/`) is imported only when that subcommand is asked for
(or `segue --help` lists them all), as Click's documentation shows for lazy groups: `segue
send` from a DAW script does not pay for `segue eval`'s imports.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys

import click

from segue import __version__

COMMANDS = {  # name -> the module and the click command in it
    "continue": "continuing:continue_command",
    "dataset": "library:dataset",
    "demo": "demo:demo",
    "eval": "evaluation:eval_command",
    "generate": "library:generate",
    "midi": "midi:midi",
    "preprocess": "library:preprocess",
    "presets": "presets:presets",
    "send": "send:send",
    "serve": "serve:serve",
    "train": "train:train",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use, from COMMANDS."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attribute = COMMANDS[name].split(":")
        return getattr(importlib.import_module(f"segue.commands.{module}"), attribute)


@click.group(cls=LazyGroup)
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

"""The `segue` command run by the tests: as a real process, or in the test's own process."""

from __future__ import annotations

import subprocess

from click.testing import CliRunner, Result
from serving import PATIENCE, SEGUE

from segue.cli import main


def segue(*args: str, ok: bool = True, **kwargs) -> subprocess.CompletedProcess[str]:
    """`segue ARGS` as a user runs it, in a process of its own."""
    result = subprocess.run([SEGUE, *args], capture_output=True, text=True, timeout=PATIENCE,
                            **kwargs)  # fmt: skip
    assert (result.returncode == 0) == ok, result.stdout + result.stderr
    return result


def segue_here(*args: str, ok: bool = True) -> Result:
    """The same command run in this process. Every fresh process imports torch, which takes a
    minute and more on a slow CI machine, so each file keeps a real process where being one is
    the point (start-up, refusals, signals, torchrun) and runs the rest here."""
    result = CliRunner().invoke(main, list(args))
    assert (result.exit_code == 0) == ok, result.output
    return result

"""Segue's version, as installed: what model files, eval results and the engine's pong record.
Here, in the engine, so that nothing below the command line imports the `segue` package above
it."""

from importlib.metadata import PackageNotFoundError, version

try:
    SEGUE_VERSION = version("segue")
except PackageNotFoundError:  # running from a source tree that was never installed
    SEGUE_VERSION = "0.0.0+unknown"

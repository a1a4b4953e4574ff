"""Segue: play me what comes next."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("segue")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

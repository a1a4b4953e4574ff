"""Segue: play me what comes next."""

from segue.engine.version import SEGUE_VERSION

__version__ = SEGUE_VERSION

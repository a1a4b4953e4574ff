"""The mistakes a person can mend, told apart from bugs.

A clip that cannot be read, a model file that is not one, a value out of range, a folder that
cannot be watched: each is a `SegueError`, whose text is one line that the commands print and
the engine sends back as it is. Anything else raised is a bug, and keeps its traceback in the
log: catching `ValueError` to tell a user would hide it among their mistakes.
"""

from __future__ import annotations


class SegueError(Exception):
    """Something a person can mend; `str(error)` says what, in one line."""


class InvalidValueError(SegueError, ValueError):
    """A value a person gave (an option, a request key, a sidecar, a preset) that Segue cannot
    use: a ValueError too, as a bad value is."""

"""Reasons a person reads: one line, bounded, whatever the input held.

A refusal often quotes what it refuses (a key, a path, a value). Quoted whole, a 10 MB key
makes a 10 MB error note and a newline in a file name splits a log line in two, so every
reason that leaves the engine (an OSC reply, an error note, a log line) goes through here.
"""

from __future__ import annotations

MAX_REASON_CHARS = 300  # an error note, an OSC reply and a log line stay well under a kilobyte
MAX_QUOTE_CHARS = 60  # how much of a value a reason quotes
MAX_PATH_CHARS = 200  # of a path: most of it, since its end says which file


def one_line(text: str, limit: int = MAX_REASON_CHARS) -> str:
    """`text` on one line (line breaks and other control characters escaped), cut to `limit`."""
    flat = "".join(char if char.isprintable() else repr(char)[1:-1] for char in str(text))
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def quoted(value: object, limit: int = MAX_QUOTE_CHARS) -> str:
    """`value` as a reason quotes it: its repr, cut to `limit` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "…" + text[-3:]


def quoted_path(path: object) -> str:
    """A path as a reason quotes it: most of it, quoted."""
    return quoted(str(path), MAX_PATH_CHARS)

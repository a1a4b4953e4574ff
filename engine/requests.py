"""What a continuation request may say, checked in one place for OSC messages and sidecar files.

Both ways of asking give the same keys (`seconds`, `bars`, `bpm`, `beats_per_bar`, `variations`,
`seed`, `temperature`, `output`); a DAW tool may send numbers as ints, floats or strings, so any
of those is accepted when it holds a number of the right kind. Every refusal is one line.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from .config import DEFAULT_TEMPERATURE
from .continuation import continuation_seconds

_NUMBER_KEYS: dict[str, type] = {
    "seconds": float,
    "bars": float,
    "bpm": float,
    "beats_per_bar": int,
    "variations": int,
    "seed": int,
    "temperature": float,
}
CONTINUE_KEYS = frozenset({*_NUMBER_KEYS, "output"})


@dataclass(frozen=True)
class ContinueSettings:
    seconds: float
    variations: int = 1
    seed: int | None = None
    temperature: float = DEFAULT_TEMPERATURE
    output: str | None = None  # as given: the caller decides what a name or path means
    bpm: float | None = None  # the DAW's tempo, when the length was asked in bars


def continue_settings(options: Mapping[str, object]) -> ContinueSettings:
    """Check and convert the options of one request; raise ValueError with the reason."""
    unknown = sorted(set(options) - CONTINUE_KEYS)
    if unknown:
        raise ValueError(f"unknown key {unknown[0]!r} (known: {', '.join(sorted(CONTINUE_KEYS))})")
    values = {
        key: number(key, options[key], kind) for key, kind in _NUMBER_KEYS.items() if key in options
    }
    output = options.get("output")
    if output is not None and (not isinstance(output, str) or not output.strip()):
        raise ValueError(f"output must be a file name or path, not {output!r}")
    seconds = continuation_seconds(
        values.get("seconds"),
        values.get("bars"),
        values.get("bpm"),
        values.get("beats_per_bar"),
    )
    return ContinueSettings(
        seconds=seconds,
        variations=values.get("variations", 1),
        seed=values.get("seed"),
        temperature=values.get("temperature", DEFAULT_TEMPERATURE),
        output=output,
        bpm=values.get("bpm"),
    )


def number(key: str, value: object, kind: type) -> int | float:
    """`value` as a finite number of `kind` (int or float), or a ValueError naming `key`."""
    given = value
    if isinstance(value, bool):
        value = None  # True is not a number a person meant
    elif isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            value = None
    if not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{key} must be a number, not {given!r}")
    if kind is int:
        if value != int(value):
            raise ValueError(f"{key} must be a whole number, not {given!r}")
        return int(value)
    return float(value)

"""What a continuation request may say, checked in one place for OSC messages and sidecar files.

Both ways of asking give the same keys (`seconds`, `bars`, `bpm`, `beats_per_bar`, `variations`,
`seed`, `temperature`, `output`, `overwrite`); a DAW tool may send numbers as ints, floats or
strings, so any of those is accepted when it holds a number of the right kind. Every refusal is
one line, and quotes at most a little of what it refuses.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass

from .config import DEFAULT_TEMPERATURE, MAX_VARIATIONS, ModelConfig
from .errors import InvalidValueError
from .reasons import quoted

DEFAULT_SECONDS = 10.0  # of continuation, when a request says nothing
MAX_CONTINUATION_SECONDS = 600.0
MAX_RENDER_SECONDS = 1200.0  # seconds x variations x stereo pairs of one request: the engine's
# memory and its queue's time. 600 s x 16 variations took 335 s, 8.1 GB and 2.5 GB of disk on
# 2 cores, holding every other request back; at the budget (600 s x 2 of a 44.1 kHz stereo
# clip) segue continue peaked at 1.9 GB and took 31 s, for 318 MB of output.
MAX_SEED = 2**63 - 1  # what torch's generator takes
_TRUE, _FALSE = frozenset({"1", "true", "yes", "on"}), frozenset({"0", "false", "no", "off", ""})

_NUMBER_KEYS: dict[str, type] = {
    "seconds": float,
    "bars": float,
    "bpm": float,
    "beats_per_bar": int,
    "variations": int,
    "seed": int,
    "temperature": float,
}
CONTINUE_KEYS = frozenset({*_NUMBER_KEYS, "output", "overwrite"})


@dataclass(frozen=True)
class ContinueSettings:
    """One request to continue a clip, however it came (the command line, OSC, a sidecar file,
    `segue demo`, `segue eval`): checked by `continue_settings` and `check_continuation`,
    carried as it is to `continue_clip` and `continue_file`."""

    seconds: float
    variations: int = 1
    seed: int | None = None
    temperature: float = DEFAULT_TEMPERATURE
    output: str | os.PathLike | None = None  # as given: the caller says what a name means
    bpm: float | None = None  # the DAW's tempo, when the length was asked in bars
    beats_per_bar: int | None = None  # and its meter, when it said
    overwrite: bool = False  # may replace an existing file that Segue did not write


def continue_settings(options: Mapping[str, object]) -> ContinueSettings:
    """Check and convert the options of one request; raise ValueError with the reason."""
    unknown = sorted(set(options) - CONTINUE_KEYS)
    if unknown:
        known = ", ".join(sorted(CONTINUE_KEYS))
        raise InvalidValueError(f"unknown key {quoted(unknown[0])} (known: {known})")
    values = {
        key: number(key, options[key], kind) for key, kind in _NUMBER_KEYS.items() if key in options
    }
    output = options.get("output")
    if output is not None and (not isinstance(output, str) or not output.strip()):
        raise InvalidValueError(f"output must be a file name or path, not {quoted(output)}")
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
        overwrite=flag("overwrite", options.get("overwrite", False)),
        beats_per_bar=values.get("beats_per_bar"),
    )


def bars_to_seconds(bars: float, bpm: float, beats_per_bar: int = 4) -> float:
    if bars <= 0 or bpm <= 0 or beats_per_bar <= 0:
        raise InvalidValueError("bars, bpm and beats per bar must be positive")
    return bars * beats_per_bar * 60.0 / bpm


def continuation_seconds(
    seconds: float | None = None,
    bars: float | None = None,
    bpm: float | None = None,
    beats_per_bar: int | None = None,
) -> float:
    """The one rule for how long a continuation is, for every way of asking (CLI, OSC, sidecar):
    seconds, or bars with bpm (in 4/4 unless told), never both; ten seconds when nothing is said."""
    if bars is not None or bpm is not None:
        if seconds is not None or bars is None or bpm is None:
            raise InvalidValueError("give either seconds, or bars with bpm")
        return bars_to_seconds(bars, bpm, 4 if beats_per_bar is None else beats_per_bar)
    return DEFAULT_SECONDS if seconds is None else seconds


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
    if isinstance(value, int) and not _fits_a_float(value):
        raise InvalidValueError(f"{key} is too large: {quoted(given)}")
    if not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidValueError(f"{key} must be a number, not {quoted(given)}")
    if kind is int:
        if value != int(value):
            raise InvalidValueError(f"{key} must be a whole number, not {quoted(given)}")
        return int(value)
    return float(value)


def _fits_a_float(value: int) -> bool:
    """A sidecar's JSON may hold an int of 400 digits: math.isfinite and every sum with a
    float raise OverflowError on it (not a ValueError: an internal error, with a traceback)."""
    try:
        float(value)
    except OverflowError:
        return False
    return True


def flag(key: str, value: object) -> bool:
    """A yes/no: OSC's true and false, 0 or 1, or the words true/false, yes/no, on/off."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise InvalidValueError(f"{key} must be true or false (1 or 0), not {quoted(value)}")


def check_continuation(config: ModelConfig, settings: ContinueSettings, channels: int = 2) -> None:
    """What a model can be asked for; torch-free, so that `segue continue` and the engine
    refuse at once, before the model runs. `channels`: the clip's, where it is known."""
    seconds, variations = settings.seconds, settings.variations
    temperature, seed = settings.temperature, settings.seed
    if not 0 < seconds <= MAX_CONTINUATION_SECONDS:
        raise InvalidValueError(
            f"seconds must be in (0, {MAX_CONTINUATION_SECONDS:g}], not {seconds:g}"
        )
    if not 1 <= variations <= MAX_VARIATIONS:
        raise InvalidValueError(f"variations must be 1 to {MAX_VARIATIONS}, not {variations}")
    if not 0 <= temperature <= 2:
        raise InvalidValueError(f"temperature must be 0 to 2, not {temperature:g}")
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise InvalidValueError(
            f"seed must be a whole number from 0 to {MAX_SEED}, not {quoted(seed)}"
        )
    pairs = math.ceil(channels / 2)
    if seconds * variations * pairs > MAX_RENDER_SECONDS:
        per = f" x {pairs} stereo pairs" if pairs > 1 else ""
        raise InvalidValueError(
            f"too much for one request: {seconds:g} s x {variations} variations{per} is more "
            f"than {MAX_RENDER_SECONDS:g} s of audio; ask for fewer seconds or variations"
        )
    if variations > 1 and config.variation_dim == 0:
        raise InvalidValueError(
            "this model is deterministic (the original design has no variation source): "
            "ask for one variation, or use a model like 'default'"
        )

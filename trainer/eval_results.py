"""What `segue eval` produces: the pairs, the systems that continue them, the values each
scored, and the table a person reads. Kept apart from the run (`evaluate.py`) so that the
report (`eval_report.py`) reads results without importing the run that writes it."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from segue.engine.audio import resample
from segue.engine.version import SEGUE_VERSION

from .metrics import MEASURES

EVAL_RATE = 22050  # outputs, input and truth are scored at this rate (`native` measures: own)


@dataclass
class Pair:
    """One held-out example: the input every system hears and what really followed it."""

    song: str  # the file, relative to DATA
    start: float  # seconds into the song where the input starts
    before: np.ndarray  # [2, frames] at the song's rate
    truth: np.ndarray
    rate: int
    trained_on: list[str] = field(default_factory=list)  # models that trained on this song

    @property
    def seconds(self) -> float:
        return self.truth.shape[1] / self.rate

    def at_eval_rate(self) -> tuple[np.ndarray, np.ndarray]:
        return resample(self.before, self.rate, EVAL_RATE), resample(
            self.truth, self.rate, EVAL_RATE
        )


@dataclass
class System:
    """Something that continues an input: a model or a baseline. `play` gives the outputs
    at the pair's rate, as many as asked for when `varies`, else one."""

    name: str
    kind: str  # "model" or "baseline"
    about: str
    varies: bool
    play: Callable[[Pair, int, int], list[np.ndarray]]  # pair, K, seed


@dataclass
class Results:
    """Per system, per measure, one value per pair (None where a measure does not apply)."""

    settings: dict
    pairs: list[Pair]
    systems: list[System]
    values: dict[str, dict[str, list[float | None]]]
    skipped: dict[str, str]
    each_variation: dict[str, list[str]] = field(default_factory=dict)
    """Per model that varies, the names of its rows in `values` for each variation alone
    (`<model> v1`, ...): a mean over variations would hide one that fails where the others pass."""

    def rows(self, system: str) -> list[str]:
        """The table's rows for a system: its own, then one per variation where it has them."""
        return [system, *self.each_variation.get(system, [])]

    def summary(self, system: str, measure: str) -> dict[str, float | int | None]:
        numbers = np.array(
            [v for v in self.values[system][measure] if v is not None and math.isfinite(v)]
        )
        if numbers.size == 0:
            return {"mean": None, "median": None, "p25": None, "p75": None, "std": None, "n": 0}
        p25, median, p75 = np.percentile(numbers, [25, 50, 75])
        return {
            "mean": float(numbers.mean()),
            "median": float(median),
            "p25": float(p25),
            "p75": float(p75),
            "std": float(numbers.std()),
            "n": int(numbers.size),
        }

    def measures(self):
        """The measures that apply to this run (the spread needs two or more variations)."""
        return [m for m in MEASURES if m.per_continuation or self.settings["variations"] > 1]

    def to_json(self) -> dict:
        return {
            "segue_version": SEGUE_VERSION,
            "settings": self.settings,
            "measures": [
                {
                    "name": m.name,
                    "label": m.label,
                    "unit": m.unit,
                    "better": m.better,
                    "what": m.what,
                }
                for m in self.measures()
            ],
            "pairs": [
                {"song": p.song, "start_seconds": round(p.start, 3), "trained_on": p.trained_on}
                for p in self.pairs
            ],
            "systems": [
                {
                    "name": s.name,
                    "kind": s.kind,
                    "about": s.about,
                    "measures": self._measures_json(s.name),
                    "each_variation": {
                        row: self._measures_json(row, per_continuation=True)
                        for row in self.each_variation.get(s.name, [])
                    },
                }
                for s in self.systems
            ],
            "skipped": self.skipped,
        }

    def _measures_json(self, row: str, per_continuation: bool = False) -> dict:
        return {
            m.name: {**self.summary(row, m.name), "values": _finite(self.values[row][m.name])}
            for m in self.measures()
            if m.per_continuation or not per_continuation
        }


def _finite(values: list[float | None]) -> list[float | None]:
    """JSON has no NaN: a value that is not a finite number is written as null."""
    return [v if v is not None and math.isfinite(v) else None for v in values]


# --------------------------------------------------------------------------- the table


def _cell(value: float | None) -> str:
    if value is None:
        return "—"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def table(results: Results, statistic: str = "mean") -> str:
    """One table: a row per system (models, then baselines), a column per measure with its
    unit and which way is better; cells are the mean (or median) over the pairs."""
    measures = results.measures()
    rows = [row for system in results.systems for row in results.rows(system.name)]
    width = max(8, *(len(row) for row in rows)) + 2
    column = max(9, *(len(m.label) + 3 for m in measures))
    settings = results.settings
    songs = len({pair.song for pair in results.pairs})
    native = ", ".join(m.label for m in MEASURES if m.native)
    lines = [
        f"{len(results.pairs)} pairs from {songs} songs: {settings['input_seconds']:g} s of "
        f"input, {settings['seconds']:g} s continued, {settings['variations']} variation(s), "
        f"scored at {EVAL_RATE} Hz ({native} at each song's own); "
        f"{statistic} over pairs",
        "system".ljust(width) + "".join(f"{m.label} {m.arrow}".rjust(column) for m in measures),
        "".ljust(width) + "".join(m.unit.rjust(column) for m in measures),
    ]
    kind = None
    for system in results.systems:
        if kind is not None and system.kind != kind:
            lines.append("-" * (width + column * len(measures)))
        kind = system.kind
        for row in results.rows(system.name):
            cells = [_cell(results.summary(row, m.name)[statistic]) for m in measures]
            lines.append(row.ljust(width) + "".join(c.rjust(column) for c in cells))
    lines.append("↓ lower is better, ↑ higher is better, ≈T closest to the truth's row")
    lines += [f"  {s.name}: {s.about}" for s in results.systems if s.kind == "model"]
    flagged = [pair for pair in results.pairs if pair.trained_on]
    if flagged:
        lines.append(
            f"flagged: {len(flagged)} of {len(results.pairs)} pairs come from songs a model "
            "trained on: "
            + "; ".join(f"{p.song} ({', '.join(p.trained_on)})" for p in flagged[:5])
            + ("; ..." if len(flagged) > 5 else "")
        )
    if results.skipped:
        lines.append(f"skipped {len(results.skipped)} file(s):")
        lines += [f"  {name}: {reason}" for name, reason in sorted(results.skipped.items())]
    return "\n".join(lines)

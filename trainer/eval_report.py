"""`segue eval --report DIR`: what a person listens to and looks at, beside the numbers.

DIR gets, per pair, `pairs/NN/` with the input and, for the truth and every system, its
continuation (preceded by the input's last 2 s, so the join is heard) as mp3, at the song's
rate as the systems played it, and one picture of all their log-mel spectrograms side by side,
up to the song's Nyquist frequency (so that where a band-limited output stops shows); then
`distributions.png` (per measure, the values over pairs of each system), `results.json` (what
`--json` prints) and `index.html`, which shows it all with audio players. Every file is
written atomically.
"""

from __future__ import annotations

import html
import json
import math
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import librosa
import matplotlib.pyplot as plt
import numpy as np

from segue.engine.atomic import atomic_path
from segue.engine.audio import write_audio
from segue.engine.plots import save_figure

from .eval_results import Pair, Results
from .metrics import FLOOR_DB, log_mel

LEAD_IN_S = 2.0  # of the input before each continuation in its audio file and picture
_SHOWN = ("mel_distance", "frame_distance", "pulse_error", "chroma_similarity", "band_error",
          "flatness_error", "copy_score")  # fmt: skip
_TICKS_HZ = (100, 1000, 5000, 10000, 20000)  # the spectrograms' frequency axis, where in band


class Report:
    """Collects the report while the evaluation runs (`add_pair` after each pair), then
    writes the overview (`finish`)."""

    def __init__(self, folder: Path, systems: list[str]) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.files = {name: f"{k:02d}-{_safe(name)}.mp3" for k, name in enumerate(systems)}
        self.pairs: list[dict] = []

    def add_pair(self, number: int, pair: Pair, outputs: dict[str, np.ndarray]) -> None:
        """The pair's files; `outputs` (each system's first) at the pair's rate."""
        folder = self.folder / "pairs" / f"{number + 1:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        before, rate = pair.before, pair.rate
        lead_in = before[:, -round(LEAD_IN_S * rate) :]
        write_audio(folder / "input.mp3", np.clip(before, -1.0, 1.0), rate)
        for name, output in outputs.items():
            joined = np.concatenate([lead_in, output], axis=1)
            write_audio(folder / self.files[name], np.clip(joined, -1.0, 1.0), rate)
        picture = folder / "spectrograms.png"
        plot_spectrograms(before, outputs, rate, lead_in.shape[1], picture, _title(number, pair))
        self.pairs.append({"number": number, "pair": pair, "folder": folder.name})

    def finish(self, results: Results, summary: str) -> Path:
        """distributions.png, results.json and index.html; returns the page's path."""
        plot_distributions(results, self.folder / "distributions.png")
        with atomic_path(self.folder / "results.json") as temp:
            temp.write_text(json.dumps(results.to_json(), indent=1, ensure_ascii=False))
        page = self.folder / "index.html"
        with atomic_path(page) as temp:
            temp.write_text(self._page(results, summary), encoding="utf-8")
        return page

    def _page(self, results: Results, summary: str) -> str:
        shown = [m for m in results.measures() if m.name in _SHOWN]
        parts = [
            "<!doctype html><html><head><meta charset='utf-8'><title>segue eval</title>",
            "<style>body{font-family:sans-serif;margin:2em}pre{background:#f4f4f4;padding:1em}"
            "td,th{padding:2px 10px;text-align:left}img{max-width:100%}</style></head><body>",
            "<h1>segue eval</h1>",
            f"<pre>{html.escape(summary)}</pre>",
            "<p><a href='results.json'>results.json</a> (every value of every pair)</p>",
            "<h2>Distributions over pairs</h2><img src='distributions.png' alt='distributions'>",
            f"<h2>Pairs</h2><p>Each player starts {LEAD_IN_S:g} s before the join: the end of "
            "the input, then the continuation.</p>",
        ]
        for entry in self.pairs:
            number, pair, folder = entry["number"], entry["pair"], entry["folder"]
            base = f"pairs/{folder}"
            parts += [
                f"<h3>{html.escape(_title(number, pair))}</h3>",
                f"<img src='{base}/spectrograms.png' alt='spectrograms'>",
                "<table><tr><th>system</th><th>listen</th>"
                + "".join(f"<th>{html.escape(f'{m.label} {m.arrow}')}</th>" for m in shown)
                + "</tr>",
                f"<tr><td>input</td><td>{_player(f'{base}/input.mp3')}</td></tr>",
            ]
            for system in results.systems:
                cells = "".join(
                    f"<td>{_number(results.values[system.name][m.name][number])}</td>"
                    for m in shown
                )
                player = _player(f"{base}/{self.files[system.name]}")
                parts.append(
                    f"<tr><td>{html.escape(system.name)}</td><td>{player}</td>{cells}</tr>"
                )
            parts.append("</table>")
        parts.append("</body></html>")
        return "\n".join(parts)


def _title(number: int, pair: Pair) -> str:
    minutes, seconds = divmod(pair.start, 60.0)
    flag = f" (trained on by {', '.join(pair.trained_on)})" if pair.trained_on else ""
    return f"Pair {number + 1}: {pair.song} at {int(minutes)}:{seconds:04.1f}{flag}"


def _player(source: str) -> str:
    return f"<audio controls preload='none' src='{html.escape(source)}'></audio>"


def _number(value: float | None) -> str:
    return "—" if value is None or not math.isfinite(value) else f"{value:.2f}"


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "system"


def plot_spectrograms(
    before: np.ndarray,
    outputs: dict[str, np.ndarray],
    rate: int,
    lead_in: int,
    path: Path,
    title: str,
) -> Path:
    """The input's log-mel spectrogram, then each system's (lead-in and continuation, the join
    dashed), side by side on one colour scale, up to `rate`'s Nyquist frequency."""
    panels = [("input", before, None)] + [
        (name, np.concatenate([before[:, -lead_in:], output], axis=1), lead_in / rate)
        for name, output in outputs.items()
    ]
    bands = 80
    ticks = [hz for hz in _TICKS_HZ if hz < rate / 2]
    centres = librosa.mel_frequencies(bands + 2, fmax=rate / 2)[1:-1]  # log_mel's bands'
    positions = np.interp(ticks, centres, np.arange(bands)) + 0.5  # band k spans k to k + 1
    labels = [f"{hz / 1000:g}k" if hz >= 1000 else f"{hz}" for hz in ticks]
    columns = min(4, len(panels))
    rows = math.ceil(len(panels) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(4 * columns, 2.6 * rows), squeeze=False)
    for axis in axes.flat[len(panels) :]:
        axis.remove()
    for axis, (name, samples, join) in zip(axes.flat, panels, strict=False):
        spectrum = log_mel(samples, rate, 2048, bands)
        seconds = samples.shape[1] / rate
        axis.imshow(
            spectrum,
            origin="lower",
            aspect="auto",
            cmap="magma",
            vmin=FLOOR_DB,
            vmax=0.0,
            extent=(0.0, seconds, 0, spectrum.shape[0]),
        )
        if join is not None:
            axis.axvline(join, color="white", lw=1, ls="--")
        axis.set_title(name, fontsize=10)
        axis.set_xlabel("s", fontsize=8)
        axis.set_yticks(positions, labels, fontsize=7)
    figure.suptitle(title, fontsize=11)
    return save_figure(figure, path, dpi=70)


def plot_distributions(results: Results, path: Path) -> Path:
    """Per measure, a box per system of its values over the pairs."""
    measures = results.measures()
    names = [system.name for system in results.systems]
    columns = 3
    rows = math.ceil(len(measures) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(5 * columns, 3.2 * rows), squeeze=False)
    for axis in axes.flat[len(measures) :]:
        axis.remove()
    for axis, measure in zip(axes.flat, measures, strict=False):
        data = [
            [v for v in results.values[name][measure.name] if v is not None and math.isfinite(v)]
            for name in names
        ]
        shown = [(name, values) for name, values in zip(names, data, strict=True) if values]
        if shown:
            axis.boxplot([values for _, values in shown], showmeans=True)
            axis.set_xticks(range(1, len(shown) + 1), [name for name, _ in shown])
            axis.tick_params(axis="x", labelrotation=45, labelsize=8)
        unit = f" ({measure.unit})" if measure.unit else ""
        axis.set_title(f"{measure.label}{unit} {measure.arrow}", fontsize=10)
    return save_figure(figure, path, dpi=80)

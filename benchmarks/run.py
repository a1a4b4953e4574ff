"""Segue's performance, measured side by side in one run: the one benchmark command.

    python benchmarks/run.py [--quick] [--json PATH] [--markdown PATH]

On this machine, for `default` beside `seed` (and on the GPU as well when torch sees one):
- continuation, warm: real-time factor of 10 s, 30 s and 60 s of output, split into model time
  (the network's forward passes) and the whole of `continue_clip` (with resampling, loudness
  matching, seam); how it grows with length; K=4 variations against one;
- `segue continue` end to end in a new process (start-up, import, load, read, continue, write),
  with one and with four variations, and its peak resident memory;
- a running `segue serve`: OSC round trip and watch-folder latency, and its peak memory;
- training throughput (audio seconds per second) per preset, on procedural songs.

The acceptance targets of the performance issue are checked and printed beside the figures. It
writes the figures as JSON and as a markdown table. Benchmarks are not tests: the figures go in
notes, and only ratios measured in the same run compare (the machines are noisy).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import soundfile as sf
import torch
from daemon_latency import folder_latency, round_trip, start_daemon, summary
from train_throughput import train_for

from segue.bridge.client import EngineClient
from segue.engine.audio import Audio
from segue.engine.continuation import continue_clip
from segue.engine.modelfile import LoadedModel, open_model
from segue.engine.requests import ContinueSettings
from segue.procedural import generate_song, song_spec

PRESETS = ("default", "seed")
LENGTHS = (10.0, 30.0, 60.0)
RATE = 44100
CLIP_SECONDS = 12.0
SEGUE = str(Path(sys.executable).with_name("segue"))


class ModelClock:
    """Sums the time spent inside the network during `continue_clip`, by wrapping its encoder,
    its predictor and its decoder (synchronising the GPU before reading the clock); a
    continuation played from the clip calls no decoder."""

    def __init__(self, loaded: LoadedModel) -> None:
        self.seconds = 0.0
        self.device = next(loaded.model.parameters()).device
        for name in ("encode", "predict", "decode"):
            setattr(loaded.model, name, self._timed(getattr(loaded.model, name)))

    def _timed(self, method: Callable) -> Callable:
        def timed(*args, **kwargs):
            started = time.perf_counter()
            result = method(*args, **kwargs)
            if self.device.type == "cuda":
                torch.cuda.synchronize()
            self.seconds += time.perf_counter() - started
            return result

        return timed


def median_of(repeats: int, run: Callable[[int], tuple[float, float]]) -> tuple[float, float]:
    """Medians of (model seconds, total seconds) over `repeats` runs, after one warm-up."""
    run(repeats)  # the warm-up's seed is one no counted run uses (seeds are 0 or more)
    results = [run(index) for index in range(repeats)]
    return (
        statistics.median(r[0] for r in results),
        statistics.median(r[1] for r in results),
    )


def warm_continuation(
    loaded: LoadedModel, clock: ModelClock, clip: Audio, seconds: float, variations: int, repeats
) -> dict[str, float]:
    def once(seed: int) -> tuple[float, float]:
        clock.seconds = 0.0
        started = time.perf_counter()
        continue_clip(loaded, clip, ContinueSettings(seconds, variations, seed))
        return clock.seconds, time.perf_counter() - started

    model, total = median_of(repeats, once)
    return {
        "seconds": seconds,
        "variations": variations,
        "model_s": model,
        "total_s": total,
        "model_rtf": seconds / model,
        "total_rtf": seconds / total,
    }


def continuation_figures(device: str, clip: Audio, repeats: int) -> dict[str, dict]:
    figures: dict[str, dict] = {}
    for name in PRESETS:
        loaded = open_model(name, device)
        clock = ModelClock(loaded)
        rows = [warm_continuation(loaded, clock, clip, s, 1, repeats) for s in LENGTHS]
        if loaded.config.variation_dim:
            rows.append(warm_continuation(loaded, clock, clip, LENGTHS[0], 4, repeats))
        figures[name] = {"rows": rows}
    return figures


# Runs the command in a small fresh interpreter, so the child's peak memory is its own: a child
# forked from this (large) process would inherit this process's high-water mark at exec.
MEASURE = (
    "import os, subprocess, sys, time\n"
    "started = time.perf_counter()\n"
    "child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
    "_, status, usage = os.wait4(child.pid, 0)\n"
    "print(time.perf_counter() - started, usage.ru_maxrss)\n"
    "sys.exit(os.waitstatus_to_exitcode(status))\n"
)


def child_run(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MB) of one process, from the kernel's own count."""
    done = subprocess.run([sys.executable, "-c", MEASURE, *command], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed: {done.stderr}")
    seconds, kilobytes = done.stdout.split()
    return float(seconds), int(kilobytes) / 1024.0


def process_figures(folder: Path, clip_path: Path, repeats: int) -> dict[str, dict]:
    figures: dict[str, dict] = {}
    for name in PRESETS:
        for variations in (1, 4) if name == "default" else (1,):
            out = folder / f"out-{name}-{variations}.wav"
            command = [SEGUE, "continue", str(clip_path), "--model", name, "-o", str(out)]
            command += ["--seconds", "10", "--variations", str(variations), "--device", "cpu"]
            runs = [child_run(command) for _ in range(repeats)]
            figures[f"{name} x{variations}"] = {
                "seconds": statistics.median(r[0] for r in runs),
                "peak_mb": max(r[1] for r in runs),
            }
    return figures


def peak_memory_mb(pid: int) -> float:
    """The high-water mark of a live process's resident memory (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def daemon_figures(folder: Path, clip_path: Path, requests: int) -> dict[str, object]:
    watch = folder / "watch"
    daemon, address = start_daemon(watch, "default", folder / "serve.err")
    try:
        with EngineClient(*address) as client:
            for index in range(2):
                round_trip(client, f"warm-{index}", clip_path)
            osc = [round_trip(client, f"osc-{i}", clip_path) for i in range(requests)]
        dropped = [folder_latency(watch, clip_path, f"clip-{i}", daemon) for i in range(requests)]
        memory = peak_memory_mb(daemon.pid)
    finally:
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(60)
        except subprocess.TimeoutExpired:
            daemon.kill()
    return {"osc": summary(osc), "folder": summary(dropped), "peak_mb": memory}


def training_figures(folder: Path, seconds: float, device: str) -> dict[str, float]:
    """Audio seconds trained per second, per preset, on 16 procedural songs of 2 minutes (the
    `seed` preset's one step takes 64 pairs of 10 s cut every 20 s)."""
    library = folder / "songs"
    library.mkdir()
    for index in range(16):
        song = generate_song(song_spec(index), 120.0, RATE)
        sf.write(library / f"song{index}.flac", song.T, RATE)
    return {
        name: train_for(name, library, folder, seconds / 60.0, device=device)["audio_s_per_s"]
        for name in PRESETS
    }


def markdown(figures: dict) -> str:
    lines = [
        f"Segue benchmark on {figures['machine']}",
        "",
        "| preset | device | output | variations | model s | model RTF | continue_clip s | RTF |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for device, presets in figures["continuation"].items():
        for name, block in presets.items():
            for row in block["rows"]:
                lines.append(
                    f"| {name} | {device} | {row['seconds']:g} s | {row['variations']} | "
                    f"{row['model_s']:.3f} | {row['model_rtf']:.0f}x | {row['total_s']:.3f} | "
                    f"{row['total_rtf']:.0f}x |"
                )
    lines += ["", "| `segue continue` 10 s, new process | seconds | peak memory |", "|---|---|---|"]
    for name, row in figures["process"].items():
        lines.append(f"| {name} | {row['seconds']:.2f} | {row['peak_mb']:.0f} MB |")
    if "daemon" in figures:
        daemon = figures["daemon"]
        lines += [
            "",
            "| `segue serve` (default) | median | p95 |",
            "|---|---|---|",
            f"| OSC round trip, 10 s | {daemon['osc']['median']:.3f} s | "
            f"{daemon['osc']['p95']:.3f} s |",
            f"| watch folder, 10 s | {daemon['folder']['median']:.3f} s | "
            f"{daemon['folder']['p95']:.3f} s |",
            f"| peak memory | {daemon['peak_mb']:.0f} MB | |",
        ]
    if "training" in figures:
        lines += ["", "| training | audio s / s |", "|---|---|"]
        lines += [f"| {name} | {value:.1f} |" for name, value in figures["training"].items()]
    lines += [
        "",
        "| acceptance (2 CPU cores, default) | figure | target | met |",
        "|---|---|---|---|",
    ]
    for check in figures["acceptance"]:
        verdict = "yes" if check["met"] else "**no**"
        lines.append(f"| {check['what']} | {check['figure']} | {check['target']} | {verdict} |")
    return "\n".join(lines) + "\n"


def acceptance(figures: dict) -> list[dict[str, object]]:
    """The performance issue's targets, checked against this run's CPU figures."""
    cpu = figures["continuation"]["cpu"]
    rows = {n: {(r["seconds"], r["variations"]): r for r in b["rows"]} for n, b in cpu.items()}
    default, seed = rows["default"], rows["seed"]
    ten, sixty, four = default[(10.0, 1)], default[(60.0, 1)], default[(10.0, 4)]
    process = figures["process"]
    checks = [
        ("10 s: model time", f"{ten['model_s']:.3f} s", "< 0.1 s", ten["model_s"] < 0.1),
        (
            "model RTF, default / seed",
            f"{ten['model_rtf'] / seed[(10.0, 1)]['model_rtf']:.1f}x",
            ">= 2x",
            ten["model_rtf"] >= 2 * seed[(10.0, 1)]["model_rtf"],
        ),
        (
            "`segue continue` end to end",
            f"{process['default x1']['seconds']:.2f} s",
            "< 3 s",
            process["default x1"]["seconds"] < 3.0,
        ),
        (
            "K=4 / K=1, continue_clip",
            f"{four['total_s'] / ten['total_s']:.2f}x",
            "< 2x",
            four["total_s"] < 2 * ten["total_s"],
        ),
        (
            "K=4 / K=1, `segue continue`",
            f"{process['default x4']['seconds'] / process['default x1']['seconds']:.2f}x",
            "< 2x",
            process["default x4"]["seconds"] < 2 * process["default x1"]["seconds"],
        ),
        (
            "60 s / 10 s, continue_clip",
            f"{sixty['total_s'] / ten['total_s']:.2f}x",
            "<= 6.5x",
            sixty["total_s"] <= 6.5 * ten["total_s"],
        ),
        (
            "`segue continue` peak memory",
            f"{max(r['peak_mb'] for r in process.values()):.0f} MB",
            "< 1500 MB",
            max(r["peak_mb"] for r in process.values()) < 1500,
        ),
    ]
    return [{"what": w, "figure": f, "target": t, "met": bool(m)} for w, f, t, m in checks]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="Fewer repeats; no daemon, no training."
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--train-seconds", type=float, default=60.0)
    parser.add_argument("--json", type=Path, default=Path("benchmark.json"))
    parser.add_argument("--markdown", type=Path, default=Path("benchmark.md"))
    args = parser.parse_args()
    repeats = 2 if args.quick else args.repeats
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    gpu = f", {torch.cuda.get_device_name()}" if "cuda" in devices else ""
    figures: dict = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"torch {torch.__version__} with {torch.get_num_threads()} threads{gpu}",
    }
    print(figures["machine"], file=sys.stderr)
    clip = Audio(generate_song(song_spec(0, style="rock"), CLIP_SECONDS, RATE), RATE)
    folder = Path(tempfile.mkdtemp(prefix="segue-bench-"))
    try:
        clip_path = folder / "clip.wav"
        sf.write(clip_path, clip.samples.T, RATE)
        figures["continuation"] = {d: continuation_figures(d, clip, repeats) for d in devices}
        figures["process"] = process_figures(folder, clip_path, max(1, repeats // 2 + 1))
        if not args.quick:
            figures["daemon"] = daemon_figures(folder, clip_path, 4 * repeats)
            figures["training"] = training_figures(folder, args.train_seconds, devices[-1])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    figures["acceptance"] = acceptance(figures)
    table = markdown(figures)
    print(table)
    args.json.write_text(json.dumps(figures, indent=2) + "\n")
    args.markdown.write_text(table)
    print(f"wrote {args.json} and {args.markdown}", file=sys.stderr)


if __name__ == "__main__":
    main()

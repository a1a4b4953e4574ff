"""Real-time factor of continuation on this machine, `default` beside `seed`, in one run.

    python benchmarks/continue_speed.py [--seconds 10] [--repeats 5]

Prints, per preset, the seconds of audio produced per second of wall time for: the model and
its post-processing (`continue_clip`, warm), and `segue continue` end to end (a new process:
start-up, model load, read, continue, write). Benchmarks are not tests: the figures go in notes.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import soundfile as sf
import torch

from segue.engine.audio import Audio
from segue.engine.continuation import continue_clip
from segue.engine.modelfile import open_model
from segue.trainer.procedural import generate_song, song_spec

PRESETS = ("default", "seed")
RATE = 44100


def warm_seconds(name: str, clip: Audio, seconds: float, repeats: int) -> float:
    loaded = open_model(name)
    continue_clip(loaded, clip, seconds, seed=0)  # warm-up
    times = []
    for index in range(repeats):
        started = time.perf_counter()
        continue_clip(loaded, clip, seconds, seed=index)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def process_seconds(name: str, clip_path: Path, seconds: float, repeats: int) -> float:
    segue = str(Path(sys.executable).with_name("segue"))
    command = [
        segue,
        "continue",
        str(clip_path),
        "--model",
        name,
        "--seconds",
        str(seconds),
        "-o",
        str(clip_path.with_name(f"out-{name}.wav")),
    ]
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    clip = Audio(generate_song(song_spec(0, style="rock"), 12.0, RATE), RATE)
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"{args.seconds:g} s of continuation of a 12 s {RATE} Hz stereo clip"
    )
    rows = {}
    with tempfile.TemporaryDirectory() as folder:
        clip_path = Path(folder) / "clip.wav"
        sf.write(clip_path, clip.samples.T, RATE)
        for name in PRESETS:
            warm = warm_seconds(name, clip, args.seconds, args.repeats)
            cold = process_seconds(name, clip_path, args.seconds, max(1, args.repeats // 2))
            rows[name] = (warm, cold)
    print(f"{'preset':8s} {'warm s':>8s} {'warm RTF':>9s} {'process s':>10s} {'process RTF':>12s}")
    for name, (warm, cold) in rows.items():
        print(
            f"{name:8s} {warm:8.3f} {args.seconds / warm:8.1f}x {cold:10.2f} "
            f"{args.seconds / cold:11.1f}x"
        )
    ratio = rows["seed"][0] / rows["default"][0]
    print(f"default is {ratio:.2f}x the speed of seed (warm)")


if __name__ == "__main__":
    main()

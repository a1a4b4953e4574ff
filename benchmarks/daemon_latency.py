"""Latency of a running `segue serve`: an OSC request, and a clip dropped in the watch folder.

    python benchmarks/daemon_latency.py [--requests 20] [--preset default] [--json PATH]

Starts a real daemon (`segue serve --osc-port 0 --watch <temp dir>`) and, after two warm-up
requests, times N sequential 10 s continuations of a 10 s 44100 Hz stereo clip each way: OSC from
just before the send to the matching `/segue/done`; the folder from the clip's rename into
`inbox/` to its continuation existing in `outbox/`. Prints median and 95th percentile against
the targets (95th percentile: round trip < 0.5 s, folder < 1 s on 2 CPU cores). Benchmarks are
not tests: the figures go in notes.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from segue.bridge.client import EngineClient, EngineError
from segue.procedural import generate_song, song_spec

RATE = 44100
CLIP_SECONDS = 10.0
WARM_UP = 2
TIMEOUT = 120.0  # seconds any one reply or file may take before the run is abandoned
TARGETS = {"osc": 0.5, "folder": 1.0}  # seconds, 95th percentile, on 2 CPU cores


def start_daemon(folder: Path, preset: str, log: Path) -> tuple[subprocess.Popen, tuple[str, int]]:
    segue = str(Path(sys.executable).with_name("segue"))
    command = [segue, "serve", "--osc-port", "0", "--watch", str(folder), "--model", preset]
    with open(log, "wb") as err:
        daemon = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err, text=True)
    assert daemon.stdout is not None
    for line in daemon.stdout:  # ends only if the daemon does
        if match := re.search(r"ready; .*OSC on ([\d.]+):(\d+)", line):
            print(line.strip())
            return daemon, (match.group(1), int(match.group(2)))
    daemon.wait()
    raise SystemExit(f"segue serve ended ({daemon.returncode}) before ready:\n{log.read_text()}")


def round_trip(client: EngineClient, name: str, clip: Path) -> float:
    """`segue send`'s own client: the request, and the wait for its /segue/done."""
    options = {"seconds": 10, "output": str(clip.with_name(f"{name}.wav"))}
    started = time.perf_counter()
    try:
        client.continue_clip(clip, options, TIMEOUT, job_id=name)
    except EngineError as error:
        raise SystemExit(f"request {name} failed: {error}") from None
    return time.perf_counter() - started


def folder_latency(folder: Path, clip: Path, name: str, daemon: subprocess.Popen) -> float:
    temp, target = folder / "inbox" / f".{name}.wav.part", folder / "inbox" / f"{name}.wav"
    result = folder / "outbox" / f"{name}.continuation.wav"
    shutil.copyfile(clip, temp)
    started = time.perf_counter()
    os.rename(temp, target)
    while not result.exists():
        if time.perf_counter() - started > TIMEOUT or daemon.poll() is not None:
            raise SystemExit(f"no {result.name} after {time.perf_counter() - started:.1f} s")
        time.sleep(0.002)
    return time.perf_counter() - started


def summary(times: list[float]) -> dict[str, float]:
    return {"median": float(np.median(times)), "p95": float(np.percentile(times, 95))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--preset", default="default")
    parser.add_argument("--json", type=Path, help="Also write the figures here.")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="segue-latency-"))
    daemon = None
    try:
        watch, work = folder / "watch", folder / "work"
        work.mkdir()
        daemon, address = start_daemon(watch, args.preset, folder / "serve.err")
        clip = work / "clip.wav"
        sf.write(clip, generate_song(song_spec(0, style="rock"), CLIP_SECONDS, RATE).T, RATE)
        with EngineClient(*address) as client:
            for index in range(WARM_UP):
                round_trip(client, f"warm-{index}", clip)
            osc = [round_trip(client, f"osc-{i}", clip) for i in range(args.requests)]
        dropped = [folder_latency(watch, clip, f"clip-{i}", daemon) for i in range(args.requests)]
    finally:
        if daemon is not None:
            daemon.send_signal(signal.SIGTERM)
            try:
                daemon.wait(60)
            except subprocess.TimeoutExpired:
                daemon.kill()
        shutil.rmtree(folder, ignore_errors=True)
    figures = {
        "preset": args.preset,
        "requests": args.requests,
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "osc": {**summary(osc), "seconds": osc},
        "folder": {**summary(dropped), "seconds": dropped},
    }
    print(
        f"'{args.preset}', {args.requests} requests of 10 s from a {CLIP_SECONDS:g} s {RATE} Hz "
        f"stereo clip; {os.cpu_count()} CPUs, torch {torch.get_num_threads()} threads"
    )
    for name, label in (("osc", "OSC round trip"), ("folder", "watch folder")):
        row, target = figures[name], TARGETS[name]
        verdict = "met" if row["p95"] < target else "MISSED"
        print(
            f"{label:15s} median {row['median']:.3f} s  p95 {row['p95']:.3f} s  "
            f"(target p95 < {target:g} s on 2 cores: {verdict})"
        )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()

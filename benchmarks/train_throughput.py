"""Training on real music for a fixed budget: throughput and validation losses, side by side.

    apt-get download supertux-data && dpkg -x supertux-data_*.deb /tmp/supertux
    python benchmarks/train_throughput.py /tmp/supertux/usr/share/games/supertux2/music \\
        [--minutes 20] [--presets default seed] [--json PATH]

Each preset gets the same library (decoded at its own rate), the same seed for the song-level
split and the same wall-clock budget on this machine; the table shows the steps taken, the
audio seconds trained per second of wall clock, and the validation losses (each preset's own:
the two do not use the same losses, so compare a preset with itself across changes). The
models and run folders land in a temporary folder that is printed. Benchmarks are not tests.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import torch

from segue.engine.config import load_preset
from segue.trainer.cache import preprocess
from segue.trainer.dataset import build_pairs
from segue.trainer.train import Budget, RunOptions, run_training


def train_for(
    name: str, library: Path, work: Path, minutes: float, seed: int = 0, device: str = "cpu"
) -> dict[str, object]:
    """Decode the library at the preset's rate, pair it, train for `minutes`: the figures."""
    preset = load_preset(name)
    started = time.monotonic()
    cache = preprocess(library, work / "cache", preset.model.sample_rate, progress=False)
    pairs = build_pairs(cache, preset.model, preset.train, seed, preset.train.pair_hop_seconds)
    prepared = time.monotonic() - started
    options = RunOptions(
        output=work / f"{name}.safetensors",
        budget=Budget(minutes=minutes),
        device=torch.device(device),
        seed=seed,
        progress=False,
    )
    result = run_training(preset, pairs, options)
    return {
        "preset": name,
        "songs": f"{len(pairs.train_songs)}+{len(pairs.validation_songs)}",
        "skipped": len(cache.skipped) + len(pairs.too_short),
        "prepare_s": round(prepared, 1),
        "steps": result.steps,
        "epochs": result.epochs,
        "audio_s_per_s": round(result.audio_seconds_per_second, 2),
        "validation": {k: round(v, 4) for k, v in result.validation.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("library", type=Path, help="A folder of songs (any formats).")
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--presets", nargs="+", default=["default", "seed"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="Also write the figures here.")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="segue-train-bench-"))
    print(f"{os.cpu_count()} CPUs, torch {torch.get_num_threads()} threads; files in {work}/")
    rows = [train_for(name, args.library, work, args.minutes, args.seed) for name in args.presets]
    print(f"\n{args.minutes:g} min of training per preset on {args.library}")
    print("| preset | songs (train+val) | skipped | steps | epochs | audio s/s | validation |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        losses = ", ".join(f"{k} {v}" for k, v in row["validation"].items())
        print(
            f"| {row['preset']} | {row['songs']} | {row['skipped']} | {row['steps']} | "
            f"{row['epochs']} | {row['audio_s_per_s']} | {losses} |"
        )
    if len(rows) >= 2 and rows[1]["audio_s_per_s"]:
        ratio = rows[0]["audio_s_per_s"] / rows[1]["audio_s_per_s"]
        print(f"throughput {rows[0]['preset']} / {rows[1]['preset']}: {ratio:.2f}x")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()

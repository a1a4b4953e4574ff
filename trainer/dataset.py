"""`segue dataset`: training pairs (an input window, the window that follows it) from a cache.

Songs, not windows, are split between training and validation (deterministic from a seed), so
no window of a validation song is ever trained on. Each song gives a pair every `hop` seconds;
pairs where either window is near silence are left out (they teach nothing). The result is one
`dataset.npz` in the cache's rate folder: the split, the pairs, and what they were made with.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from segue.engine.atomic import atomic_path
from segue.engine.config import ModelConfig, TrainConfig
from segue.engine.errors import InvalidValueError

from .cache import CachedSong, SongCache

DATASET = "dataset.npz"
SILENT_WINDOW_RMS = 1e-3  # -60 dBFS: a window this quiet teaches nothing


@dataclass
class Pairs:
    """What training reads: the split and every pair, as (song number, start sample)."""

    cache: SongCache
    window: int  # samples per window at the cache's rate
    hop: int
    seed: int
    train_songs: list[CachedSong]
    validation_songs: list[CachedSong]
    train: np.ndarray  # int64 [N, 2]: index into train_songs, start
    validation: np.ndarray  # int64 [M, 2]: index into validation_songs, start
    too_short: list[str]  # sources shorter than two windows

    def summary(self) -> dict[str, object]:
        """For the model file's metadata: which songs trained and which validated."""
        return {
            "train_songs": [song.source for song in self.train_songs],
            "validation_songs": [song.source for song in self.validation_songs],
            "train_pairs": len(self.train),
            "validation_pairs": len(self.validation),
            "hop_seconds": self.hop / self.cache.sample_rate,
            "split_seed": self.seed,
        }


def build_pairs(
    cache: SongCache, model: ModelConfig, train: TrainConfig, seed: int, hop_seconds: float
) -> Pairs:
    if cache.sample_rate != model.sample_rate:
        raise InvalidValueError(
            f"the cache holds {cache.sample_rate} Hz songs; this model needs {model.sample_rate} Hz"
        )
    window = model.window_samples
    hop = max(1, round(hop_seconds * model.sample_rate))
    usable = [song for song in cache.songs if song.frames >= 2 * window]
    too_short = [song.source for song in cache.songs if song.frames < 2 * window]
    train_songs, validation_songs = split_songs(usable, train.validation_fraction, seed)
    limit = round(train.max_song_seconds * model.sample_rate) if train.max_song_seconds else None
    return Pairs(
        cache, window, hop, seed, train_songs, validation_songs,
        _pairs(cache, train_songs, window, hop, limit),
        _pairs(cache, validation_songs, window, hop, limit),
        too_short,
    )  # fmt: skip


def split_songs(
    songs: list[CachedSong], fraction: float, seed: int
) -> tuple[list[CachedSong], list[CachedSong]]:
    """Deterministic song-level split; at least one validation song when there are two or more."""
    order = sorted(songs, key=lambda song: song.source)
    random.Random(seed).shuffle(order)
    count = min(max(1, round(fraction * len(order))), len(order) - 1) if len(order) > 1 else 0
    return order[count:], order[:count]


def _pairs(
    cache: SongCache, songs: list[CachedSong], window: int, hop: int, limit: int | None
) -> np.ndarray:
    pairs = []
    for number, song in enumerate(songs):
        samples = cache.samples(song)
        frames = min(song.frames, limit) if limit else song.frames
        for start in range(0, frames - 2 * window + 1, hop):
            if _loud_enough(samples[:, start : start + 2 * window]):
                pairs.append((number, start))
    return np.asarray(pairs, dtype=np.int64).reshape(-1, 2)


def _loud_enough(samples: np.ndarray) -> bool:
    half = samples.shape[1] // 2
    return all(
        float(np.sqrt(np.mean(np.square(part, dtype=np.float32)))) > SILENT_WINDOW_RMS
        for part in (samples[:, :half], samples[:, half:])
    )


def save_pairs(pairs: Pairs) -> Path:
    meta = {
        "window": pairs.window,
        "hop": pairs.hop,
        "seed": pairs.seed,
        "train_songs": [song.key for song in pairs.train_songs],
        "validation_songs": [song.key for song in pairs.validation_songs],
        "too_short": pairs.too_short,
    }
    path = pairs.cache.folder / DATASET
    with atomic_path(path) as temp, open(temp, "wb") as out:
        np.savez(
            out, train=pairs.train, validation=pairs.validation, meta=np.array(json.dumps(meta))
        )
    return path


def load_pairs(cache: SongCache, model: ModelConfig) -> Pairs:
    path = cache.folder / DATASET
    if not path.is_file():
        raise InvalidValueError(
            f"no dataset in '{cache.folder}': run `segue dataset --cache ...` first"
        )
    with np.load(path, allow_pickle=False) as stored:
        meta = json.loads(str(stored["meta"]))
        train, validation = stored["train"], stored["validation"]
    if meta["window"] != model.window_samples:
        raise InvalidValueError(
            f"the dataset in '{cache.folder}' was cut for {meta['window']}-sample windows; this "
            f"model has {model.window_samples}: run `segue dataset` again with its preset"
        )
    by_key = {song.key: song for song in cache.songs}
    missing = [key for key in meta["train_songs"] + meta["validation_songs"] if key not in by_key]
    if missing:
        raise InvalidValueError(
            "the dataset names songs no longer in the cache: run `segue dataset` again"
        )
    return Pairs(
        cache, meta["window"], meta["hop"], meta["seed"],
        [by_key[key] for key in meta["train_songs"]],
        [by_key[key] for key in meta["validation_songs"]],
        train, validation, meta["too_short"],
    )  # fmt: skip


class PairDataset(torch.utils.data.Dataset):
    """Pairs read on demand from the memory-mapped songs: (input, following window), float32."""

    def __init__(self, cache: SongCache, songs: list[CachedSong], pairs: np.ndarray, window: int):
        self.cache, self.songs, self.pairs, self.window = cache, songs, pairs, window

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        song, start = (int(value) for value in self.pairs[index])
        samples = self.cache.samples(self.songs[song])[:, start : start + 2 * self.window]
        pair = torch.from_numpy(np.asarray(samples, dtype=np.float32))
        return pair[:, : self.window], pair[:, self.window :]


def datasets(pairs: Pairs) -> tuple[PairDataset, PairDataset]:
    return (
        PairDataset(pairs.cache, pairs.train_songs, pairs.train, pairs.window),
        PairDataset(pairs.cache, pairs.validation_songs, pairs.validation, pairs.window),
    )

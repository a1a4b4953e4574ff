"""A music library as training pairs: (input window, the window that follows it).

The minimal in-memory form: every song is decoded once at the preset's rate and kept as a
float16 array. Songs, not windows, are split between training and validation, so no window of
a validation song is ever trained on.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from segue.engine.audio import AudioError, is_clip, read_audio, resample, to_stereo
from segue.engine.config import ModelConfig, TrainConfig

SILENT_WINDOW_RMS = 1e-3  # -60 dBFS: a window this quiet teaches nothing


@dataclass
class Song:
    name: str
    samples: np.ndarray  # float16 [2, frames] at the model's rate


@dataclass
class Library:
    songs: list[Song]
    skipped: list[tuple[str, str]]  # (file, reason)


def find_audio_files(directory: Path) -> list[Path]:
    return sorted(path for path in Path(directory).rglob("*") if is_clip(path) and path.is_file())


def load_library(directory: Path, model: ModelConfig, train: TrainConfig) -> Library:
    """Decode, downmix to stereo and resample every song; skip (and list) what cannot be used."""
    songs: list[Song] = []
    skipped: list[tuple[str, str]] = []
    shortest = 2 * model.window_samples
    for path in tqdm(find_audio_files(directory), desc="reading songs", unit="song", leave=False):
        try:
            audio = read_audio(path)
        except AudioError as error:
            skipped.append((str(path), str(error)))
            continue
        samples = resample(to_stereo(audio.samples), audio.rate, model.sample_rate)
        if train.max_song_seconds is not None:
            samples = samples[:, : round(train.max_song_seconds * model.sample_rate)]
        if samples.shape[1] < shortest:
            skipped.append(
                (str(path), f"shorter than two windows ({2 * model.window_seconds:g} s)")
            )
            continue
        songs.append(Song(path.stem, samples.astype(np.float16)))
    return Library(songs, skipped)


def split_songs(songs: list[Song], fraction: float, seed: int) -> tuple[list[Song], list[Song]]:
    """Deterministic song-level split; at least one validation song when there are two or more."""
    order = sorted(songs, key=lambda song: song.name)
    random.Random(seed).shuffle(order)
    count = min(max(1, round(fraction * len(order))), len(order) - 1) if len(order) > 1 else 0
    return order[count:], order[:count]


class PairDataset(torch.utils.data.Dataset):
    """Every (input, following) window pair, one starting each `pair_hop_seconds`."""

    def __init__(self, songs: list[Song], model: ModelConfig, train: TrainConfig) -> None:
        self.songs = songs
        self.window = model.window_samples
        hop = max(1, round(train.pair_hop_seconds * model.sample_rate))
        self.pairs = [
            (index, start)
            for index, song in enumerate(songs)
            for start in range(0, song.samples.shape[1] - 2 * self.window + 1, hop)
            if _loud_enough(song.samples[:, start : start + 2 * self.window])
        ]

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        song, start = self.pairs[index]
        samples = self.songs[song].samples
        pair = torch.from_numpy(samples[:, start : start + 2 * self.window].astype(np.float32))
        return pair[:, : self.window], pair[:, self.window :]


def _loud_enough(samples: np.ndarray) -> bool:
    half = samples.shape[1] // 2
    return all(
        float(np.sqrt(np.mean(np.square(part, dtype=np.float32)))) > SILENT_WINDOW_RMS
        for part in (samples[:, :half], samples[:, half:])
    )

"""`segue preprocess`: a music library, decoded once, as arrays a training run memory-maps.

Every song is decoded, folded to stereo, resampled to the preset's rate, brought to one
loudness, and stored as `<key>.npy` (float16) in a folder per rate, with an `index.json`
saying which file each array came from. The key changes when the file does (path, size,
modification time), so a second run decodes only what was added or changed and drops what
was removed. Training opens the arrays with `mmap_mode="r"`: a library of thousands of songs
costs disk, not RAM. Files that cannot be used are listed with their reason, and stay listed
(not retried) until they change.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from segue.engine.atomic import atomic_path
from segue.engine.audio import AudioError, is_clip, loudness_db, read_audio, resample, to_stereo
from segue.engine.errors import InvalidValueError

INDEX = "index.json"
TARGET_LUFS = -20.0  # every song at one loudness, so no song weighs more for being loud
PEAK_LIMIT = 0.99  # ...unless that would clip it: then its peak sets the gain


@dataclass(frozen=True)
class CachedSong:
    key: str
    name: str  # the file's stem: what splits and reports show
    source: str  # the file it came from, relative to the library
    frames: int


@dataclass
class SongCache:
    """One library at one sample rate, as memory-mapped arrays."""

    folder: Path
    sample_rate: int
    songs: list[CachedSong]
    skipped: dict[str, str]  # library-relative file -> reason

    def samples(self, song: CachedSong) -> np.ndarray:
        """float16 [2, frames], memory-mapped: only what is read is loaded."""
        return np.load(self.folder / f"{song.key}.npy", mmap_mode="r")


def cache_folder(cache: Path, sample_rate: int) -> Path:
    return Path(cache) / f"{sample_rate}hz"


def preprocess(library: Path, cache: Path, sample_rate: int, progress: bool = True) -> SongCache:
    """Bring the cache up to date with the library; decode only new or changed files."""
    library = Path(library)
    if not library.is_dir():
        raise InvalidValueError(f"no library folder '{library}'")
    folder = cache_folder(cache, sample_rate)
    folder.mkdir(parents=True, exist_ok=True)
    before = _read_index(folder, sample_rate)
    songs: dict[str, dict] = {}
    skipped: dict[str, dict] = {}
    files = sorted(path for path in library.rglob("*") if is_clip(path) and path.is_file())
    for path in tqdm(files, desc="preprocessing", unit="song", disable=not progress):
        source = str(path.relative_to(library))
        key = _key(path)
        if key in before["songs"] and (folder / f"{key}.npy").is_file():
            songs[key] = before["songs"][key]
            continue
        if before["skipped"].get(source, {}).get("key") == key:
            skipped[source] = before["skipped"][source]
            continue
        try:
            samples = _decoded(path, sample_rate)
        except AudioError as error:
            skipped[source] = {"key": key, "reason": str(error)}
            continue
        with atomic_path(folder / f"{key}.npy") as temp, open(temp, "wb") as out:
            np.save(out, samples)
        songs[key] = {"name": path.stem, "source": source, "frames": samples.shape[1]}
    for stale in set(before["songs"]) - set(songs):
        (folder / f"{stale}.npy").unlink(missing_ok=True)
    index = {"sample_rate": sample_rate, "songs": songs, "skipped": skipped}
    with atomic_path(folder / INDEX) as temp:
        temp.write_text(json.dumps(index, indent=1), encoding="utf-8")
    return load_cache(cache, sample_rate)


def load_cache(cache: Path, sample_rate: int) -> SongCache:
    folder = cache_folder(cache, sample_rate)
    if not (folder / INDEX).is_file():
        raise InvalidValueError(
            f"no {sample_rate} Hz songs in cache '{cache}': run `segue preprocess LIBRARY "
            f"--cache {cache}` (with the same preset) first"
        )
    index = _read_index(folder, sample_rate)
    songs = [
        CachedSong(key, entry["name"], entry["source"], int(entry["frames"]))
        for key, entry in sorted(index["songs"].items(), key=lambda item: item[1]["source"])
    ]
    skipped = {source: entry["reason"] for source, entry in index["skipped"].items()}
    return SongCache(folder, sample_rate, songs, skipped)


def _decoded(path: Path, sample_rate: int) -> np.ndarray:
    audio = read_audio(path)
    samples = resample(to_stereo(audio.samples), audio.rate, sample_rate)
    loudness = loudness_db(samples, sample_rate)
    if not math.isfinite(loudness):
        raise AudioError(f"cannot use '{path}': it has no measurable loudness")
    gain = 10.0 ** ((TARGET_LUFS - loudness) / 20.0)
    gain = min(gain, PEAK_LIMIT / float(np.max(np.abs(samples))))
    return (samples * gain).astype(np.float16)


def _key(path: Path) -> str:
    """Changes when the file does: its path, size and modification time."""
    stat = path.stat()
    identity = f"{path.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}"
    return hashlib.sha256(identity.encode("utf-8", "surrogateescape")).hexdigest()[:20]


def _read_index(folder: Path, sample_rate: int) -> dict:
    try:
        index = json.loads((folder / INDEX).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"songs": {}, "skipped": {}}
    if not isinstance(index, dict) or index.get("sample_rate") != sample_rate:
        return {"songs": {}, "skipped": {}}
    return {"songs": index.get("songs", {}), "skipped": index.get("skipped", {})}


def default_cache(library: Path) -> Path:
    """Where the one-command `segue train LIBRARY` keeps its cache: the user's cache folder,
    never inside the music library itself."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    resolved = Path(library).resolve()
    digest = hashlib.sha256(str(resolved).encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return base / "segue" / f"{resolved.name}-{digest}"

"""Songs: what a song is (`SongSpec`), drawing one from a seed, rendering it, a library.

Why: this is what the rest of Segue uses, to test, to train, and for `segue demo`; the
styles, the band and the mixdown behind it are the generator's own business.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from segue.procedural.band import Band
from segue.procedural.seeds import S_FORM, S_LIBRARY, S_SPEC, U64, pick, rng
from segue.procedural.styles import STYLES, style_named

# The orders of sections a song can take after its 4-bar intro, repeated as long as needed.
_FORMS = (
    ("verse", "chorus"),
    ("verse", "verse", "chorus"),
    ("verse", "chorus", "break", "chorus"),
    ("verse", "chorus", "verse", "chorus", "break", "chorus"),
)


@dataclass(frozen=True)
class SongSpec:
    """What a song is: style, tempo, key and the seed that draws everything else.

    `progression` holds the chord roots as scale degrees (0 = tonic), one chord per bar,
    repeating; empty means "draw one for the style from the seed". Songs are in 4/4.
    """

    style: str
    bpm: float
    key: int
    minor: bool
    seed: int
    progression: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        style_named(self.style)
        if not 20.0 <= self.bpm <= 400.0:
            raise ValueError(f"bpm {self.bpm} outside 20..400")
        if not 0 <= self.key < 12:
            raise ValueError(f"key {self.key} is not a semitone 0..11")
        if any(not 0 <= d < 7 for d in self.progression):
            raise ValueError(f"progression {self.progression} must hold scale degrees 0..6")

    @property
    def beats_per_bar(self) -> int:
        """Every style is generated in 4/4; exposed so callers need not hard-code it."""
        return 4

    @property
    def beat_seconds(self) -> float:
        return 60.0 / self.bpm

    @property
    def bar_seconds(self) -> float:
        return self.beats_per_bar * 60.0 / self.bpm


def song_spec(seed: int, style: str | None = None, bpm: float | None = None) -> SongSpec:
    """Draw the style (if None), a tempo in the style's usual range (if None), key and mode."""
    generator = rng(seed, S_SPEC)
    drawn_style = pick(generator, STYLES)
    style = drawn_style if style is None else style
    cfg = style_named(style)
    drawn_bpm = float(round(generator.uniform(*cfg.tempo)))
    key = int(generator.integers(12))
    minor = bool(generator.random() < cfg.minor_odds)
    progression = pick(generator, cfg.progressions(minor))
    return SongSpec(
        style=style,
        bpm=drawn_bpm if bpm is None else float(bpm),
        key=key,
        minor=minor,
        seed=seed,
        progression=progression,
    )


def _form(spec: SongSpec, n_bars: int) -> list[tuple[str, int, int]]:
    """(section, bar within section, section number) for every bar: intro, then a form."""
    order = pick(rng(spec.seed, S_FORM), _FORMS)
    bars = [("intro", i, 0) for i in range(4)]
    k = 0
    while len(bars) < n_bars:
        k += 1
        bars += [(order[(k - 1) % len(order)], i, k) for i in range(8)]
    return bars[:n_bars]


def generate_song(spec: SongSpec, seconds: float, rate: int = 22050) -> np.ndarray:
    """Stereo float32 array shaped [2, round(seconds*rate)], peak <= 0.9, deterministic."""
    if seconds < 0:
        raise ValueError(f"seconds must be >= 0, got {seconds}")
    if rate < 8000:
        raise ValueError(f"rate {rate} is too low to hold the hats and cymbals")
    band = Band(spec, seconds, rate)
    if band.n == 0:
        return np.zeros((2, 0), dtype=np.float32)
    for bar, (section, index, number) in enumerate(_form(spec, band.n_bars)):
        band.play_bar(bar, section, index, number)
    return band.mix()


def _bpm_label(bpm: float) -> str:
    return f"{round(bpm)}" if abs(bpm - round(bpm)) < 1e-6 else f"{bpm:.1f}"


def write_library(
    directory: Path, songs: int, seed: int = 0, seconds: float = 60.0, rate: int = 22050
) -> list[Path]:
    """Write `songs` FLAC songs cycling through STYLES, each spec seeded from (seed, index)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(songs):
        style = STYLES[index % len(STYLES)]
        song_seed = int(
            np.random.SeedSequence([seed % U64, S_LIBRARY, index]).generate_state(1, np.uint64)[0]
        )
        spec = song_spec(song_seed, style=style)
        audio = generate_song(spec, seconds, rate)
        path = directory / f"{index:03d}-{style}-{_bpm_label(spec.bpm)}bpm.flac"
        sf.write(path, audio.T, rate, format="FLAC", subtype="PCM_16")
        paths.append(path)
    return paths

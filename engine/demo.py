"""`segue demo`: a procedural clip continued, and what a person hears and sees of it written to a
folder: the clip, each continuation alone and joined to the clip, and a picture of each."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from segue.procedural import SongSpec, generate_song, song_spec

from .audio import Audio, write_audio
from .continuation import continue_clip
from .errors import InvalidValueError
from .modelfile import LoadedModel
from .plots import plot_continuation
from .requests import ContinueSettings


def write_demo(
    directory: Path,
    loaded: LoadedModel,
    settings: ContinueSettings,
    style: str | None,
    clip_seconds: float,
    rate: int,
) -> SongSpec:
    """A song of `style` (drawn from the request's seed when not given), `clip_seconds` of it
    at `rate`, continued as `segue continue` would; returns what the song was."""
    seed = settings.seed
    try:  # the generator refuses a style, a length or a rate it cannot make in a ValueError
        spec = song_spec(seed if seed is not None else 0, style=style)
        clip = generate_song(spec, clip_seconds, rate)
    except ValueError as error:
        raise InvalidValueError(str(error)) from None
    directory.mkdir(parents=True, exist_ok=True)
    continuations = continue_clip(loaded, Audio(clip, rate), settings)
    write_audio(directory / "input.wav", clip, rate)
    for index, continuation in enumerate(continuations, start=1):
        suffix = "" if index == 1 else f".v{index}"
        write_audio(directory / f"continuation{suffix}.wav", continuation, rate)
        joined = np.concatenate([clip, continuation], 1)
        write_audio(directory / f"joined{suffix}.wav", joined, rate)
        plot_continuation(
            clip,
            continuation,
            rate,
            directory / f"continuation{suffix}.png",
            title=f"{spec.style} at {spec.bpm:.0f} bpm, continued by '{loaded.path.stem}'",
        )
    return spec

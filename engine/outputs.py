"""Where a continuation may be written: checked before the model runs, and again at the write.

Segue replaces a file only when it wrote that file itself (an earlier continuation of the same
name carries `CONTINUATION_MARK` in its comment tag) or when it is told to (`overwrite`): no
request, sidecar or command line makes it replace someone's own file. Everything that would
fail at the write (a missing or read-only folder, a name too long) is refused up front, in
words, instead of after a whole continuation.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import soundfile as sf

from .atomic import TEMP_NAME_OVERHEAD
from .audio import WRITE_SUFFIXES
from .errors import InvalidValueError
from .reasons import quoted_path

CONTINUATION_MARK = "Segue continuation"  # the comment tag of every continuation Segue writes


class OutputError(InvalidValueError):
    """An output that cannot or may not be written; one line naming it."""


def output_paths(input_path: Path, output: Path | None, variations: int) -> list[Path]:
    """`<out>`, `<out stem>.v2<suffix>`, ...; without an output, `<input>.continuation.wav`."""
    first = output or input_path.with_name(f"{input_path.stem}.continuation.wav")
    if first.suffix.lower() not in WRITE_SUFFIXES:
        raise OutputError(f"cannot write {quoted_path(first)}: name it .wav, .flac, .mp3 or .ogg")
    paths = [first] + [
        first.with_name(f"{first.stem}.v{k}{first.suffix}") for k in range(2, variations + 1)
    ]
    source = input_path.resolve()
    for path in paths:
        if path.resolve() == source:
            raise OutputError(f"refusing to overwrite the input clip {quoted_path(input_path)}")
    return paths


def checked_outputs(
    input_path: Path, output: Path | None, variations: int, overwrite: bool = False
) -> list[Path]:
    """`output_paths`, each one checked: what every way of asking for a continuation calls."""
    paths = output_paths(input_path, output, variations)
    for path in paths:
        check_output(path, overwrite)
    return paths


def check_output(path: Path, overwrite: bool = False) -> None:
    """Raise OutputError unless `path` can be written, and may be replaced if it exists."""

    def refuse(reason: str) -> OutputError:
        return OutputError(f"cannot write {quoted_path(path)}: {reason}")

    folder = path.parent
    try:
        folder_mode = os.stat(folder).st_mode
    except FileNotFoundError:
        raise refuse(f"its folder {quoted_path(folder)} does not exist") from None
    except (OSError, ValueError) as error:  # ValueError: a NUL byte in the path
        raise refuse(f"its folder {quoted_path(folder)}: {_reason(error)}") from None
    if not stat.S_ISDIR(folder_mode):
        raise refuse(f"{quoted_path(folder)} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise refuse(f"the folder {quoted_path(folder)} is not writable")
    name_max = _limit(folder, "PC_NAME_MAX", 255) - TEMP_NAME_OVERHEAD
    if len(os.fsencode(path.name)) > name_max:
        raise refuse(f"the name is longer than {name_max} bytes")
    if len(os.fsencode(path)) >= _limit(folder, "PC_PATH_MAX", 4096):
        raise refuse("the path is too long")
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as error:
        raise refuse(_reason(error)) from None
    if stat.S_ISDIR(mode):
        raise refuse("it is a folder")
    if not overwrite and not (stat.S_ISREG(mode) and written_by_segue(path)):
        raise refuse(
            "it exists and Segue did not write it; choose another name, or ask to overwrite it"
        )


def written_by_segue(path: Path) -> bool:
    """Whether `path` is a continuation Segue wrote (its comment tag says so)."""
    try:
        with sf.SoundFile(path) as audio:
            return audio.comment.startswith(CONTINUATION_MARK)
    except (sf.LibsndfileError, RuntimeError, OSError, TypeError):
        return False


def _limit(folder: Path, name: str, default: int) -> int:
    try:
        return os.pathconf(folder, name)
    except (OSError, ValueError, AttributeError):  # no pathconf (Windows), or no limit told
        return default


def _reason(error: BaseException) -> str:
    return (error.strerror if isinstance(error, OSError) else None) or str(error)

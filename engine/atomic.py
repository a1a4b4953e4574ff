"""Atomic file writes: a reader (a DAW, a watch folder, a crash) never sees half a file."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a hidden temporary path beside `path` (`.<name>.<random>.part`, which watchers
    skip) for the caller to write; on success it is fsynced, given the permissions of the
    file it replaces, and renamed onto `path` in one step; on any failure it is removed and
    an existing `path` is left as it was."""
    path = Path(path)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.part")
    try:
        yield temp
        with open(temp, "rb+") as written:
            os.fsync(written.fileno())
        _keep_mode(path, temp)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    _fsync_folder(path.parent)


def _keep_mode(target: Path, temp: Path) -> None:
    """Give the replacement the permissions of the file it replaces."""
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        return
    with contextlib.suppress(OSError):
        os.chmod(temp, mode)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable where the OS allows (not on Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)

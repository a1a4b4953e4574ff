"""Atomic file writes: a reader (a DAW, a watch folder, a crash) never sees half a file."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def temp_name(path: Path) -> Path:
    """The hidden temporary file a write to `path` goes through."""
    return path.with_name(f".{path.name}.{secrets.token_hex(6)}.part")


TEMP_NAME_OVERHEAD = len(temp_name(Path("x")).name) - 1  # bytes a temp name adds to a name


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a hidden temporary path beside `path` (`.<name>.<random>.part`, which watchers
    skip) for the caller to write; on success it is fsynced, given the permissions of the
    file it replaces, and renamed onto `path` in one step; on any failure it is removed and
    an existing `path` is left as it was."""
    path = Path(path)
    temp = temp_name(path)
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
    """Give the replacement the permissions of the file it replaces, and a new file those of
    any file its owner makes (0666 less the umask): writers that go through a private temp
    file of their own (safetensors, numpy) leave it 0600, a model nobody else could read."""
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        mode = 0o666 & ~_UMASK
    with contextlib.suppress(OSError):
        os.chmod(temp, mode)


def _read_umask() -> int:
    """Read once, at import: reading it means setting it, and threads may be creating files."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()


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

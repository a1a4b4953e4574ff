"""The watch folder: a clip dropped into `inbox/` comes back as a continuation in `outbox/`.

    inbox/   the DAW drops clips here (optionally with `<name>.json`: bars, bpm, variations, ...)
    outbox/  `<name>.continuation.wav` (+ `.v2`, `.v3`, ... for variations), written atomically
    done/    each clip, once continued (never overwritten: a name taken gets `-2`, `-3`, ...)
    failed/  clips that could not be continued, each with `<name>.error.txt` saying why

A clip is read only once its writer is done: Linux reports the writer closing the file (a clip
still open for writing waits for that, or for some seconds without a write: a slow export pauses);
elsewhere a file is done when its size and time have not changed for a moment. A clip
that fails while it might still be growing is retried once it has been quiet for longer. Clips
stay in `inbox/` until they are finished, so a crash or restart loses nothing: on start the
folder is scanned again. A clip during which the engine stopped twice is moved to `failed/`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from .atomic import atomic_path
from .audio import WRITE_SUFFIXES, is_clip
from .jobs import BusyError, Job
from .requests import ContinueSettings, continue_settings

log = logging.getLogger("segue.serve")

SETTLE_SECONDS = 0.5  # unchanged this long: the writer is done (when no close was reported)
OPEN_WRITER_SECONDS = 5.0  # where closes are reported: a clip still open and unchanged this long
REPORTS_CLOSE = sys.platform.startswith("linux")  # watchdog's inotify observer reports closes
CLOSED_SETTLE_SECONDS = 0.05  # after the writer closed the file
RETRY_QUIET_SECONDS = 2.0  # a clip that failed is retried until it has been quiet this long
RESCAN_SECONDS = 2.0  # a full look at inbox/ in case the OS dropped an event
SUBMIT_WAIT_SECONDS = 0.5  # how long one try to queue a clip waits when the queue is full
MAX_ATTEMPTS = 2  # times the engine may stop in the middle of one clip before it is failed
JOURNAL = ".segue-journal.json"  # clip name -> jobs started on it and not finished

ContinueInto = Callable[[Path, Path, ContinueSettings, Callable[[float], None]], list[Path]]
Submit = Callable[[Job, float], None]


def make_watch_folders(root: Path) -> tuple[Path, Path, Path, Path]:
    """inbox/, outbox/, done/ and failed/ under ROOT, made where missing; a reason if not."""
    folders = tuple(root / name for name in ("inbox", "outbox", "done", "failed"))
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ValueError(f"cannot use {folder} as a watch folder: {error.strerror}") from None
    return folders


@dataclass
class _Candidate:
    signature: tuple
    quiet_since: float
    closed: bool = False
    writing: bool = False  # a writer has it open, as far as the events tell
    quiet_needed: float = SETTLE_SECONDS


class WatchFolder:
    def __init__(self, root: Path, continue_into: ContinueInto, submit: Submit) -> None:
        self.root = Path(root)
        self.inbox, self.outbox, self.done, self.failed = make_watch_folders(self.root)
        self._continue_into = continue_into
        self._submit = submit
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._candidates: dict[Path, _Candidate] = {}
        self._claimed: set[Path] = set()  # queued or running: never taken twice
        self._retry: set[Path] = set()  # failed once while perhaps still growing
        self._stuck: dict[Path, tuple] = {}  # finished but could not be moved out of inbox/
        self._observer = Observer()
        self._observer.schedule(_Events(self), str(self.inbox), recursive=False)
        self._thread = threading.Thread(target=self._watch, name="segue-watch", daemon=True)

    def start(self) -> None:
        for temp in self.outbox.glob(".*.part"):  # left by an engine that was killed mid-write
            temp.unlink(missing_ok=True)
        self._fail_clips_that_stopped_the_engine()
        self._observer.start()
        self._scan()
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        self._observer.stop()
        self._observer.join()
        self._thread.join()

    def counts(self) -> dict[str, int]:
        return {
            name: sum(1 for path in folder.iterdir() if is_clip(path))
            for name, folder in (
                ("inbox", self.inbox),
                ("outbox", self.outbox),
                ("done", self.done),
                ("failed", self.failed),
            )
        }

    # --- noticing clips -------------------------------------------------------------------

    def notice(self, path: Path, closed: bool, writing: bool = False) -> None:
        """A clip in inbox/ was written (closed: its writer closed it, or it was renamed in;
        writing: a writer has it open, as far as the events tell)."""
        if path.parent != self.inbox or not is_clip(path):
            return
        with self._lock:
            if path in self._claimed:
                return
            candidate = self._candidates.get(path)
            if candidate is None:
                candidate = self._candidates[path] = _Candidate((), time.monotonic())
                if path in self._retry:
                    candidate.quiet_needed = RETRY_QUIET_SECONDS
            candidate.closed, candidate.writing = closed, writing
        self._wake.set()

    def _scan(self) -> None:
        for path in sorted(self.inbox.iterdir()):
            with self._lock:
                known = path in self._candidates or path in self._claimed
            if not known:
                self.notice(path, closed=False)

    def _watch(self) -> None:
        last_scan = time.monotonic()
        while not self._stopping.is_set():
            self._wake.wait(0.05 if self._candidates else RESCAN_SECONDS)
            self._wake.clear()
            if time.monotonic() - last_scan >= RESCAN_SECONDS:
                self._scan()
                last_scan = time.monotonic()
            for path in self._ready():
                self._queue(path)

    def _ready(self) -> list[Path]:
        now, ready = time.monotonic(), []
        with self._lock:
            for path, candidate in list(self._candidates.items()):
                signature = self._signature(path)
                if signature is None or self._stuck.get(path) == signature:
                    del self._candidates[path]
                elif signature != candidate.signature:
                    candidate.signature, candidate.quiet_since = signature, now
                else:
                    needed = candidate.quiet_needed
                    if candidate.closed and path not in self._retry:
                        needed = CLOSED_SETTLE_SECONDS
                    elif candidate.writing and REPORTS_CLOSE:
                        needed = max(needed, OPEN_WRITER_SECONDS)
                    if now - candidate.quiet_since >= needed:
                        del self._candidates[path]
                        self._claimed.add(path)
                        ready.append((candidate.quiet_since, path))
        return [path for _, path in sorted(ready)]

    def _signature(self, clip: Path) -> tuple | None:
        """What changes while a clip or its sidecar is still being written; None: it is gone."""
        try:
            stats = [clip.stat()]
        except OSError:
            return None
        with contextlib.suppress(OSError):
            stats.append(_sidecar(clip).stat())
        return tuple((s.st_size, s.st_mtime_ns) for s in stats)

    def _queue(self, clip: Path) -> None:
        job = self._job(clip)
        while not self._stopping.is_set():
            try:
                self._submit(job, SUBMIT_WAIT_SECONDS)
                return
            except BusyError:  # the queue is full: the clip waits its turn
                continue
        self._release(clip)

    # --- one clip's job -------------------------------------------------------------------

    def _job(self, clip: Path) -> Job:
        def run(progress: Callable[[float], None]) -> str:
            self._journal_add(clip)
            settings = _read_sidecar(clip)
            name = Path(settings.output).name if settings.output else f"{clip.stem}.continuation"
            if Path(name).suffix.lower() not in WRITE_SUFFIXES:
                name += ".wav"
            outputs = self._continue_into(clip, self.outbox / name, settings, progress)
            kept = self._move_out(clip, self.done)
            self._finish(clip)
            return f"{clip.name} -> {', '.join(path.name for path in outputs)} (clip in {kept})"

        def failed(reason: str) -> None:
            if not job.cancelled and self._may_still_be_growing(clip):
                log.info(
                    "%s: will try again once it has been quiet for %g s",
                    clip.name,
                    RETRY_QUIET_SECONDS,
                )
                with self._lock:
                    self._retry.add(clip)
                self._release(clip)
                self.notice(clip, closed=False)
                return
            self._fail(clip, reason)
            self._finish(clip)

        job = Job(
            id=f"inbox/{clip.name}",
            origin="watch folder",
            run=run,
            failed=failed,
            abandoned=lambda: self._release(clip),
        )
        return job

    def _may_still_be_growing(self, clip: Path) -> bool:
        """A first failure may be a writer that paused longer than the settle time: such a
        clip gets one more try once it has been quiet for longer; a second failure is final."""
        with self._lock:
            return clip not in self._retry and clip.exists()

    def _fail(self, clip: Path, reason: str) -> None:
        if not clip.exists():
            log.warning("%s: failed (%s) and is gone from inbox/", clip.name, reason)
            return
        kept = self._move_out(clip, self.failed)
        with atomic_path(kept.with_name(f"{kept.stem}.error.txt")) as temp:
            temp.write_text(f"{clip.name}: {reason}\n", encoding="utf-8")

    def _move_out(self, clip: Path, folder: Path) -> Path:
        """Move the clip (and its sidecar) to `folder` under a name not yet taken there."""
        target = folder / clip.name
        number = 2
        while target.exists() or target.with_suffix(".json").exists():
            target = folder / f"{clip.stem}-{number}{clip.suffix}"
            number += 1
        sidecar = _sidecar(clip)
        try:
            _move(clip, target)
            if sidecar.exists():
                _move(sidecar, target.with_suffix(".json"))
        except OSError as error:
            signature = self._signature(clip)
            if signature is not None:
                with self._lock:
                    self._stuck[clip] = signature
            raise OSError(f"could not move {clip.name} out of inbox/: {error}") from None
        return target

    def _finish(self, clip: Path) -> None:
        self._journal_remove(clip)
        with self._lock:
            self._retry.discard(clip)
        self._release(clip)

    def _release(self, clip: Path) -> None:
        with self._lock:
            self._claimed.discard(clip)

    # --- the crash journal ----------------------------------------------------------------

    def _fail_clips_that_stopped_the_engine(self) -> None:
        for name, attempts in self._journal().items():
            clip = self.inbox / name
            if attempts >= MAX_ATTEMPTS and clip.exists():
                self._fail(clip, f"the engine stopped {attempts} times while continuing it")
                self._journal_remove(clip)

    def _journal(self) -> dict[str, int]:
        try:
            entries = json.loads((self.root / JOURNAL).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {str(k): int(v) for k, v in entries.items()} if isinstance(entries, dict) else {}

    def _write_journal(self, entries: dict[str, int]) -> None:
        with atomic_path(self.root / JOURNAL) as temp:
            temp.write_text(json.dumps(entries), encoding="utf-8")

    def _journal_add(self, clip: Path) -> None:
        entries = self._journal()
        entries[clip.name] = entries.get(clip.name, 0) + 1
        self._write_journal(entries)

    def _journal_remove(self, clip: Path) -> None:
        entries = self._journal()
        if entries.pop(clip.name, None) is not None:
            self._write_journal(entries)


def _move(source: Path, target: Path) -> None:
    """Link, then unlink: the clip is always in one folder or both, never in none. A rename out
    of inbox/ would do the same, but inotify reports it as a "moved from" that watchdog holds
    back for half a second (to pair it with a "moved to"), and every later event of inbox/,
    the next clip's arrival among them, waits behind it."""
    try:
        os.link(source, target)
    except OSError:  # no hard links here (another file system, FAT): a plain move
        shutil.move(source, target)
        return
    source.unlink()


def _sidecar(clip: Path) -> Path:
    return clip.with_suffix(".json")


def _read_sidecar(clip: Path) -> ContinueSettings:
    sidecar = _sidecar(clip)
    if not sidecar.exists():
        return continue_settings({})
    try:
        options = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ValueError(f"its sidecar {sidecar.name} is not readable JSON ({error})") from None
    if not isinstance(options, dict):
        raise ValueError(f"its sidecar {sidecar.name} must hold a JSON object")
    try:
        return continue_settings(options)
    except ValueError as error:
        raise ValueError(f"its sidecar {sidecar.name}: {error}") from None


class _Events(FileSystemEventHandler):
    """watchdog's thread: only tells the watch folder which clip was touched, and how."""

    def __init__(self, folder: WatchFolder) -> None:
        self._folder = folder

    def on_created(self, event: FileSystemEvent) -> None:
        self._notice(event.src_path, closed=False, writing=True)

    def on_modified(self, event: FileSystemEvent) -> None:
        self._notice(event.src_path, closed=False, writing=True)

    def on_closed(self, event: FileSystemEvent) -> None:
        self._notice(event.src_path, closed=True)

    def on_moved(self, event: FileSystemEvent) -> None:
        self._notice(event.dest_path, closed=True)  # renamed into inbox/: complete at once

    def _notice(self, path: str | bytes, closed: bool, writing: bool = False) -> None:
        self._folder.notice(Path(os.fsdecode(path)), closed, writing)

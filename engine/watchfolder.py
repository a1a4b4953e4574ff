"""The watch folder: a clip dropped into `inbox/` comes back as a continuation in `outbox/`.

    inbox/   the DAW drops clips here (optionally with a sidecar: bars, bpm, variations, ...)
    outbox/  `<stem>.continuation.wav` (+ `.v2`, `.v3`, ... for variations), written atomically
    done/    each clip, once continued
    failed/  clips that could not be continued, each with `<stem>.error.txt` saying why

Nothing is ever replaced: a name taken in outbox/ (by an earlier output, or by the one a queued
or running clip will write) gets `-2`, `-3`, ... on its stem, and so does a clip whose name, or
its sidecar's or error note's, is taken in done/ or failed/. A sidecar `<name>.json`
(`take.wav.json`) is for that clip alone; `<stem>.json` is for every clip of that stem.

A clip is read only once its writer is done: Linux reports the writer closing the file (a clip
opened or written and not closed waits for that, or for some seconds without a write: a slow
export pauses); elsewhere a file is done when its size and time have not changed for a moment.
A clip renamed into inbox/ is complete at once. A clip whose audio or sidecar did not read, and
that was not renamed in (a writer may close a clip and open it again to append), is watched a
little longer: it is tried again only if it changed since it was read, else it fails with that
reason (the same bytes would fail the same way); any other reason is final at once.
Clips stay in `inbox/` until they are finished, so a crash or restart loses nothing: on start
the folder is scanned again, and the journal tells which clip's outputs were already delivered
(it goes to done/) and which clip the engine stopped in twice (failed/).
One engine watches a folder at a time: it holds `DIR/.segue-lock`.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import shutil
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

from .atomic import atomic_path
from .audio import WRITE_SUFFIXES, AudioError, is_clip
from .errors import InvalidValueError
from .jobs import BusyError, Job
from .outputs import output_paths
from .reasons import one_line, quoted
from .requests import ContinueSettings, continue_settings

log = logging.getLogger("segue.serve")

SETTLE_SECONDS = 0.5  # unchanged this long: the writer is done (when no close was reported)
OPEN_WRITER_SECONDS = 5.0  # where closes are reported: a clip opened or written, and unchanged
REPORTS_CLOSE = sys.platform.startswith("linux")  # inotify: opens, closes and renames from afar
CLOSED_SETTLE_SECONDS = 0.05  # after the writer closed the file
RETRY_QUIET_SECONDS = 2.0  # a clip that failed is retried until it has been quiet this long
RESCAN_SECONDS = 2.0  # a full look at inbox/ in case the OS dropped an event
SUBMIT_WAIT_SECONDS = 0.5  # how long one try to queue a clip waits when the queue is full
MAX_ATTEMPTS = 2  # times the engine may stop in the middle of one clip before it is failed
JOURNAL = ".segue-journal.json"  # clip name -> jobs started on it and not finished, outputs
LOCK = ".segue-lock"  # held by the one engine that watches the folder
MAX_SIDECAR_BYTES = 16 * 2**20  # a sidecar is a few keys; more is not read into memory

ContinueInto = Callable[[Path, Path, ContinueSettings, Callable[[float], None]], list[Path]]
Submit = Callable[[Job, float], None]

_held: dict[Path, FileLock] = {}  # the watch folders this process holds


def make_watch_folders(root: Path) -> tuple[Path, Path, Path, Path]:
    """inbox/, outbox/, done/ and failed/ under ROOT, made where missing; a reason if not."""
    folders = tuple(root / name for name in ("inbox", "outbox", "done", "failed"))
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise InvalidValueError(
                f"cannot use {folder} as a watch folder: {error.strerror}"
            ) from None
    return folders


def hold_watch_folder(root: Path) -> FileLock:
    """Lock ROOT (made already) for this process until its WatchFolder stops; a reason if another
    engine holds it: two engines on one folder take each other's clips and `.part` files.
    Called again in the same process, it returns the lock already held."""
    key = Path(root).resolve()
    if key not in _held:
        lock = FileLock(key / LOCK, blocking=False, thread_local=False)
        try:
            lock.acquire()
        except Timeout:
            raise InvalidValueError(f"another segue serve is watching {root}") from None
        except OSError as error:
            reason = error.strerror or error
            raise InvalidValueError(f"cannot lock {root} as a watch folder: {reason}") from None
        _held[key] = lock
    return _held[key]


def _let_go(root: Path) -> None:
    lock = _held.pop(Path(root).resolve(), None)
    if lock is not None:
        lock.release()


@dataclass
class _Candidate:
    signature: tuple
    quiet_since: float
    closed: bool = False  # its writer closed it, or it was renamed in
    writing: bool = False  # a writer has it open, as far as the events tell
    renamed: bool = False  # renamed in, and not touched since: complete (a writer that closed
    # it may open it again to append, as some exports do)
    quiet_needed: float = SETTLE_SECONDS


class WatchFolder:
    def __init__(self, root: Path, continue_into: ContinueInto, submit: Submit) -> None:
        self.root = Path(root)
        self.inbox, self.outbox, self.done, self.failed = make_watch_folders(self.root)
        hold_watch_folder(self.root)
        self._continue_into = continue_into
        self._submit = submit
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._candidates: dict[Path, _Candidate] = {}
        self._claimed: set[Path] = set()  # queued or running: never taken twice
        self._retry: dict[Path, _Failure] = {}  # failed once while perhaps still growing
        self._moving = threading.RLock()  # one move out of inbox/ at a time: names stay free
        self._stuck: dict[Path, tuple] = {}  # finished but could not be moved out of inbox/
        self._observer = _observer()
        self._observer.schedule(_Events(self), str(self.inbox), recursive=False)
        self._thread = threading.Thread(target=self._watch, name="segue-watch", daemon=True)

    def start(self) -> None:
        for temp in self.outbox.glob(".*.part"):  # left by an engine that was killed mid-write
            temp.unlink(missing_ok=True)
        self._recover()
        self._observer.start()
        self._scan()
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        self._observer.stop()
        self._observer.join()
        self._thread.join()
        _let_go(self.root)

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

    def notice(
        self, path: Path, closed: bool, writing: bool = False, renamed: bool = False
    ) -> None:
        """A clip in inbox/ was written (closed: its writer closed it, or it was renamed in;
        writing: a writer has it open, as far as the events tell; renamed: it was renamed in)."""
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
            candidate.closed, candidate.writing, candidate.renamed = closed, writing, renamed
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
            for path, complete in self._ready():
                if self._unchanged_since_it_failed(path):
                    self._give_up(path)
                else:
                    self._queue(path, complete)

    def _ready(self) -> list[tuple[Path, bool]]:
        """The clips to take now, oldest first, each with whether it was known complete."""
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
                        ready.append((candidate.quiet_since, path, candidate.renamed))
        return [(path, complete) for _, path, complete in sorted(ready)]

    def _unchanged_since_it_failed(self, clip: Path) -> bool:
        with self._lock:
            failure = self._retry.get(clip)
        return failure is not None and self._signature(clip) == failure.signature

    def _give_up(self, clip: Path) -> None:
        """A clip that failed to read and has not changed since: it was complete, and bad.
        (Its journal entry went when it failed: the journal stays the model thread's.)"""
        with self._lock:
            reason = self._retry.pop(clip).reason
        log.info("%s: unchanged since it failed: %s", quoted(clip.name), reason)
        try:
            self._fail(clip, reason)
        except OSError as error:
            log.warning("%s", one_line(str(error)))
        self._release(clip)

    def _signature(self, clip: Path) -> tuple | None:
        """What changes while a clip or its sidecar is still being written; None: it is gone.
        A link to nothing has its own: it is taken, and failed, like any other bad clip."""
        try:
            stats = [_stat(clip)]
        except OSError:
            return None
        with contextlib.suppress(OSError):
            stats.append(_sidecar(clip).stat())
        return tuple((s.st_size, s.st_mtime_ns) for s in stats)

    def _queue(self, clip: Path, complete: bool) -> None:
        job = self._job(clip, complete)
        while not self._stopping.is_set():
            try:
                self._submit(job, SUBMIT_WAIT_SECONDS)
                return
            except BusyError:  # the queue is full: the clip waits its turn
                continue
        self._release(clip)

    # --- one clip's job -------------------------------------------------------------------

    def _job(self, clip: Path, complete: bool) -> Job:
        read_as: tuple | None = None  # the clip's and its sidecar's signature when it was read

        def run(progress: Callable[[float], None]) -> str:
            nonlocal read_as
            read_as = self._signature(clip)
            if clip.is_symlink() and not clip.exists():
                raise InvalidValueError(
                    "it is a link to nothing (its target is gone, or links loop)"
                )
            settings = _read_sidecar(clip)
            outputs = self._plan(clip, settings)
            self._journal_add(clip, outputs)
            written = self._continue_into(clip, outputs[0], settings, progress)
            kept = self._move_out(clip, self.done)
            self._finish(clip)
            return f"{clip.name} -> {', '.join(path.name for path in written)} (clip in {kept})"

        def failed(reason: str) -> None:
            if not job.cancelled and self._may_still_be_growing(clip, complete, job.error):
                log.info(
                    "%s: will try again if it changes before %g s pass without a change",
                    quoted(clip.name),
                    RETRY_QUIET_SECONDS,
                )
                self._journal_remove(clip.name)
                with self._lock:
                    self._retry[clip] = _Failure(read_as, reason)
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

    def _plan(self, clip: Path, settings: ContinueSettings) -> list[Path]:
        """The outputs' paths: `<stem>.continuation.wav` or the sidecar's `output`, with `-2`,
        `-3`, ... on the stem while any of them is taken in outbox/, which never replaces a file.
        One clip runs at a time, so no other clip's planned output is unwritten meanwhile."""
        if not settings.output:
            stem, suffix = clip.stem, ".continuation.wav"
        else:
            name = Path(settings.output).name
            known = Path(name).suffix.lower() in WRITE_SUFFIXES
            stem, suffix = (Path(name).stem, Path(name).suffix) if known else (name, ".wav")
        plans = (
            output_paths(clip, self.outbox / f"{numbered}{suffix}", settings.variations)
            for numbered in _numbered(stem)
        )
        return next(paths for paths in plans if not any(map(os.path.lexists, paths)))

    def _may_still_be_growing(
        self, clip: Path, complete: bool, error: BaseException | None
    ) -> bool:
        """A clip read before its writer was done fails to read (its audio, or its sidecar's
        JSON): one not known complete (renamed in) gets one more try once it has been quiet for
        longer, if it changes. Any other reason, and a second failure, is final."""
        if complete or not isinstance(error, (AudioError, _SidecarJSONError)):
            return False
        with self._lock:
            return clip not in self._retry and clip.exists()

    def _fail(self, clip: Path, reason: str) -> None:
        if not os.path.lexists(clip):
            log.warning(
                "%s: failed (%s) and is gone from inbox/", quoted(clip.name), one_line(reason)
            )
            return
        with self._moving:  # the note's name is free until it is written
            kept = self._move_out(clip, self.failed)
            with atomic_path(kept.with_name(f"{kept.stem}.error.txt")) as temp:
                temp.write_text(one_line(f"{clip.name}: {reason}") + "\n", encoding="utf-8")

    def _move_out(self, clip: Path, folder: Path) -> Path:
        """Move the clip (and its sidecar) to `folder` under a name not yet taken there."""
        with self._moving:
            return self._move_out_now(clip, folder)

    def _move_out_now(self, clip: Path, folder: Path) -> Path:
        target = _free_name(folder, clip)
        sidecar = _sidecar(clip)
        try:
            _move(clip, target)
            if os.path.lexists(sidecar):
                self._take_sidecar(clip, sidecar, target.with_suffix(".json"))
        except OSError as error:
            signature = self._signature(clip)
            if signature is not None:
                with self._lock:
                    self._stuck[clip] = signature
            raise OSError(f"could not move {quoted(clip.name)} out of inbox/: {error}") from None
        return target

    def _take_sidecar(self, clip: Path, sidecar: Path, beside: Path) -> None:
        """Move the sidecar beside the clip; copy it while another clip in inbox/ uses it too
        (a plain file only: a link could lead to /dev/zero; it leaves with the last clip)."""
        if not any(
            other != clip and is_clip(other) and _sidecar(other) == sidecar
            for other in self.inbox.iterdir()
        ):
            _move(sidecar, beside)
        elif stat.S_ISREG(os.lstat(sidecar).st_mode):
            with atomic_path(beside) as temp:
                shutil.copyfile(sidecar, temp)

    def _finish(self, clip: Path) -> None:
        self._journal_remove(clip.name)
        with self._lock:
            self._retry.pop(clip, None)
        self._release(clip)

    def _release(self, clip: Path) -> None:
        with self._lock:
            self._claimed.discard(clip)

    # --- the crash journal ----------------------------------------------------------------

    def _recover(self) -> None:
        """What the engine that stopped before left in its journal: a clip whose outputs were
        all delivered goes to done/ (its continuation is not made again), a clip during which
        the engine stopped twice goes to failed/, and an entry whose clip is gone is dropped."""
        for name, (attempts, outputs) in self._journal().items():
            clip = self.inbox / name
            try:
                if os.path.lexists(clip):
                    if outputs and all((self.outbox / output).exists() for output in outputs):
                        kept = self._move_out(clip, self.done)
                        log.info("%s: delivered before the engine stopped (%s)", quoted(name), kept)
                    elif attempts >= MAX_ATTEMPTS:
                        self._fail(clip, f"the engine stopped {attempts} times while continuing it")
                    else:
                        continue  # tried again; its next job counts on from `attempts`
            except OSError as error:
                log.warning("%s", one_line(str(error)))
                continue
            self._journal_remove(name)

    def _journal(self) -> dict[str, tuple[int, list[str]]]:
        """Clip name -> (jobs started on it and not finished, the outputs they were to write)."""
        try:
            entries = json.loads((self.root / JOURNAL).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(entries, dict):
            return {}
        return {
            name: _journal_entry(entry)
            for name, entry in entries.items()
            if name and Path(name).name == name  # a plain name in inbox/, never a path
        }

    def _write_journal(self, entries: dict[str, tuple[int, list[str]]]) -> None:
        text = json.dumps(
            {name: {"attempts": a, "outputs": outputs} for name, (a, outputs) in entries.items()}
        )
        with atomic_path(self.root / JOURNAL) as temp:
            temp.write_text(text, encoding="utf-8")

    def _journal_add(self, clip: Path, outputs: list[Path]) -> None:
        """Written before the model runs: a crash after the outputs' rename is not a reason to
        make them again."""
        entries = self._journal()
        attempts = entries.get(clip.name, (0, []))[0]
        entries[clip.name] = (attempts + 1, [path.name for path in outputs])
        self._write_journal(entries)

    def _journal_remove(self, name: str) -> None:
        entries = self._journal()
        if entries.pop(name, None) is not None:
            self._write_journal(entries)


def _journal_entry(entry: object) -> tuple[int, list[str]]:
    """One entry as written (`{"attempts": 1, "outputs": [...]}`), or an older engine's count."""
    if not isinstance(entry, dict):
        entry = {"attempts": entry}
    attempts, outputs = entry.get("attempts"), entry.get("outputs")
    return (
        attempts if isinstance(attempts, int) else 1,
        [name for name in outputs if isinstance(name, str) and Path(name).name == name]
        if isinstance(outputs, list)
        else [],
    )


def _observer() -> BaseObserver:
    """On Linux, a clip renamed in from another folder is reported as moved in (complete), not
    as created, which looks like a writer that is only starting."""
    if REPORTS_CLOSE:
        from watchdog.observers.inotify import InotifyObserver

        return InotifyObserver(generate_full_events=True)
    return Observer()


def _move(source: Path, target: Path) -> None:
    """Link, then unlink: the clip is always in one folder or both, never in none. A rename out
    of inbox/ would do the same, but inotify reports it as a "moved from" that watchdog holds
    back for half a second (to pair it with a "moved to"), and every later event of inbox/,
    the next clip's arrival among them, waits behind it. A link is moved as the link."""
    try:
        os.link(source, target, follow_symlinks=False)
    except FileExistsError:
        raise  # the name was taken meanwhile, by someone else: never replaced
    except OSError:  # no hard links here (another file system, FAT): a plain move
        if os.path.lexists(target):
            raise FileExistsError(f"{target.name} exists in {target.parent.name}/") from None
        shutil.move(source, target)
        return
    source.unlink()


def _free_name(folder: Path, clip: Path) -> Path:
    """`clip`'s name in `folder`, or `<stem>-2`, `-3`, ... where that name, or the sidecar or
    error note that would go with it, is taken there: nothing there is ever replaced."""
    endings = (clip.suffix, ".json", ".error.txt")
    stem = next(
        stem
        for stem in _numbered(clip.stem)
        if not any(os.path.lexists(folder / f"{stem}{ending}") for ending in endings)
    )
    return folder / f"{stem}{clip.suffix}"


def _numbered(stem: str) -> Iterator[str]:
    """`stem`, `stem-2`, `stem-3`, ...: the names tried until one is free."""
    yield stem
    for number in itertools.count(2):
        yield f"{stem}-{number}"


def _stat(path: Path) -> os.stat_result:
    """The file's, or the link's own where it leads nowhere (a missing target, a loop)."""
    try:
        return path.stat()
    except OSError:
        return path.lstat()


def _sidecar(clip: Path) -> Path:
    """`<name>.json` is for that clip alone; otherwise `<stem>.json`, for every clip of that
    stem (`take.wav` and `take.flac`)."""
    own = clip.with_name(f"{clip.name}.json")
    return own if os.path.lexists(own) else clip.with_suffix(".json")


class _SidecarJSONError(InvalidValueError):
    """A sidecar that is not JSON (yet): perhaps its writer was not done."""


@dataclass(frozen=True)
class _Failure:
    """Why a clip that may still have been growing failed, and what it was when it was read."""

    signature: tuple | None
    reason: str


def _read_sidecar(clip: Path) -> ContinueSettings:
    sidecar = _sidecar(clip)
    if not os.path.lexists(sidecar):
        return continue_settings({})
    data = _sidecar_bytes(sidecar)  # a link to nothing is refused: the clip meant to have one
    try:
        options = json.loads(data.decode("utf-8"))
    except RecursionError:
        raise InvalidValueError(f"its sidecar {sidecar.name} is nested too deeply") from None
    except (UnicodeDecodeError, ValueError) as error:
        raise _SidecarJSONError(f"its sidecar {sidecar.name} is not JSON ({error})") from None
    if not isinstance(options, dict):
        raise InvalidValueError(f"its sidecar {sidecar.name} must hold a JSON object")
    try:
        return continue_settings(options)
    except InvalidValueError as error:
        raise InvalidValueError(f"its sidecar {sidecar.name}: {error}") from None


def _sidecar_bytes(sidecar: Path) -> bytes:
    """A sidecar's bytes, when it is a plain file of at most MAX_SIDECAR_BYTES. Opened without
    blocking and then checked: a FIFO would stop the model's thread until someone wrote to it,
    and a link to /dev/zero would fill its memory."""

    def refuse(why: str) -> InvalidValueError:
        return InvalidValueError(f"cannot read its sidecar {quoted(sidecar.name)}: {why}")

    try:
        with open(os.open(sidecar, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)), "rb") as file:
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                raise refuse("not a plain file")
            data = file.read(MAX_SIDECAR_BYTES + 1)
    except OSError as error:
        raise refuse(error.strerror or str(error)) from None
    if len(data) > MAX_SIDECAR_BYTES:
        raise refuse(f"larger than {MAX_SIDECAR_BYTES // 2**20} MB")
    return data


class _Events(FileSystemEventHandler):
    """watchdog's thread: only tells the watch folder which clip was touched, and how."""

    def __init__(self, folder: WatchFolder) -> None:
        self._folder = folder

    def on_created(self, event: FileSystemEvent) -> None:
        self._notice(event.src_path, closed=False)  # a writer's open follows, if it is one

    def on_opened(self, event: FileSystemEvent) -> None:
        self._notice(event.src_path, closed=False, writing=True)

    def on_modified(self, event: FileSystemEvent) -> None:
        self._notice(event.src_path, closed=False, writing=True)

    def on_closed(self, event: FileSystemEvent) -> None:
        self._notice(event.src_path, closed=True)

    def on_closed_no_write(self, event: FileSystemEvent) -> None:
        self._notice(event.src_path, closed=False)  # it was opened only to be read

    def on_moved(self, event: FileSystemEvent) -> None:
        self._notice(event.dest_path, closed=True, renamed=True)  # complete at once

    def _notice(
        self, path: str | bytes, closed: bool, writing: bool = False, renamed: bool = False
    ) -> None:
        self._folder.notice(Path(os.fsdecode(path)), closed, writing, renamed)

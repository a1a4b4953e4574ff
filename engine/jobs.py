"""One bounded queue and one worker thread that owns the model.

OSC requests and watch-folder clips become jobs in the same queue, so the model never runs two
jobs at once and a burst is served in the order it came. A full queue refuses new requests
("busy") instead of growing without limit; a job that fails reports its reason and the worker
goes on to the next one.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

from .errors import SegueError
from .reasons import one_line

log = logging.getLogger("segue.serve")

_USER_ERRORS = (SegueError, OSError)  # a person can mend these: told, no traceback


class BusyError(Exception):
    """The queue is full: the caller should try again later."""


class CancelledError(Exception):
    """Raised inside a running job's progress callback once the job has been cancelled."""


@dataclass
class Job:
    """A piece of work for the model's thread and the three ways it can end.

    `run` gets a progress callback (fraction done; it raises `CancelledError` when the job was
    cancelled) and returns a one-line summary for the log. `failed` gets a one-line reason of
    bounded length (`error` then holds what was raised, None for a cancelled job).
    `abandoned` runs instead of `failed` for jobs still queued when the engine shuts down
    (default: fail them with that reason).
    """

    id: str
    origin: str
    run: Callable[[Callable[[float], None]], str]
    failed: Callable[[str], None]
    progress: Callable[[float], None] = lambda fraction: None
    abandoned: Callable[[], None] | None = None
    cancelled: bool = field(default=False, init=False)
    error: BaseException | None = field(default=None, init=False)


class Worker:
    """Runs jobs one at a time, in order, on its own thread."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._queue: queue.Queue[Job | None] = queue.Queue(maxsize=limit)
        self._lock = threading.Lock()
        self._waiting: list[Job] = []
        self._running: Job | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="segue-model", daemon=True)
        self.finished = 0
        self.failures = 0

    def start(self) -> None:
        self._thread.start()

    def submit(self, job: Job, wait: float | None = None) -> None:
        """Queue `job`; raise `BusyError` when the queue stays full (at once, or after `wait` s)."""
        if self._stopping.is_set():
            raise BusyError("the engine is shutting down")
        with self._lock:
            self._waiting.append(job)
        try:
            self._queue.put(job, block=wait is not None, timeout=wait)
        except queue.Full:
            with self._lock:
                self._waiting.remove(job)
            reason = f"busy: the queue is full ({self.limit} waiting); try again shortly"
            raise BusyError(reason) from None

    def cancel(self, job_id: str) -> bool:
        """Cancel the queued or running jobs with this id; False when there is none."""
        with self._lock:
            matches = [job for job in [*self._waiting, self._running] if job and job.id == job_id]
            for job in matches:
                job.cancelled = True
        return bool(matches)

    def snapshot(self) -> dict[str, object]:
        with self._lock:
            return {
                "queued": len(self._waiting),
                "running": self._running.id if self._running else None,
                "finished": self.finished,
                "failed": self.failures,
                "queue_limit": self.limit,
            }

    def stop(self, timeout: float | None = None) -> bool:
        """Finish the job in flight, abandon the queued ones; True when the thread has ended."""
        self._stopping.set()
        with self._lock:
            abandoned, self._waiting = self._waiting, []
        for job in abandoned:
            job.cancelled = True
            (job.abandoned or (lambda job=job: job.failed("the engine is shutting down")))()
        with contextlib.suppress(queue.Full):  # else the worker sees _stopping after its job
            self._queue.put_nowait(None)
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            job = self._queue.get()
            if job is None:
                break
            with self._lock:
                if job not in self._waiting:  # abandoned by stop()
                    continue
                self._waiting.remove(job)
                self._running = job
            try:
                self._run(job)
            finally:
                with self._lock:
                    self._running = None

    def _run(self, job: Job) -> None:
        started = time.perf_counter()

        def progress(fraction: float) -> None:
            if job.cancelled:
                raise CancelledError
            job.progress(fraction)

        try:
            if job.cancelled:
                raise CancelledError
            summary = job.run(progress)
        except CancelledError:
            self._fail(job, "cancelled", started)
        except _USER_ERRORS as error:
            job.error = error
            self._fail(job, str(error), started)
        except Exception as error:  # a bug must not stop the engine: report it and go on
            log.error("job %s: internal error\n%s", job.id, traceback.format_exc().rstrip())
            job.error = error
            self._fail(job, f"internal error ({type(error).__name__}: {error})", started)
        else:
            self.finished += 1
            log.info(
                "job %s (%s): %s in %.2f s",
                one_line(job.id),
                job.origin,
                one_line(summary),
                _since(started),
            )

    def _fail(self, job: Job, reason: str, started: float) -> None:
        self.failures += 1
        reason = one_line(reason)
        log.info(
            "job %s (%s) failed after %.2f s: %s",
            one_line(job.id),
            job.origin,
            _since(started),
            reason,
        )
        try:
            job.failed(reason)
        except Exception:
            log.error("job %s: reporting its failure failed\n%s", job.id, traceback.format_exc())


def _since(started: float) -> float:
    return time.perf_counter() - started

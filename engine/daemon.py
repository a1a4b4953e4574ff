"""`segue serve`: the model loaded once, OSC on loopback, a watch folder, one job queue.

The handlers below are the protocol's behaviour (the table of addresses is in `protocol.py`).
They only check a request and queue a job; the worker thread runs the model and replies.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import stat
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from .audio import Audio
from .continuation import continue_clip, continue_file
from .errors import SegueError
from .jobs import BusyError, Job, Worker
from .modelfile import LoadedModel, open_model
from .outputs import checked_outputs
from .protocol import (
    CANCEL,
    CONTINUE,
    DEFAULT_QUEUE_LIMIT,
    DONE,
    ERROR,
    LOAD,
    LOAD_ID,
    PING,
    PONG,
    PROGRESS,
    PROGRESS_INTERVAL_SECONDS,
    STATUS,
    OscEndpoint,
    ProtocolError,
    Request,
)
from .reasons import quoted_path
from .requests import ContinueSettings, check_continuation, continue_settings
from .version import SEGUE_VERSION
from .watchfolder import WatchFolder

log = logging.getLogger("segue.serve")

STOP_GRACE_SECONDS = 600.0  # how long a clean stop waits for the job in flight


@dataclass
class ServeOptions:
    model: str = "default"
    device: str | torch.device = "cpu"
    watch: Path | None = None
    queue_limit: int = DEFAULT_QUEUE_LIMIT


class Daemon:
    def __init__(self, options: ServeOptions, endpoint: OscEndpoint) -> None:
        self.options = options
        self.endpoint = endpoint
        self.handlers = {
            CONTINUE: self._continue,
            PING: self._ping,
            STATUS: self._status,
            LOAD: self._load,
            CANCEL: self._cancel,
        }
        self.model_name = options.model
        self.model: LoadedModel = _warmed_up(open_model(options.model, options.device))
        self.started = time.monotonic()
        self.worker = Worker(options.queue_limit)
        self.watch = (
            WatchFolder(options.watch, self._continue_into, self.worker.submit)
            if options.watch
            else None
        )
        self._stop = threading.Event()

    # --- the protocol's handlers (socket thread: check, queue, return) --------------------

    def _continue(self, request: Request) -> None:
        clip = _readable_file(str(request.args["input"]))
        try:  # everything that can be refused before the model runs is refused now
            settings = continue_settings(request.options)
            check_continuation(  # at least one stereo pair: the clip's own count is checked later
                self.model.config, settings, channels=1
            )
            output = _absolute(settings.output, "output") if settings.output else None
            checked_outputs(clip, output, settings.variations, settings.overwrite)
        except SegueError as error:
            raise ProtocolError(str(error)) from None
        reply_to, job_id = request.reply_to, request.id
        started = time.monotonic()
        last_progress = [started]

        def run(progress) -> str:
            paths = self._continue_into(clip, output, settings, progress)
            self.endpoint.reply(reply_to, DONE, job_id, *[str(path) for path in paths])
            return f"{clip.name} -> {', '.join(str(path) for path in paths)}"

        def report_progress(fraction: float) -> None:
            now = time.monotonic()
            if now - last_progress[0] >= PROGRESS_INTERVAL_SECONDS and fraction < 1.0:
                last_progress[0] = now
                self.endpoint.reply(reply_to, PROGRESS, job_id, float(fraction))

        job = Job(
            id=str(job_id),
            origin=f"osc {request.sender[0]}:{request.sender[1]}",
            run=run,
            failed=lambda reason: self.endpoint.reply(reply_to, ERROR, job_id, reason),
            progress=report_progress,
        )
        self._submit(job)

    def _ping(self, request: Request) -> None:
        self.endpoint.reply(request.reply_to, PONG, SEGUE_VERSION, self.model_name)

    def _status(self, request: Request) -> None:
        self.endpoint.reply(request.reply_to, STATUS, json.dumps(self.status()))

    def _load(self, request: Request) -> None:
        name = str(request.args["model"])

        def run(progress) -> str:
            loaded = _warmed_up(open_model(name, self.options.device))
            self.model, self.model_name = loaded, name  # only this thread uses the model
            self.endpoint.reply(request.reply_to, STATUS, json.dumps(self.status()))
            return f"loaded model {name!r}"

        job = Job(
            id=LOAD_ID,
            origin=f"osc {request.sender[0]}:{request.sender[1]}",
            run=run,
            failed=lambda reason: self.endpoint.reply(request.reply_to, ERROR, LOAD_ID, reason),
        )
        self._submit(job)

    def _cancel(self, request: Request) -> None:
        if not self.worker.cancel(str(request.id)):
            raise ProtocolError(f"no job {request.id!r} is queued or running")

    def _submit(self, job: Job) -> None:
        try:
            self.worker.submit(job)
        except BusyError as error:
            raise ProtocolError(str(error)) from None

    # --- shared by OSC and the watch folder (worker thread) -------------------------------

    def _continue_into(
        self, clip: Path, output: Path | None, settings: ContinueSettings, progress
    ) -> list[Path]:
        return continue_file(self.model, clip, replace(settings, output=output), progress)

    def status(self) -> dict[str, object]:
        host, port = self.endpoint.address
        return {
            "version": SEGUE_VERSION,
            "model": self.model_name,
            "preset": self.model.metadata.get("preset"),
            "sample_rate": self.model.config.sample_rate,
            "device": str(self.options.device),
            "osc": f"{host}:{port}",
            "watch": str(self.watch.root) if self.watch else None,
            "folders": self.watch.counts() if self.watch else None,
            "uptime_seconds": round(time.monotonic() - self.started, 1),
            **self.worker.snapshot(),
        }

    # --- life cycle -----------------------------------------------------------------------

    def serve(self) -> None:
        """Serve until SIGINT or SIGTERM; then finish the job in flight and stop cleanly."""
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, self._on_signal)
        self.worker.start()
        listener = threading.Thread(
            target=self.endpoint.serve_forever, args=(self.handlers,), name="segue-osc"
        )
        listener.start()
        if self.watch:
            self.watch.start()
        host, port = self.endpoint.address
        where = f", watching {self.watch.root}" if self.watch else ""
        print(
            f"segue serve: ready; model '{self.model_name}' on {self.options.device}, "
            f"OSC on {host}:{port}{where}",
            flush=True,
        )
        self._stop.wait()
        log.info("stopping: no new jobs; finishing the one in flight (signal again: stop now)")
        self.endpoint.stop_listening()
        listener.join()
        if self.watch:
            self.watch.stop()
        self.worker.stop(STOP_GRACE_SECONDS)
        self.endpoint.close()
        log.info("stopped")

    def _on_signal(self, number: int, frame) -> None:
        if self._stop.is_set():
            log.warning("stopping now; the job in flight is left unfinished")
            os._exit(128 + number)
        self._stop.set()


def _warmed_up(loaded: LoadedModel) -> LoadedModel:
    """Run the model once, so that the first request does not pay for torch's lazy set-up
    (about a second on a CPU)."""
    rate = loaded.config.sample_rate
    noise = np.random.default_rng(0).normal(0.0, 0.1, (2, rate)).astype(np.float32)
    continue_clip(
        loaded, Audio(noise, rate), ContinueSettings(loaded.config.window_seconds, seed=0)
    )
    return loaded


def _absolute(text: str, what: str) -> Path:
    """The path as given: no `~` or variables expanded, since the protocol says absolute."""
    path = Path(text)
    if not path.is_absolute():
        raise ProtocolError(f"the {what} path must be absolute, not {quoted_path(text)}")
    return path


def _readable_file(text: str) -> Path:
    path = _absolute(text, "input")
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise ProtocolError(f"no such file: {quoted_path(text)}") from None
    except (OSError, ValueError) as error:  # a name too long, a NUL byte, a link loop, ...
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        raise ProtocolError(f"cannot use the input {quoted_path(text)}: {reason}") from None
    if not stat.S_ISREG(mode):
        raise ProtocolError(f"not a file: {quoted_path(text)}")
    if not os.access(path, os.R_OK):
        raise ProtocolError(f"not readable: {quoted_path(text)}")
    return path

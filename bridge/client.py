"""The DAW side of the OSC protocol: send one request to `segue serve` and wait for its answer.

Used by `segue send` (which any DAW, hotkey tool or script can call) and by the MIDI trigger.
It imports no torch, so a hotkey answers in the time of a Python start, not a model load.
The socket is connected to the engine: a dead engine shows at once as "connection refused"
instead of a silent wait for the timeout. The addresses and defaults are the protocol's own
(engine/protocol.py).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import build_msg

from segue.engine.protocol import (
    CANCEL,
    CONTINUE,
    DEFAULT_HOST,
    DEFAULT_PORT,
    DONE,
    ERROR,
    NO_ID,
    PING,
    PONG,
    PROGRESS,
)

Reply = tuple[str, list]
PING_SECONDS = 3.0  # a live engine answers a ping at once, even while it runs a job


class EngineError(Exception):
    """The engine refused the request (its one-line reason) or did not answer."""


class EngineTimeoutError(EngineError):
    """No answer in time: the engine is gone, or the job takes longer than the caller waits."""


class EngineClient:
    def __init__(
        self, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, token: str | None = None
    ) -> None:
        self.host, self.port, self.token = host, port, token
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.connect((host, port))

    def close(self) -> None:
        self._socket.close()

    def __enter__(self) -> EngineClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def send(self, address: str, *values: object) -> None:
        """One request; the engine's token is added where this client has one."""
        if self.token:
            values = (*values, "token", self.token)
        self.send_datagram(build_msg(address, list(values)).dgram)

    def send_datagram(self, dgram: bytes) -> None:
        try:
            self._socket.send(dgram)
        except OSError as error:
            raise EngineError(self._unreachable(error)) from None

    def receive(self, timeout: float) -> Reply:
        """The next message from the engine, whatever it answers; TimeoutError after `timeout`."""
        self._socket.settimeout(timeout)
        try:
            dgram = self._socket.recv(65536)
        except TimeoutError:
            raise
        except OSError as error:
            raise EngineError(self._unreachable(error)) from None
        message = OscMessage(dgram)
        return message.address, list(message.params)

    def ping(self, timeout: float = PING_SECONDS) -> tuple[str, str]:
        """(version, model) of a live engine; EngineError when none answers in time."""
        self.send(PING)
        _, values = self._reply(lambda address, values: address == PONG, timeout)
        return str(values[0]), str(values[1])

    def continue_clip(
        self,
        clip: str | os.PathLike,
        options: Mapping[str, object],
        timeout: float,
        progress: Callable[[float], None] | None = None,
        job_id: str | None = None,
    ) -> list[Path]:
        """Ask for a continuation of `clip` and wait for it; the paths the engine wrote."""
        job_id = job_id or new_job_id()
        pairs = [item for key, value in options.items() if value is not None
                 for item in (key, value)]  # fmt: skip
        self.send(CONTINUE, job_id, str(Path(clip).resolve()), *pairs)
        deadline = time.monotonic() + timeout
        try:
            while True:
                address, values = self._reply(
                    lambda address, values: values[:1] == [job_id], deadline - time.monotonic()
                )
                if address == PROGRESS and progress is not None:
                    progress(float(values[1]))
                elif address == DONE:
                    return [Path(str(value)) for value in values[1:]]
                elif address == ERROR:
                    raise EngineError(str(values[1]))
        except EngineTimeoutError:
            self._abandon(job_id)
            raise EngineTimeoutError(
                f"the engine on {self.host}:{self.port} did not finish within {timeout:g} s "
                "(the job is cancelled)"
            ) from None
        except KeyboardInterrupt:
            self._abandon(job_id)
            raise

    def _abandon(self, job_id: str) -> None:
        """Nobody waits for this job any more: free the engine for the next one."""
        with contextlib.suppress(EngineError):
            self.cancel(job_id)

    def cancel(self, job_id: str) -> None:
        self.send(CANCEL, job_id)

    def _reply(self, wanted: Callable[[str, list], bool], timeout: float) -> Reply:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                address, values = self.receive(left)
            except TimeoutError:
                break
            if address == ERROR and values[:1] == [NO_ID]:
                raise EngineError(str(values[1]))  # a refusal before any id: e.g. the token
            if wanted(address, values):
                return address, values
        raise EngineTimeoutError(
            f"no answer from the engine on {self.host}:{self.port} within {timeout:g} s"
        )

    def _unreachable(self, error: OSError) -> str:
        if isinstance(error, ConnectionRefusedError):
            return f"no engine is listening on {self.host}:{self.port}: start it with `segue serve`"
        return f"cannot reach the engine on {self.host}:{self.port}: {error.strerror or error}"


def new_job_id() -> str:
    """Unique enough that two tools talking to one engine never cancel each other's jobs."""
    return f"{os.getpid()}-{secrets.token_hex(4)}"

"""A real `segue serve` process, and the product's OSC client on 127.0.0.1, for the tests."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from segue.bridge.client import EngineClient, Reply
from segue.engine.protocol import PROGRESS

SEGUE = str(Path(sys.executable).with_name("segue"))
PATIENCE = 900.0
"""How many seconds a test waits for what should happen (a reply, a file, a process ending)
before it calls it a hang. Generous on purpose: a CI machine can run many times slower than a
desk, and a test that passes never waits this long."""


class Daemon:
    """`segue serve --osc-port 0 ...` in its own process; stdout and stderr go to files."""

    def __init__(self, folder: Path, *args: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.stdout_path, self.stderr_path = folder / "serve.out", folder / "serve.err"
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "ab") as err:
            self.process = subprocess.Popen(
                [SEGUE, "serve", "--osc-port", "0", *args], stdout=out, stderr=err
            )
        ready = wait_for(lambda: re.search(r"OSC on ([\d.]+):(\d+)", self.stdout()), self.process)
        self.address = (ready.group(1), int(ready.group(2)))

    def stdout(self) -> str:
        return self.stdout_path.read_text()

    def log(self) -> str:
        return self.stderr_path.read_text()

    def stop(self, number: int = signal.SIGTERM, timeout: float = PATIENCE) -> int:
        self.process.send_signal(number)
        return self.process.wait(timeout)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(10)

    def __enter__(self) -> Daemon:
        return self

    def __exit__(self, *exc) -> None:
        if self.process.poll() is None:
            self.kill()


class Client(EngineClient):
    """The product's OSC client (bridge/client.py, what `segue send` and `segue midi` use) on
    127.0.0.1, with what the tests ask of it besides: its own port (for `reply_port`), a
    request's final reply, and the patience of a slow machine."""

    def __init__(self, daemon_address: tuple[str, int]) -> None:
        super().__init__(*daemon_address)
        self.own_port = self._socket.getsockname()[1]

    def receive(self, timeout: float = PATIENCE) -> Reply:
        return super().receive(timeout)

    def ask(self, address: str, *args, timeout: float = PATIENCE) -> Reply:
        """Send and return the first reply that is not progress."""
        self.send(address, *args)
        return self.until_final(timeout)

    def until_final(self, timeout: float = PATIENCE) -> Reply:
        while True:
            reply = self.receive(timeout)
            if reply[0] != PROGRESS:
                return reply


def wait_for(
    condition: Callable, process: subprocess.Popen | None = None, timeout: float = PATIENCE
):
    """Poll until `condition()` is truthy and return it; fail when the process dies first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the process ended with status {process.returncode}")
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout} s")


def free_of_temp_files(folder: Path) -> bool:
    return not [name for name in os.listdir(folder) if name.endswith(".part")]

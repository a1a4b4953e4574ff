"""Segue's OSC protocol: the addresses, their arguments, the defaults, and the UDP endpoint.

This module is the protocol's one definition: `COMMANDS` (requests: their positional arguments,
their keys and the replies that answer them), `REPLIES` (each reply's arguments), the default
host, port and queue limit. The daemon's handlers, `segue send`, `segue midi`, the tests and the
benchmarks read it; docs/osc-protocol.md shows `markdown_table()` (a test holds the two together:
`python -m segue.engine.protocol` prints it).

Every request is `<address> <positional args...> [key value]...`. Two keys work on every
address: `reply_port` (answer to this port on the sender's host instead of the sender's own
port, for tools like `oscsend` that send from a throw-away port) and `token` (required when the
engine listens beyond loopback). The token is checked before anything else in a request is
trusted: a request without it is answered only where its source address cannot be forged
(loopback), to that address and port, and otherwise not at all, so that the engine is no
reflector for spoofed datagrams.
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import itertools
import logging
import queue
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pythonosc.osc_message_builder import build_msg

from .config import DEFAULT_TEMPERATURE, MAX_VARIATIONS
from .datagram import DatagramError, messages
from .errors import SegueError
from .reasons import one_line, quoted
from .requests import CONTINUE_KEYS, DEFAULT_SECONDS, MAX_SEED, number

log = logging.getLogger("segue.serve")

DEFAULT_HOST = "127.0.0.1"  # loopback: beyond it is an explicit choice, with a token
DEFAULT_PORT = 9000
DEFAULT_QUEUE_LIMIT = 64  # jobs that may wait; more requests are answered "busy"
PROGRESS_INTERVAL_SECONDS = 0.5  # a job shorter than this sends no progress at all
COMMON_KEYS = frozenset({"reply_port", "token"})

# requests
CONTINUE = "/segue/continue"
PING = "/segue/ping"
STATUS = "/segue/status"  # a request, and the reply that answers it
LOAD = "/segue/load"
CANCEL = "/segue/cancel"
# replies
DONE = "/segue/done"
ERROR = "/segue/error"
PONG = "/segue/pong"
PROGRESS = "/segue/progress"

NO_ID = ""  # the <id> of an error that answers a request with none (or no request at all)
LOAD_ID = "load"  # the <id> of an error that answers /segue/load


@dataclass(frozen=True)
class Reply:
    arguments: tuple[str, ...]
    repeats: bool = False  # the last argument may come again: `<output> [<output>...]`

    def accepts(self, values: tuple) -> bool:
        count = len(self.arguments)
        return len(values) >= count if self.repeats else len(values) == count

    def form(self, address: str) -> str:
        words = [address, *(f"<{name}>" for name in self.arguments)]
        if self.repeats:
            words.append(f"[<{self.arguments[-1]}>...]")
        return " ".join(words)


REPLIES: dict[str, Reply] = {
    DONE: Reply(("id", "output"), repeats=True),
    ERROR: Reply(("id", "reason")),
    PONG: Reply(("version", "model")),
    STATUS: Reply(("json",)),
    PROGRESS: Reply(("id", "fraction")),
}

STATUS_KEYS = (
    "version", "model", "preset", "sample_rate", "device", "osc", "watch", "folders",
    "uptime_seconds", "queued", "running", "finished", "failed", "queue_limit",
)  # fmt: skip
"""The keys of /segue/status's JSON object."""
_STATUS_KEYS = ", ".join(f"`{key}`" for key in STATUS_KEYS)


@dataclass(frozen=True)
class Command:
    positional: tuple[str, ...]
    keys: frozenset[str] = frozenset()
    replies: tuple[tuple[str, str], ...] = ()  # (address, when) of the replies besides ERROR
    about: str = ""  # for the docs: what the positional arguments are


COMMANDS: dict[str, Command] = {
    CONTINUE: Command(
        ("id", "input"),
        CONTINUE_KEYS,
        ((DONE, ""), (PROGRESS, f"every {PROGRESS_INTERVAL_SECONDS:g} s while a long job runs")),
        "`id`: int or string, echoed in every reply; `input`: absolute path",
    ),
    PING: Command((), replies=((PONG, ""),)),
    STATUS: Command((), replies=((STATUS, f"an object with {_STATUS_KEYS}"),)),
    LOAD: Command(
        ("model",),
        replies=((STATUS, "once loaded (queued like a job)"),),
        about="a shipped name or a model file path",
    ),
    CANCEL: Command(("id",), replies=((ERROR, "the cancelled job's answer, reason `cancelled`"),)),
}

KEY_NOTES: dict[str, str] = {
    "seconds": f"default {DEFAULT_SECONDS:g}",
    "bars": "with `bpm`, instead of `seconds`",
    "bpm": "the tempo, for `bars`",
    "beats_per_bar": "for `bars`, and the bar the continuation keeps; default 4, or heard",
    "variations": f"1 to {MAX_VARIATIONS}, default 1",
    "seed": f"0 to {MAX_SEED}: reproducible variations",
    "temperature": f"0 to 2, default {DEFAULT_TEMPERATURE:g}",
    "output": "absolute path; default `<input stem>.continuation.wav` beside the input",
    "overwrite": "true/false or 1/0: replace an existing file Segue did not write",
}
"""What each key of a request means, in the order the docs give them."""


def markdown_table() -> str:
    """The requests, their arguments, keys and replies as the Markdown table in the docs."""
    rows = ["| request | arguments | keys | reply |", "|---|---|---|---|"]
    for address, command in COMMANDS.items():
        arguments = " ".join(f"<{name}>" for name in command.positional)
        arguments = f"`{arguments}`" if arguments else ""
        if command.about:
            arguments += f" ({command.about})"
        keys = "; ".join(f"`{key}` ({KEY_NOTES[key]})" for key in KEY_NOTES if key in command.keys)
        replies = "; ".join(
            f"`{REPLIES[reply].form(reply)}`" + (f": {when}" if when else "")
            for reply, when in command.replies
        )
        rows.append(f"| `{address}` | {arguments} | {keys} | {replies} |")
    return "\n".join(rows) + "\n"


Address = tuple[str, int]
OscValue = int | float | str


class ProtocolError(SegueError):
    """A request that cannot be served; the reason goes back as /segue/error to `reply_to`
    (None: to nobody, for a request that did not prove it may be answered)."""

    def __init__(self, reason: str, reply_to: Address | None = None, id: OscValue = NO_ID) -> None:
        super().__init__(reason)
        self.reply_to = reply_to
        self.id = id


@dataclass(frozen=True)
class Request:
    address: str
    args: dict[str, OscValue]  # positional arguments by name
    options: dict[str, OscValue]  # key/value pairs, without reply_port and token
    sender: Address
    reply_to: Address
    id: OscValue = NO_ID  # echoed in replies exactly as it came (an int stays an int)


def parse(address: str, values: tuple, sender: Address, token: str | None) -> Request:
    """Check one message against the table; raise ProtocolError (carrying where to reply)."""
    command = COMMANDS.get(address)
    id: OscValue = NO_ID
    if command and "id" in command.positional and values and _is_id(values[0]):
        id = values[0]
    if token is not None and not _carries(values, token):
        reason = "this engine needs its token: add the pair  token <token>"
        raise ProtocolError(reason, sender if is_loopback(sender[0]) else None, id)
    reply_to = sender
    try:
        count = len(command.positional) if command else 0
        options = _options(values[count:] if command else ())
        options.pop("token", None)
        if "reply_port" in options:
            port = number("reply_port", options.pop("reply_port"), int)
            if not 1 <= port <= 65535:
                raise ProtocolError(f"reply_port must be 1 to 65535, not {port}")
            reply_to = (sender[0], port)
        if command is None:
            known = ", ".join(COMMANDS)
            raise ProtocolError(f"unknown address {quoted(address)} (known: {known})")
        if len(values) < count:
            wanted = " ".join(f"<{name}>" for name in command.positional)
            raise ProtocolError(f"{address} needs {wanted}")
        args = dict(zip(command.positional, values, strict=False))
        for name, value in args.items():
            if not (_is_id(value) if name == "id" else isinstance(value, str) and value):
                kind = _KINDS[name]
                raise ProtocolError(f"{address}: <{name}> must be {kind}, not {quoted(value)}")
        unknown = sorted(set(options) - command.keys)
        if unknown:
            known = ", ".join(sorted(command.keys | COMMON_KEYS))
            raise ProtocolError(f"{address}: unknown key {quoted(unknown[0])} (known: {known})")
    except SegueError as error:  # ProtocolError, and number()'s refusals
        raise ProtocolError(str(error), reply_to, id) from None
    return Request(address, args, options, sender, reply_to, id)


_KINDS = {"id": "an int or a non-empty string", "input": "a file path", "model": "a name or path"}


def _is_id(value: object) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, str) and value != ""
    )


def _options(values: tuple) -> dict[str, OscValue]:
    if len(values) % 2:
        raise ProtocolError(f"options come as key value pairs; {quoted(values[-1])} has no value")
    options: dict[str, OscValue] = {}
    for key, value in zip(values[::2], values[1::2], strict=True):
        if not isinstance(key, str):
            raise ProtocolError(f"an option key must be a string, not {quoted(key)}")
        options[key] = value
    return options


def _carries(values: tuple, token: str) -> bool:
    """Whether the pair `token <token>` is anywhere in the message (compared in constant time)."""
    return any(
        key == "token"
        and isinstance(given, str)
        and hmac.compare_digest(given.encode(), token.encode())  # str: ASCII only
        for key, given in itertools.pairwise(values)
    )


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024  # a DAW script's burst waits here (the OS may cap it)
MAX_DATAGRAM_BYTES = 65535  # UDP's own limit: nothing that arrives is cut
PENDING_LIMIT = 4096  # datagrams read and not yet handled; more are dropped and counted
REFUSALS_LOGGED = 20  # lines per LOG_WINDOW_SECONDS about bad datagrams; the rest are counted
LOG_WINDOW_SECONDS = 10.0


class _RefusalLog:
    """Bounded logging of bad input: a flood of bad datagrams is a few lines, not the disk."""

    def __init__(self) -> None:
        self._window_start = time.monotonic()
        self._logged = 0
        self._held_back = 0

    def __call__(self, message: str, *args: object) -> None:
        now = time.monotonic()
        if now - self._window_start >= LOG_WINDOW_SECONDS:
            if self._held_back:
                log.warning("%d more refusals were not logged", self._held_back)
            self._window_start, self._logged, self._held_back = now, 0, 0
        if self._logged < REFUSALS_LOGGED:
            self._logged += 1
            log.info(message, *args)
        else:
            self._held_back += 1


class OscEndpoint:
    """A UDP socket that parses requests, hands them to handlers and sends replies.

    One thread only reads the socket into a queue, so that a burst waits in memory rather than
    overflowing the OS's buffer while a handler runs; `serve_forever` handles what was read.
    Handlers must return quickly (they queue work); replies may be sent from any thread, and
    leave from the listening socket itself. The socket is bound at once, so that a port in use
    is refused before the model loads; requests wait in it until `serve_forever` runs.
    """

    def __init__(self, host: str, port: int, token: str | None = None) -> None:
        self._handlers: Mapping[str, Callable[[Request], None]] = {}
        self._token = token
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        with contextlib.suppress(OSError):  # macOS refuses more than its cap (Linux caps it)
            self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)
        try:
            self._socket.bind((host, port))
        except OSError as error:
            self._socket.close()
            reason = error.strerror or str(error)
            raise SegueError(f"cannot listen on {host}:{port}: {reason}") from None
        self.address: Address = self._socket.getsockname()[:2]
        self.receive_buffer = self._socket.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
        self._pending: queue.Queue[tuple[bytes, Address]] = queue.Queue(PENDING_LIMIT)
        self._stopping = threading.Event()
        self._refused = _RefusalLog()

    def serve_forever(self, handlers: Mapping[str, Callable[[Request], None]]) -> None:
        if set(handlers) != set(COMMANDS):
            raise ValueError("the daemon must handle exactly the protocol's addresses")
        self._handlers = handlers
        if self.receive_buffer < RECEIVE_BUFFER_BYTES:  # Linux reports twice the size it set
            log.warning(
                "the OS allows OSC a receive buffer of %d KB, not %d KB: a burst of requests may "
                "be dropped (Linux: sudo sysctl -w net.core.rmem_max=%d)",
                self.receive_buffer // 1024,
                RECEIVE_BUFFER_BYTES // 1024,
                RECEIVE_BUFFER_BYTES,
            )
        reader = threading.Thread(target=self._read, name="segue-osc-read", daemon=True)
        reader.start()
        while not self._stopping.is_set():
            try:
                dgram, sender = self._pending.get(timeout=0.1)
            except queue.Empty:
                continue
            try:
                self._datagram(dgram, sender)
            except Exception:  # a bug, not bad input: a traceback in the log, and serve on
                log.exception("handling %d bytes from %s:%d", len(dgram), *sender)
        reader.join()

    def stop_listening(self) -> None:
        """Stop taking requests; replies can still be sent until `close`."""
        self._stopping.set()

    def close(self) -> None:
        self._socket.close()

    def reply(self, target: Address, address: str, *values: OscValue) -> None:
        if not REPLIES[address].accepts(values):  # a bug: the table is the protocol
            raise TypeError(f"{REPLIES[address].form(address)} sent as {values!r}")
        try:
            self._socket.sendto(build_msg(address, list(values)).dgram, target)
        except OSError as error:
            log.warning("could not reply %s to %s:%d: %s", address, *target, error)

    def error(self, request: Request, reason: str) -> None:
        self.reply(request.reply_to, ERROR, request.id, one_line(reason))

    def _read(self) -> None:
        self._socket.settimeout(0.1)
        while not self._stopping.is_set():
            try:
                dgram, sender = self._socket.recvfrom(MAX_DATAGRAM_BYTES)
            except TimeoutError:
                continue
            except OSError as error:  # e.g. an ICMP "port unreachable" for an earlier reply
                self._refused("could not read a datagram: %s", error)
                continue
            try:
                self._pending.put_nowait((dgram, sender[:2]))
            except queue.Full:
                self._refused("dropped a datagram from %s:%d: too many waiting", *sender[:2])

    def _datagram(self, dgram: bytes, sender: Address) -> None:
        try:
            found = messages(dgram)
        except DatagramError as error:
            self._refused("ignored %d bytes from %s:%d: %s", len(dgram), *sender, error)
            trusted = self._token is None or is_loopback(sender[0])
            if error.osc and trusted:
                self.reply(sender, ERROR, NO_ID, str(error))
            return
        for address, values in found:
            self._receive(sender, address, values)

    def _receive(self, sender: Address, address: str, values: tuple) -> None:
        try:
            request = parse(address, values, sender, self._token)
        except ProtocolError as error:
            self._refused("refused %s from %s:%d: %s", quoted(address), *sender, one_line(error))
            if error.reply_to is not None:
                self.reply(error.reply_to, ERROR, error.id, one_line(str(error)))
            return
        try:
            self._handlers[address](request)
        except ProtocolError as error:
            self.error(request, str(error))
        except Exception as error:  # one bad request never stops the engine
            log.exception("handling %s from %s:%d", address, *sender)
            self.error(request, f"internal error ({type(error).__name__}: {error})")


if __name__ == "__main__":
    print(markdown_table(), end="")

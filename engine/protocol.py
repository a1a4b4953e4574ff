"""Segue's OSC protocol: the addresses, their arguments, and the UDP endpoint that speaks it.

Every request is `<address> <positional args...> [key value]...`. The table `COMMANDS` is the
protocol (the README mirrors it); the daemon gives one handler per address. Two keys work on
every address: `reply_port` (answer to this port on the sender's host instead of the sender's
own port, for tools like `oscsend` that send from a throw-away port) and `token` (required
when the engine listens beyond loopback).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from pythonosc.dispatcher import Dispatcher
from pythonosc.osc_message_builder import build_msg
from pythonosc.osc_server import BlockingOSCUDPServer

from .requests import CONTINUE_KEYS, number

log = logging.getLogger("segue.serve")

DEFAULT_PORT = 9000
COMMON_KEYS = frozenset({"reply_port", "token"})


@dataclass(frozen=True)
class Command:
    positional: tuple[str, ...]
    keys: frozenset[str] = frozenset()


COMMANDS: dict[str, Command] = {
    "/segue/continue": Command(("id", "input"), CONTINUE_KEYS),
    "/segue/ping": Command(()),
    "/segue/status": Command(()),
    "/segue/load": Command(("model",)),
    "/segue/cancel": Command(("id",)),
}

DONE = "/segue/done"  # <id> <output> [<output>...]
ERROR = "/segue/error"  # <id> <reason>   (id "" when the request had none)
PONG = "/segue/pong"  # <version> <model>
STATUS = "/segue/status"  # <json>
PROGRESS = "/segue/progress"  # <id> <fraction>

Address = tuple[str, int]
OscValue = int | float | str


class ProtocolError(ValueError):
    """A request that cannot be served; the reason goes back as /segue/error to `reply_to`."""

    def __init__(self, reason: str, reply_to: Address | None = None, id: OscValue = "") -> None:
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
    id: OscValue = ""  # echoed in replies exactly as it came (an int stays an int)


@dataclass
class _Parsed:
    reply_to: Address
    id: OscValue = ""
    options: dict[str, OscValue] = field(default_factory=dict)


def parse(address: str, values: tuple, sender: Address, token: str | None) -> Request:
    """Check one message against the table; raise ProtocolError (carrying where to reply)."""
    command = COMMANDS.get(address)
    parsed = _Parsed(reply_to=sender)
    if command and "id" in command.positional and values and _is_id(values[0]):
        parsed.id = values[0]
    count = len(command.positional) if command else 0
    try:
        parsed.options = _options(values[count:] if command else ())
        if "reply_port" in parsed.options:
            port = number("reply_port", parsed.options.pop("reply_port"), int)
            if not 1 <= port <= 65535:
                raise ProtocolError(f"reply_port must be 1 to 65535, not {port}")
            parsed.reply_to = (sender[0], port)
    except ProtocolError as error:
        raise ProtocolError(str(error), parsed.reply_to, parsed.id) from None
    try:
        _check_token(parsed.options.pop("token", None), token)
        if command is None:
            raise ProtocolError(f"unknown address {address!r} (known: {', '.join(COMMANDS)})")
        if len(values) < count:
            wanted = " ".join(f"<{name}>" for name in command.positional)
            raise ProtocolError(f"{address} needs {wanted}")
        args = dict(zip(command.positional, values, strict=False))
        for name, value in args.items():
            if not (_is_id(value) if name == "id" else isinstance(value, str) and value):
                raise ProtocolError(f"{address}: <{name}> must be {_KINDS[name]}, not {value!r}")
        unknown = sorted(set(parsed.options) - command.keys)
        if unknown:
            known = ", ".join(sorted(command.keys | COMMON_KEYS))
            raise ProtocolError(f"{address}: unknown key {unknown[0]!r} (known: {known})")
    except ProtocolError as error:
        raise ProtocolError(str(error), parsed.reply_to, parsed.id) from None
    return Request(address, args, parsed.options, sender, parsed.reply_to, parsed.id)


_KINDS = {"id": "an int or a non-empty string", "input": "a file path", "model": "a name or path"}


def _is_id(value: object) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, str) and value != ""
    )


def _options(values: tuple) -> dict[str, OscValue]:
    if len(values) % 2:
        raise ProtocolError(f"options come as key value pairs; {values[-1]!r} has no value")
    options: dict[str, OscValue] = {}
    for key, value in zip(values[::2], values[1::2], strict=True):
        if not isinstance(key, str):
            raise ProtocolError(f"an option key must be a string, not {key!r}")
        options[key] = value
    return options


def _check_token(given: object, expected: str | None) -> None:
    if expected is None:
        return
    if not isinstance(given, str) or not hmac.compare_digest(given, expected):
        raise ProtocolError("this engine needs its token: add the pair  token <token>")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _Server(BlockingOSCUDPServer):
    def verify_request(self, request, client_address) -> bool:
        if super().verify_request(request, client_address):
            return True
        log.warning(
            "ignored %d bytes from %s:%d: not an OSC message", len(request[0]), *client_address
        )
        return False


class OscEndpoint:
    """A UDP socket that parses requests, hands them to handlers and sends replies.

    Handlers run on the socket's thread and must return quickly (they queue work); replies may
    be sent from any thread, and leave from the listening socket itself. The socket is bound at
    once, so that a port in use is refused before the model loads; requests wait in it until
    `serve_forever` hands them to the handlers.
    """

    def __init__(self, host: str, port: int, token: str | None = None) -> None:
        self._handlers: Mapping[str, Callable[[Request], None]] = {}
        self._token = token
        dispatcher = Dispatcher()
        dispatcher.set_default_handler(self._receive, needs_reply_address=True)
        try:
            self._server = _Server((host, port), dispatcher)
        except OSError as error:
            reason = error.strerror or str(error)
            raise ValueError(f"cannot listen on {host}:{port}: {reason}") from None
        self.address: Address = self._server.server_address[:2]

    def serve_forever(self, handlers: Mapping[str, Callable[[Request], None]]) -> None:
        if set(handlers) != set(COMMANDS):
            raise ValueError("the daemon must handle exactly the protocol's addresses")
        self._handlers = handlers
        self._server.serve_forever(poll_interval=0.1)

    def stop_listening(self) -> None:
        """Stop taking requests; replies can still be sent until `close`."""
        self._server.shutdown()

    def close(self) -> None:
        self._server.server_close()

    def reply(self, target: Address, address: str, *values: OscValue) -> None:
        try:
            self._server.socket.sendto(build_msg(address, list(values)).dgram, target)
        except OSError as error:
            log.warning("could not reply %s to %s:%d: %s", address, *target, error)

    def error(self, request: Request, reason: str) -> None:
        self.reply(request.reply_to, ERROR, request.id, reason)

    def _receive(self, sender: Address, address: str, *values) -> None:
        try:
            request = parse(address, values, sender, self._token)
        except ProtocolError as error:
            log.info("refused %s from %s:%d: %s", address, *sender, error)
            self.reply(error.reply_to or sender, ERROR, error.id, str(error))
            return
        try:
            self._handlers[address](request)
        except ProtocolError as error:
            self.error(request, str(error))
        except Exception as error:  # one bad request never stops the engine
            log.exception("handling %s from %s:%d", address, *sender)
            self.error(request, f"internal error ({type(error).__name__}: {error})")

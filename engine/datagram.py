"""One UDP datagram into OSC messages, its structure checked before python-osc reads it.

python-osc trusts a bundle element's size: a negative one sends its bundle parser into an
endless loop (a 20-byte datagram stopped the listener for good), and a bundle's time tag makes
its dispatcher sleep until then. So the sizes are checked here first, time tags are ignored
(Segue serves every message at once), and whatever python-osc still raises on a datagram that
passed (bad UTF-8, unknown type tags) is one `DatagramError`.
"""

from __future__ import annotations

import struct

from pythonosc.osc_message import OscMessage

from .errors import SegueError

BUNDLE_PREFIX = b"#bundle\x00"
_BUNDLE_HEADER = len(BUNDLE_PREFIX) + 8  # the prefix and a 64-bit time tag
MAX_DEPTH = 4  # bundles within bundles
MAX_MESSAGES = 64  # in one datagram: each may be answered, so a bundle is no amplifier
TYPE_TAGS = frozenset(b"ihfdsbrmtTFN[]")  # what python-osc reads; it skips others with a warning


class DatagramError(SegueError):
    """A datagram that is not OSC, or is broken OSC; `osc` says whether it looked like OSC."""

    def __init__(self, reason: str, osc: bool) -> None:
        super().__init__(reason)
        self.osc = osc


def looks_like_osc(dgram: bytes) -> bool:
    return dgram.startswith((b"/", BUNDLE_PREFIX))


def messages(dgram: bytes) -> list[tuple[str, tuple]]:
    """The (address, arguments) of every message in `dgram`, in order."""
    if not looks_like_osc(dgram):
        raise DatagramError("not an OSC message", osc=False)
    elements = _elements(dgram, 0)
    if not elements:
        raise DatagramError("an empty bundle", osc=True)
    if len(elements) > MAX_MESSAGES:
        raise DatagramError(f"more than {MAX_MESSAGES} messages in one datagram", osc=True)
    decoded = []
    for element in elements:
        _check_type_tags(element)
        try:
            message = OscMessage(element)
            decoded.append((message.address, tuple(message.params)))
        except Exception as error:  # python-osc's own: ParseError, UnicodeDecodeError, ...
            raise DatagramError(f"broken OSC message ({_reason(error)})", osc=True) from None
    return decoded


def _elements(dgram: bytes, depth: int) -> list[bytes]:
    """The messages of a message or a bundle, each size checked against what holds it."""
    if not dgram.startswith(BUNDLE_PREFIX):
        if not dgram.startswith(b"/"):
            raise DatagramError("a bundle element is neither a message nor a bundle", True)
        return [dgram]
    if depth >= MAX_DEPTH:
        raise DatagramError(f"bundles nested deeper than {MAX_DEPTH}", osc=True)
    if len(dgram) < _BUNDLE_HEADER:
        raise DatagramError("a bundle shorter than its header", osc=True)
    found, index = [], _BUNDLE_HEADER
    while index < len(dgram):
        if index + 4 > len(dgram):
            raise DatagramError("a bundle element's size is cut short", osc=True)
        (size,) = struct.unpack(">i", dgram[index : index + 4])
        index += 4
        if size <= 0 or size % 4 or index + size > len(dgram):
            raise DatagramError(
                f"a bundle element of {size} bytes where {len(dgram) - index} remain", osc=True
            )
        found += _elements(dgram[index : index + size], depth + 1)
        if len(found) > MAX_MESSAGES:
            raise DatagramError(f"more than {MAX_MESSAGES} messages in one datagram", True)
        index += size
    return found


def _check_type_tags(message: bytes) -> None:
    """Every type tag one python-osc reads: an unknown one would be dropped, not refused."""
    end = message.find(b"\x00")
    tags_at = (end // 4 + 1) * 4 if end >= 0 else len(message)
    if not message[tags_at:].startswith(b","):
        return  # no type tag string: an old-style message without arguments
    tags_end = message.find(b"\x00", tags_at)
    unknown = set(message[tags_at + 1 : tags_end if tags_end >= 0 else None]) - TYPE_TAGS
    if unknown:
        raise DatagramError(f"unknown OSC type tag {bytes([min(unknown)])!r}", osc=True)


def _reason(error: BaseException) -> str:
    """The words of python-osc's error: it wraps its own (`ParseError("Found incorrect
    datagram, ignoring it", inner)`), and the inner one says what is wrong."""
    inner = next((arg for arg in error.args if isinstance(arg, BaseException)), None)
    if inner is not None:
        return _reason(inner)
    return str(error).splitlines()[0] if str(error) else type(error).__name__

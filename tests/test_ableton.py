"""The Ableton Live bridge, `bridge/daws/ableton/segue.maxpat`, checked by contract.

Neither Max nor Live can run here, so the patch is read as the JSON file Max loads: every box
must have the inlets and outlets Max gives its object and every patch cord must join real ones;
every message the patch can hand to `udpsend` is rebuilt from its boxes (the message box
template, its `$n` filled from the `pack` feeding it with the defaults the patch loads) and given
to the engine's own parser; the replies it routes must be ones the engine sends. Then its continue
message goes over real UDP to a real `segue serve`, and the answer must come back to the port the
patch listens on with exactly the bars it asked for.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import soundfile as sf
from helpers import procedural_clip, write_clip
from serving import Client, Daemon

from segue.engine.protocol import (
    DEFAULT_PORT,
    DONE,
    ERROR,
    PONG,
    PROGRESS,
    STATUS,
    OscValue,
    parse,
)
from segue.engine.requests import continue_settings

pytestmark = pytest.mark.engine  # the shared engine: tests/scheduling.py

PATCH = Path(__file__).resolve().parents[1] / "bridge" / "daws" / "ableton" / "segue.maxpat"
SENDER = ("127.0.0.1", 53124)  # udpsend sends from a port of its own choosing
RATE = 44100

# Inlets and outlets Max gives each object the patch may use (n: how many arguments it has), so
# that a box saved with the wrong shape fails here rather than in Max. A new object needs a row.
OBJECTS: dict[str, Callable[[int], tuple[int, int]]] = {
    "udpsend": lambda n: (1, 0),
    "udpreceive": lambda n: (1, 1),
    "route": lambda n: (2, n + 1),
    "pack": lambda n: (n, 1),
    "unpack": lambda n: (1, n),
    "t": lambda n: (1, n),
    "zl": lambda n: (2, 2),
    "prepend": lambda n: (1, 1),
    "tosymbol": lambda n: (1, 1),
    "conformpath": lambda n: (1, 2),
    "loadmess": lambda n: (1, 1),
    "gate": lambda n: (2, 1),  # `gate 1 1`: one outlet, open
    "transport": lambda n: (2, 9),
    "i": lambda n: (2, 1),
    "+": lambda n: (2, 1),
    "*": lambda n: (2, 1),
    "/": lambda n: (2, 1),
    "print": lambda n: (1, 0),
    "plugin~": lambda n: (2, 2),
    "plugout~": lambda n: (2, 2),
}
UI: dict[str, tuple[int, int]] = {
    "message": (2, 1),
    "comment": (1, 0),
    "number": (1, 2),
    "flonum": (1, 2),
    "toggle": (1, 1),
    "textedit": (1, 4),
    "dropfile": (1, 2),
    "live.text": (1, 2),
}

Port = tuple[str, int]  # (box id, inlet or outlet)


@dataclass(frozen=True)
class Patch:
    boxes: dict[str, dict]
    cords: list[tuple[Port, Port]]  # (source box and outlet, destination box and inlet)

    @staticmethod
    def load(path: Path = PATCH) -> Patch:
        patcher = json.loads(path.read_text())["patcher"]
        boxes = [entry["box"] for entry in patcher["boxes"]]
        cords = [
            ((line["patchline"]["source"][0], line["patchline"]["source"][1]),
             (line["patchline"]["destination"][0], line["patchline"]["destination"][1]))
            for line in patcher["lines"]
        ]  # fmt: skip
        by_id = {box["id"]: box for box in boxes}
        assert len(by_id) == len(boxes), "two boxes share an id"
        return Patch(by_id, cords)

    def words(self, box_id: str) -> list[str]:
        return self.boxes[box_id].get("text", "").split()

    def objects(self, name: str) -> list[str]:
        return [
            box_id
            for box_id, box in self.boxes.items()
            if box["maxclass"] == "newobj" and self.words(box_id)[:1] == [name]
        ]

    def only(self, name: str) -> str:
        found = self.objects(name)
        assert len(found) == 1, f"the patch should have one {name}, not {len(found)}"
        return found[0]

    def sources(self, box_id: str, inlet: int | None = None) -> list[Port]:
        return [s for s, (d, i) in self.cords if d == box_id and inlet in (None, i)]

    def reaches(self, start: Port, goal: Port) -> bool:
        """Whether a message leaving `start` can arrive at `goal`, through any boxes."""
        seen, queue = set(), deque([start])
        while queue:
            box_id, outlet = queue.popleft()
            for source, destination in self.cords:
                if source != (box_id, outlet) or destination in seen:
                    continue
                if destination == goal:
                    return True
                seen.add(destination)
                count = self.boxes[destination[0]]["numoutlets"]
                queue.extend((destination[0], n) for n in range(count))
        return False

    def initial(self, box_id: str, inlet: int) -> OscValue:
        """The value the patch loads upstream of an inlet: a `loadmess` or an `i N`."""
        seen, queue = {box_id}, deque(source for source, _ in self.sources(box_id, inlet))
        while queue:
            source = queue.popleft()
            words = self.words(source)
            if words[:1] in (["loadmess"], ["i"]) and len(words) == 2:
                return atom(words[1])
            seen.add(source)
            queue.extend(s for s, _ in self.sources(source) if s not in seen)
        raise AssertionError(f"nothing in the patch gives {box_id} inlet {inlet} a value")


def atom(word: str) -> OscValue:
    """A word of a box as Max reads it: an int, a float (`120.` too), or a symbol."""
    for kind in (int, float):
        try:
            return kind(word)
        except ValueError:
            pass
    return word


def sent_messages(patch: Patch, clip: str) -> list[tuple[str, list[OscValue]]]:
    """Every message that reaches udpsend, with its `$n` filled as the patch would fill them."""
    udpsend = patch.only("udpsend")
    messages = []
    for source, _ in patch.sources(udpsend):
        assert patch.boxes[source]["maxclass"] == "message", "only message boxes feed udpsend"
        address, *words = patch.words(source)
        filled = fillers(patch, source, clip)
        values = [filled[int(w[1:]) - 1] if w.startswith("$") else atom(w) for w in words]
        messages.append((address, values))
    return messages


def fillers(patch: Patch, message: str, clip: str) -> list[OscValue]:
    """The values for `$1 $2 ...`: from the one `pack` or `i` that feeds the message (a `pack`
    argument types its inlet: `0` an int, `0.` a float, a word a symbol: here, the clip)."""
    if "$" not in patch.boxes[message]["text"]:
        return []
    [(feeder, _)] = patch.sources(message, 0)
    name, *arguments = patch.words(feeder)
    if name == "i":
        return [int(patch.initial(feeder, 1))]
    assert name == "pack", f"{message} gets its $n from {name}, not from a pack"
    values: list[OscValue] = []
    for inlet, argument in enumerate(arguments):
        kind = type(atom(argument))
        values.append(clip if kind is str else kind(patch.initial(feeder, inlet)))
    return values


def option(values: list[OscValue], key: str) -> OscValue:
    return values[values.index(key) + 1]


def continue_message(patch: Patch, clip: str) -> list[OscValue]:
    [values] = [v for address, v in sent_messages(patch, clip) if address == "/segue/continue"]
    return values


@pytest.fixture(scope="module")
def patch() -> Patch:
    return Patch.load()


def test_every_box_and_cord_is_one_max_can_load(patch: Patch) -> None:
    for box_id, box in patch.boxes.items():
        if box["maxclass"] == "newobj":
            name, *arguments = patch.words(box_id)
            assert name in OBJECTS, f"{box_id}: no known shape for {name!r}"
            expected = OBJECTS[name](len(arguments))
        else:
            expected = UI[box["maxclass"]]
        assert (box["numinlets"], box["numoutlets"]) == expected, box_id
        assert len(box.get("outlettype", [])) == box["numoutlets"], box_id
        assert len(box["patching_rect"]) == 4, box_id
    for (source, outlet), (destination, inlet) in patch.cords:
        assert 0 <= outlet < patch.boxes[source]["numoutlets"], (source, outlet)
        assert 0 <= inlet < patch.boxes[destination]["numinlets"], (destination, inlet)


def test_it_sends_to_the_engines_default_address(patch: Patch) -> None:
    assert patch.words(patch.only("udpsend"))[1:] == ["127.0.0.1", str(DEFAULT_PORT)]


def test_every_message_it_sends_is_one_the_engine_accepts(patch: Patch, tmp_path: Path) -> None:
    clip = str(tmp_path / "clip.wav")
    [receive_port] = patch.words(patch.only("udpreceive"))[1:]
    messages = sent_messages(patch, clip)
    assert sorted(address for address, _ in messages) == [
        "/segue/cancel", "/segue/continue", "/segue/ping", "/segue/status",
    ]  # fmt: skip
    for address, values in messages:
        request = parse(address, tuple(values), SENDER, token=None)
        assert request.reply_to == ("127.0.0.1", int(receive_port)), address
    values = continue_message(patch, clip)
    request = parse("/segue/continue", tuple(values), SENDER, token=None)
    assert request.id == 1 and request.args["input"] == clip
    settings = continue_settings(request.options)
    assert settings.seconds == 4 * 4 * 60 / 120  # its defaults: 4 bars of 4 beats at 120 bpm
    assert settings.variations == 1


def test_it_routes_every_reply_a_continuation_can_get(patch: Patch) -> None:
    udpreceive = patch.only("udpreceive")
    [(route, inlet)] = [d for s, d in patch.cords if s == (udpreceive, 0)]
    name, *routed = patch.words(route)
    assert (name, inlet) == ("route", 0)
    assert set(routed) <= {DONE, ERROR, PONG, STATUS, PROGRESS}
    assert {DONE, ERROR, PROGRESS, PONG} <= set(routed)
    for outlet in range(len(routed) + 1):
        assert any(s == (route, outlet) for s, _ in patch.cords), f"route outlet {outlet} unused"


def test_continue_takes_tempo_and_meter_from_lives_transport(patch: Patch) -> None:
    transport, pack = patch.only("transport"), patch.only("pack")
    assert patch.reaches((transport, 4), (pack, 3))  # tempo -> bpm
    assert patch.reaches((transport, 5), (pack, 4))  # time signature -> beats_per_bar
    assert patch.reaches((patch.only("unpack"), 1), (pack, 3))  # 6/8: bpm counts eighths
    [button] = [b for b, box in patch.boxes.items() if box.get("text") == "Continue"]
    assert patch.reaches((button, 0), (transport, 0))  # asked at every press
    assert patch.reaches((button, 0), (patch.only("udpsend"), 0))


def test_the_track_audio_passes_through(patch: Patch) -> None:
    plugin, plugout = patch.only("plugin~"), patch.only("plugout~")
    assert ((plugin, 0), (plugout, 0)) in patch.cords
    assert ((plugin, 1), (plugout, 1)) in patch.cords


def test_its_continue_message_is_served_by_a_real_engine(
    engine: Daemon, patch: Patch, tmp_path: Path
) -> None:
    clip = write_clip(tmp_path / "take.wav", procedural_clip(4.0, RATE, "rock"), RATE)
    values = continue_message(patch, str(clip))
    with Client(engine.address) as udpsend, Client(engine.address) as udpreceive:
        # The patch listens on 9001; here the listener takes a free port (9001 may be in use).
        values[values.index("reply_port") + 1] = udpreceive.own_port
        udpsend.send("/segue/continue", *values)
        reply = udpreceive.until_final()
    output = clip.with_name("take.continuation.wav")
    assert reply == (DONE, [1, str(output)])
    seconds = option(values, "bars") * option(values, "beats_per_bar") * 60 / option(values, "bpm")
    assert sf.info(output).frames == round(seconds * RATE)

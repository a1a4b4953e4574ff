"""`segue midi`: pads, keys or buttons of a MIDI controller fire continuations.

A mapping file (TOML, `presets/midi/*.toml` or your own) ties notes and control changes to
three actions: `continue` the newest clip in a folder (where the DAW exports), make another
`variation` of it, `cancel` the job in flight. Requests go to `segue serve` over OSC, each on
its own thread, so the controller stays responsive while the engine works.
"""

from __future__ import annotations

import random
import threading
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from segue.engine.audio import is_clip
from segue.engine.errors import InvalidValueError
from segue.engine.requests import MAX_SEED
from segue.presets import PRESETS_DIR

from .client import EngineClient, EngineError, new_job_id

MAPPINGS_DIR = PRESETS_DIR / "midi"
ACTIONS = ("continue", "variation", "cancel")


@dataclass(frozen=True)
class Trigger:
    kind: str  # "note": a note-on with velocity > 0; "cc": a control change with value > 0
    number: int  # note or controller number
    channel: int | None  # 0-15 as mido counts (the file says 1-16); None: any channel
    action: str


@dataclass(frozen=True)
class MidiMapping:
    name: str
    triggers: tuple[Trigger, ...]

    def action_for(self, message) -> str | None:
        """The action a mido message fires, or None. Releases (note-off, note-on with
        velocity 0, a control change back to 0) fire nothing, so a pad fires once per hit."""
        if message.type == "note_on" and message.velocity > 0:
            kind, number = "note", message.note
        elif message.type == "control_change" and message.value > 0:
            kind, number = "cc", message.control
        else:
            return None
        for trigger in self.triggers:
            if (trigger.kind, trigger.number) == (kind, number) and trigger.channel in (
                None,
                message.channel,
            ):
                return trigger.action
        return None


def available_mappings() -> list[str]:
    return sorted(path.stem for path in MAPPINGS_DIR.glob("*.toml"))


def load_mapping(name_or_path: str) -> MidiMapping:
    """A shipped mapping by name or a TOML file by path; ValueError with the reason."""
    path = Path(name_or_path)
    if not path.is_file():
        path = MAPPINGS_DIR / f"{name_or_path}.toml"
        if not path.is_file():
            raise InvalidValueError(
                f"unknown MIDI mapping {name_or_path!r}: use a file or one of "
                f"{', '.join(available_mappings())}"
            )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise InvalidValueError(f"cannot read MIDI mapping '{path}': {error}") from None
    entries = data.get("trigger")
    if not isinstance(entries, list) or not entries:
        raise InvalidValueError(f"MIDI mapping '{path}' has no [[trigger]] entries")
    return MidiMapping(path.stem, tuple(_trigger(path, entry) for entry in entries))


def _trigger(path: Path, entry: object) -> Trigger:
    where = f"MIDI mapping '{path}'"
    if not isinstance(entry, dict):
        raise InvalidValueError(f"{where}: each [[trigger]] must be a table")
    unknown = set(entry) - {"note", "cc", "channel", "action"}
    if unknown:
        raise InvalidValueError(f"{where}: unknown key {sorted(unknown)[0]!r} in a trigger")
    if ("note" in entry) == ("cc" in entry):
        raise InvalidValueError(f"{where}: a trigger needs exactly one of note or cc: {entry}")
    kind = "note" if "note" in entry else "cc"
    number, channel, action = entry[kind], entry.get("channel"), entry.get("action")
    if not isinstance(number, int) or not 0 <= number <= 127:
        raise InvalidValueError(f"{where}: {kind} must be 0 to 127, not {number!r}")
    if channel is not None and (not isinstance(channel, int) or not 1 <= channel <= 16):
        raise InvalidValueError(f"{where}: channel must be 1 to 16, not {channel!r}")
    if action not in ACTIONS:
        raise InvalidValueError(
            f"{where}: action must be one of {', '.join(ACTIONS)}, not {action!r}"
        )
    return Trigger(kind, number, None if channel is None else channel - 1, action)


def newest_clip(folder: Path) -> Path:
    """The clip most recently written to `folder`, not counting Segue's own continuations."""
    clips = [
        path
        for path in folder.iterdir()
        if is_clip(path) and ".continuation" not in path.name and path.is_file()
    ]
    if not clips:
        raise InvalidValueError(
            f"no clip in {folder} to continue: export the last bars there first"
        )
    return max(clips, key=lambda path: path.stat().st_mtime_ns)


class MidiActions:
    """What each action does: OSC requests to the engine, answered on their own threads."""

    def __init__(
        self,
        clips: Path,
        options: dict[str, object],
        connect: Callable[[], EngineClient],
        report: Callable[[str], None],
        timeout: float,
    ) -> None:
        self.clips, self.options, self.timeout = clips, options, timeout
        self._connect, self._report = connect, report
        self._lock = threading.Lock()
        self._jobs: list[str] = []  # in flight, oldest first
        self._draws: dict[Path, tuple[int, int]] = {}  # clip: its draw's seed, variations

    def perform(self, action: str) -> threading.Thread | None:
        """Start the action; the thread that waits for the engine's answer, if any."""
        if action == "cancel":
            with self._lock:
                job = self._jobs[-1] if self._jobs else None
            if job is None:
                self._report("nothing to cancel")
            else:
                with self._connect() as engine:
                    engine.cancel(job)
            return None
        try:
            clip = newest_clip(self.clips)
        except (OSError, ValueError) as error:
            self._report(str(error))
            return None
        options = dict(self.options)
        options["seed"], options["variations"] = self._draw(clip, action == "variation")
        thread = threading.Thread(target=self._request, args=(clip, options), daemon=True)
        thread.start()
        return thread

    def _draw(self, clip: Path, another: bool) -> tuple[int, int]:
        """The seed and the number of variations to ask for: `continue` starts a draw (the
        mapping's seed, else a random one) and asks for its first variation; each `variation`
        asks for one more of the same draw. The engine keeps the variations of one request
        apart (an arrangement of the clip's beats can otherwise come out the same for two
        seeds: 15 of 30 draws of a 2-bar clip did), so the newest is new; the earlier ones are
        written again as they were (`<clip>.continuation.wav`, `.v2`, ...)."""
        with self._lock:
            seed, count = self._draws.get(clip, (None, 0))
            if not another or seed is None:
                given = self.options.get("seed")
                seed = int(given) if given is not None else random.randrange(MAX_SEED)
                count = 0
            self._draws[clip] = (seed, count + 1 if another or count == 0 else 1)
            return self._draws[clip]

    def _request(self, clip: Path, options: dict[str, object]) -> None:
        job = new_job_id()
        with self._lock:
            self._jobs.append(job)
        try:
            with self._connect() as engine:
                paths = engine.continue_clip(clip, options, self.timeout, job_id=job)
                self._report(f"{clip.name}: {paths[-1]}")  # the newest variation
        except EngineError as error:
            self._report(f"{clip.name}: {error}")
        finally:
            with self._lock:
                self._jobs.remove(job)


def listen(messages: Iterable, mapping: MidiMapping, actions: MidiActions) -> None:
    """Fire the mapped action of every message (a mido input port is such an iterable)."""
    for message in messages:
        action = mapping.action_for(message)
        if action is not None:
            actions.perform(action)

"""The MIDI trigger: mapping files, and actions that reach a real daemon over real OSC.

What needs a real MIDI port (an ALSA sequencer, CoreMIDI or Windows MIDI, and a controller) is
only the source of the messages: `segue midi` iterates a mido input port. This machine has no
MIDI system (no /dev/snd/seq), so the tests feed real `mido.Message` objects to the same
`listen` loop instead of a port; everything after that (mapping, OSC, engine, files) is real.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import mido
import numpy as np
import pytest
import soundfile as sf
from helpers import procedural_clip, write_clip
from serving import PATIENCE, SEGUE, Client, Daemon, wait_for

from segue.bridge.client import EngineClient
from segue.bridge.midi import MidiActions, listen, load_mapping, newest_clip

pytestmark = pytest.mark.engine  # the shared engine: tests/scheduling.py

RATE = 44100


def note(number: int, channel: int = 9, velocity: int = 100) -> mido.Message:
    return mido.Message("note_on", note=number, channel=channel, velocity=velocity)


def test_the_default_mapping_fires_on_hits_not_releases() -> None:
    mapping = load_mapping("default")
    assert mapping.action_for(note(36)) == "continue"
    assert mapping.action_for(note(37)) == "variation"
    assert mapping.action_for(note(38)) == "cancel"
    assert mapping.action_for(note(36, channel=0)) is None  # pads are on channel 10 only
    assert mapping.action_for(note(24, channel=3)) == "continue"  # keys: any channel
    assert mapping.action_for(note(36, velocity=0)) is None  # a note-on at 0 is a release
    assert mapping.action_for(mido.Message("note_off", note=36, channel=9)) is None
    assert mapping.action_for(mido.Message("clock")) is None
    assert mapping.action_for(mido.Message("sysex", data=[1, 2])) is None


def test_a_users_mapping_file_with_control_changes(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text('[[trigger]]\ncc = 20\naction = "continue"\n'
                    '[[trigger]]\ncc = 21\nchannel = 2\naction = "cancel"\n')  # fmt: skip
    mapping = load_mapping(str(path))
    cc = mido.Message("control_change", control=20, value=127, channel=5)
    assert mapping.action_for(cc) == "continue"
    assert mapping.action_for(cc.copy(value=0)) is None  # the button let go
    assert mapping.action_for(cc.copy(control=21)) is None  # channel 6, not 2
    assert mapping.action_for(cc.copy(control=21, channel=1)) == "cancel"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[[trigger]\n", "cannot read MIDI mapping"),
        ("title = 'no triggers'\n", "has no [[trigger]] entries"),
        ('[[trigger]]\nnote = 36\naction = "explode"\n', "action must be one of"),
        ('[[trigger]]\nnote = 36\ncc = 2\naction = "cancel"\n', "exactly one of note or cc"),
        ('[[trigger]]\nnote = 128\naction = "cancel"\n', "note must be 0 to 127"),
        ('[[trigger]]\nnote = 1\nchannel = 0\naction = "cancel"\n', "channel must be 1 to 16"),
        ('[[trigger]]\nnote = 1\nvelocity = 3\naction = "cancel"\n', "unknown key 'velocity'"),
    ],
)
def test_a_bad_mapping_file_is_refused_with_the_reason(
    tmp_path: Path, text: str, reason: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ValueError, match=reason.replace("[", r"\[")):
        load_mapping(str(path))
    result = subprocess.run([SEGUE, "midi", "--clips", str(tmp_path), "--mapping", str(path)],
                            capture_output=True, text=True, timeout=PATIENCE)  # fmt: skip
    assert result.returncode == 1 and reason in result.stderr


def test_the_newest_clip_is_the_last_export_not_a_continuation(tmp_path: Path) -> None:
    for name in ("old.wav", "new.flac", "new.continuation.wav", ".hidden.wav", "notes.txt"):
        (tmp_path / name).write_bytes(b"x")
        time.sleep(0.01)
    assert newest_clip(tmp_path) == tmp_path / "new.flac"
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no clip in"):
        newest_clip(tmp_path / "empty")


def test_pads_continue_make_variations_and_cancel_against_a_real_engine(
    engine: Daemon, tmp_path: Path
) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    write_clip(exports / "verse.wav", procedural_clip(6.0, RATE, "reggae"), RATE)
    reports: list[str] = []
    actions = MidiActions(
        exports, {"bars": 2, "bpm": 90}, lambda: EngineClient(*engine.address),
        reports.append, timeout=PATIENCE,
    )  # fmt: skip
    hits = [note(36), note(36, velocity=0), note(37), note(37)]
    listen(hits, load_mapping("default"), actions)
    outputs = [f"verse.continuation{v}.wav" for v in ("", ".v2", ".v3")]
    wait_for(lambda: len(reports) == 3, engine.process)
    assert sorted(reports) == sorted(f"verse.wav: {exports / name}" for name in outputs)
    frames = {sf.info(exports / name).frames for name in outputs}
    assert frames == {round(2 * 4 * 60 / 90 * RATE)}
    second, third = (sf.read(exports / name)[0] for name in outputs[1:])
    assert not np.array_equal(second, third)  # each variation is a new draw

    long = MidiActions(exports, {"seconds": 600}, lambda: EngineClient(*engine.address),
                       reports.append, timeout=PATIENCE)  # fmt: skip
    long.perform("continue")
    with Client(engine.address) as osc:
        wait_for(lambda: json.loads(osc.ask("/segue/status")[1][0])["running"])
        long.perform("cancel")
        wait_for(lambda: reports[-1] == "verse.wav: cancelled")
    long.perform("cancel")
    assert reports[-1] == "nothing to cancel"

"""The REAPER bridge (bridge/daws/reaper/segue_continue.lua) run by lua5.4.

REAPER cannot run here, so the `reaper` API is a fake (tests/reaper_fake.lua) that records the
script's calls and keeps a small model of a project. Everything beyond that API is real: the
fake's render writes a real WAV file into a real watch folder, a real `segue serve --watch`
continues it, and the script's defer loop really waits for that continuation (or failure).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from helpers import procedural_clip, write_clip
from serving import PATIENCE

LUA = shutil.which("lua5.4")
LUAC = shutil.which("luac5.4")
pytestmark = [
    pytest.mark.engine,  # the shared engine: tests/scheduling.py
    pytest.mark.skipif(LUA is None, reason="lua5.4 is not installed (Debian: apt install lua5.4)"),
]

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "bridge" / "daws" / "reaper" / "segue_continue.lua"
TESTS = Path(__file__).resolve().parent

# The user's own render settings, which the script must give back untouched.
USER_SETTINGS = {
    "RENDER_SETTINGS": 2,
    "RENDER_BOUNDSFLAG": 1,
    "RENDER_STARTPOS": 3.5,
    "RENDER_ENDPOS": 30.25,
    "RENDER_SRATE": 96000,
    "RENDER_CHANNELS": 1,
    "RENDER_TAILFLAG": 6,
    "RENDER_ADDTOPROJ": 1,
    "RENDER_NORMALIZE": 1,
    "RENDER_FILE": "/home/someone/renders",
    "RENDER_PATTERN": "$project-$track",
    "RENDER_FORMAT": "ZmxhYxgAAAA=",
    "RENDER_FORMAT2": "l3pm",
}

DRIVER = """
package.path = {tests} .. "/?.lua;" .. package.path
local fake = require("reaper_fake")
fake.install({scenario})
SEGUE_TEST = true
local segue = dofile({script})
for key, value in pairs({config}) do
  segue.CONFIG[key] = value
end
segue.main()
fake.run(60)
io.write(fake.record())
"""


def lua(value: object) -> str:
    """A Python value (str, number, bool, list, dict) as a Lua expression."""
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "{" + ", ".join(lua(item) for item in value) + "}"
    return "{" + ", ".join(f"[{lua(key)}] = {lua(item)}" for key, item in value.items()) + "}"


def run_script(folder: Path, scenario: dict, config: dict) -> dict:
    """Run the script once under lua5.4 against the fake; return the fake's record."""
    scenario = {"settings": USER_SETTINGS, "clock": time.time(), **scenario}
    driver = folder / "driver.lua"
    driver.write_text(
        DRIVER.format(
            tests=lua(str(TESTS)),
            scenario=lua(scenario),
            script=lua(str(SCRIPT)),
            config=lua(config),
        )
    )
    done = subprocess.run([LUA, str(driver)], capture_output=True, text=True, timeout=2 * PATIENCE)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def called(record: dict, name: str) -> list[list]:
    return [call["args"] for call in record["calls"] if call["name"] == name]


def rendered_name(record: dict) -> str:
    """The request's name: the script renders `.<name>` and renames it to `<name>.wav`."""
    (render,) = record["renders"]
    assert render["settings"]["RENDER_PATTERN"].startswith(".segue-")
    return render["settings"]["RENDER_PATTERN"][1:]


def assert_rendered_and_restored(record: dict, inbox: Path, start: float, end: float) -> None:
    """The render had the settings it needs, and the user's settings came back afterwards."""
    (render,) = record["renders"]
    assert render["settings"] == {
        **USER_SETTINGS,
        "RENDER_SETTINGS": 0,
        "RENDER_BOUNDSFLAG": 0,
        "RENDER_STARTPOS": pytest.approx(start),
        "RENDER_ENDPOS": pytest.approx(end),
        "RENDER_SRATE": 0,
        "RENDER_CHANNELS": 2,
        "RENDER_TAILFLAG": 0,
        "RENDER_ADDTOPROJ": 0,
        "RENDER_NORMALIZE": 0,
        "RENDER_FILE": str(inbox),
        "RENDER_PATTERN": render["settings"]["RENDER_PATTERN"],
        "RENDER_FORMAT": "evaw",
        "RENDER_FORMAT2": "",
    }
    assert record["settings"] == USER_SETTINGS


def assert_inserted(record: dict, output: Path, position: float) -> None:
    """One new track holding the continuation at `position`, in one undo step."""
    names = [call["name"] for call in record["calls"] if call["name"] != "Main_OnCommand"]
    assert names == [
        "Undo_BeginBlock",
        "SetEditCurPos",
        "InsertMedia",
        "Undo_EndBlock",
        "UpdateArrange",
    ]
    assert called(record, "SetEditCurPos") == [[pytest.approx(position), False, False]]
    assert called(record, "InsertMedia") == [[str(output), 1]]
    item = {"position": pytest.approx(position), "file": str(output)}
    assert record["tracks"] == [{"items": [item]}]


def assert_length(output: Path, rate: int, bars: int, beats_per_bar: int, bpm: float) -> None:
    """Exactly that many bars, at the clip's rate and channel count."""
    info = sf.info(output)
    frames = round(bars * beats_per_bar * 60 / bpm * rate)
    assert (info.samplerate, info.channels, info.frames) == (rate, 2, frames)


def test_time_selection_is_rendered_continued_and_inserted(watch: Path, tmp_path: Path) -> None:
    """100 bpm 4/4, bars 4 to 8 selected: the continuation is 4 bars, on a new track at bar 8."""
    mix = write_clip(tmp_path / "mix.wav", procedural_clip(9.6, 48000, "rock", 3), 48000)
    scenario = {
        "bpm": 100,
        "beats_per_bar": 4,
        "selection": [7.2, 16.8],
        "cursor": 1.0,
        "render_source": str(mix),
    }
    record = run_script(tmp_path, scenario, {"watch": str(watch), "timeout": PATIENCE})

    assert record["messages"] == []
    assert_rendered_and_restored(record, watch / "inbox", 7.2, 16.8)
    name = rendered_name(record)
    output = watch / "outbox" / f"{name}.continuation.wav"
    assert_inserted(record, output, 16.8)
    assert json.loads((watch / "done" / f"{name}.json").read_text()) == {
        "bars": 4,
        "bpm": 100,
        "beats_per_bar": 4,
    }
    assert (watch / "done" / f"{name}.wav").read_bytes() == mix.read_bytes()
    assert_length(output, 48000, bars=4, beats_per_bar=4, bpm=100)
    assert not [path for path in (watch / "inbox").iterdir() if name in path.name]


def test_without_selection_the_last_bars_before_the_cursor(watch: Path, tmp_path: Path) -> None:
    """90 bpm 3/4, no selection, cursor at bar 7: bars 5 and 6 go in, 3 bars come back."""
    mix = write_clip(tmp_path / "mix.wav", procedural_clip(4.0, 44100, "reggae", 4), 44100)
    scenario = {"bpm": 90, "beats_per_bar": 3, "cursor": 12.0, "render_source": str(mix)}
    config = {"watch": str(watch), "timeout": PATIENCE, "last_bars": 2, "bars": 3}
    record = run_script(tmp_path, scenario, config)

    assert record["messages"] == []
    assert_rendered_and_restored(record, watch / "inbox", 8.0, 12.0)
    name = rendered_name(record)
    output = watch / "outbox" / f"{name}.continuation.wav"
    assert_inserted(record, output, 12.0)
    sidecar = json.loads((watch / "done" / f"{name}.json").read_text())
    assert sidecar == {"bars": 3, "bpm": 90, "beats_per_bar": 3}
    assert_length(output, 44100, bars=3, beats_per_bar=3, bpm=90)


def test_an_engine_failure_is_shown_and_nothing_inserted(watch: Path, tmp_path: Path) -> None:
    """A selection with nothing playing renders silence: the engine's reason is shown."""
    silence = write_clip(tmp_path / "silence.wav", np.zeros((2, 4 * 48000), np.float32), 48000)
    scenario = {
        "bpm": 120,
        "beats_per_bar": 4,
        "selection": [2.0, 6.0],
        "render_source": str(silence),
    }
    record = run_script(tmp_path, scenario, {"watch": str(watch), "timeout": PATIENCE})

    assert_rendered_and_restored(record, watch / "inbox", 2.0, 6.0)
    name = rendered_name(record)
    reason = (watch / "failed" / f"{name}.error.txt").read_text().strip()
    assert "silent" in reason
    (message,) = record["messages"]
    assert message == f"Segue could not continue the clip:\n\n{reason}"
    assert called(record, "InsertMedia") == [] and record["tracks"] == []


def test_no_answer_times_out_with_a_hint(tmp_path: Path) -> None:
    """No engine watches the folder: after the timeout a message says what to start."""
    watch = tmp_path / "watch"
    (watch / "inbox").mkdir(parents=True)
    mix = write_clip(tmp_path / "mix.wav", procedural_clip(4.0, 48000, "techno", 5), 48000)
    scenario = {"bpm": 120, "beats_per_bar": 4, "cursor": 8.0, "render_source": str(mix)}
    record = run_script(tmp_path, scenario, {"watch": str(watch), "timeout": 0.5, "last_bars": 2})

    assert_rendered_and_restored(record, watch / "inbox", 4.0, 8.0)
    name = rendered_name(record)
    (message,) = record["messages"]
    assert message.startswith(f"No continuation after 0.5 s. Is `segue serve --watch {watch}`")
    waiting = sorted(path.name for path in (watch / "inbox").iterdir())
    assert waiting == [f"{name}.json", f"{name}.wav"]
    assert (watch / "inbox" / f"{name}.wav").read_bytes() == mix.read_bytes()
    assert called(record, "InsertMedia") == []


def test_a_missing_watch_folder_is_reported_before_rendering(tmp_path: Path) -> None:
    mix = write_clip(tmp_path / "mix.wav", procedural_clip(4.0, 48000), 48000)
    scenario = {"bpm": 120, "beats_per_bar": 4, "selection": [0.0, 4.0], "render_source": str(mix)}
    record = run_script(tmp_path, scenario, {"watch": str(tmp_path / "nowhere")})

    (message,) = record["messages"]
    assert message.startswith(f"Segue: cannot write to {tmp_path / 'nowhere' / 'inbox'}")
    assert f"segue serve --watch {tmp_path / 'nowhere'}" in message
    assert record["renders"] == [] and record["settings"] == USER_SETTINGS


def test_another_project_tab_gets_nothing_inserted(watch: Path, tmp_path: Path) -> None:
    """The user switched project tabs while the engine worked: the answer is not put there."""
    mix = write_clip(tmp_path / "mix.wav", procedural_clip(4.0, 48000, "salsa", 6), 48000)
    scenario = {
        "bpm": 120,
        "beats_per_bar": 4,
        "selection": [0.0, 4.0],
        "render_source": str(mix),
        "switch_project": True,
    }
    record = run_script(tmp_path, scenario, {"watch": str(watch), "timeout": PATIENCE})

    output = watch / "outbox" / f"{rendered_name(record)}.continuation.wav"
    (message,) = record["messages"]
    assert message.endswith(f"The continuation is {output}") and output.exists()
    assert called(record, "InsertMedia") == [] and record["tracks"] == []


def test_a_cancelled_render_leaves_nothing_behind(tmp_path: Path) -> None:
    """The fake renders nothing, as when the user cancels REAPER's render window."""
    watch = tmp_path / "watch"
    (watch / "inbox").mkdir(parents=True)
    scenario = {"bpm": 120, "beats_per_bar": 4, "selection": [0.0, 4.0]}
    record = run_script(tmp_path, scenario, {"watch": str(watch)})

    assert record["messages"] == [
        "Segue: REAPER did not render the clip (was the render cancelled?)"
    ]
    assert record["settings"] == USER_SETTINGS
    assert list((watch / "inbox").iterdir()) == []


def test_a_clip_under_half_a_second_is_refused_before_rendering(tmp_path: Path) -> None:
    """The edit cursor 0.3 s into the project, no selection: nothing to continue."""
    scenario = {"bpm": 120, "beats_per_bar": 4, "cursor": 0.3}
    record = run_script(tmp_path, scenario, {"watch": str(tmp_path)})

    (message,) = record["messages"]
    assert message.startswith("Segue: the clip is shorter than half a second")
    assert record["renders"] == [] and list(tmp_path.glob("*.json")) == []


@pytest.mark.skipif(LUAC is None, reason="luac5.4 is not installed (Debian: apt install lua5.4)")
def test_every_lua_file_compiles() -> None:
    files = [*SCRIPT.parent.glob("*.lua"), TESTS / "reaper_fake.lua"]
    assert SCRIPT in files
    for file in files:
        done = subprocess.run([LUAC, "-p", str(file)], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr

"""Segue's Ardour action, run for real: Ardour 7's headless Lua host (`ardour7-lua`, Dummy
backend) loads a session and runs bridge/daws/ardour/segue_continue.lua, the code the editor
runs, against a real `segue serve --watch`: it renders the range with Ardour's own exporter,
writes the sidecar, waits for the continuation and hands it on to be imported.

The import is the one step done differently from the editor, through the session's Lua API
rather than the GUI under Xvfb. Ardour 7.3's Lua has no call that makes a region from a file
outside the GUI (no source factory, no session import: the action's `Editor:do_import` needs
the editor), and the GUI was not run: Xvfb was not installed where this was written, and the GUI
would need its start-up dialogs driven and the action bound by hand. So the test imports as
Ardour does with "copy files to session": between two Ardour processes it adds the file to the
saved session (sources and a whole-file region in the .ardour XML), and headless.lua then puts a
copy of that region on a new track at the position the action asked for, with Ardour's Lua API
(region factory, playlist). A fresh Ardour process reads the result back. `Editor:do_import`,
the selection and the progress window, the action's editor side, are not run here.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from ardour_session import ARDOUR_LUA, add_whole_file_region, headless
from helpers import procedural_clip, write_clip
from serving import PATIENCE

pytestmark = [
    pytest.mark.engine,  # the shared engine: tests/scheduling.py
    pytest.mark.skipif(
        ARDOUR_LUA is None,
        reason="Ardour is not installed (no ardour7-lua: Debian package `ardour`)",
    ),
]

RATE, BPM, BEATS_PER_BAR = 48000, 100, 3  # 3/4, so that a missing beats_per_bar (4) shows
BAR = BEATS_PER_BAR * 60 * RATE // BPM  # 86400 samples
CLIP_BARS = 8
NAME = "song"


@pytest.fixture(scope="module")
def session(tmp_path_factory) -> Path:
    """A session at 100 bpm in 3/4 with an 8-bar procedural clip at the start of track "Clip"."""
    root = tmp_path_factory.mktemp("ardour")
    folder = root / NAME
    headless("create", folder, NAME, RATE, BPM, BEATS_PER_BAR)
    samples = procedural_clip(CLIP_BARS * BAR / RATE, RATE, "rock", seed=3)
    clip = write_clip(root / "clip.wav", samples, RATE, subtype="FLOAT")
    headless("place", folder, NAME, add_whole_file_region(folder, NAME, clip), "Clip", 0)
    return folder


def run_action(
    session: Path, watch: Path, playhead: int = 0, selection: tuple[int, int] | None = None, **more
) -> list[list[str]]:
    """The action as the editor runs it, with this playhead, selected range and settings."""
    selected = "none" if selection is None else "{}-{}".format(*selection)
    settings = [
        f"{key}={value}" for key, value in {"watch": watch, "timeout": PATIENCE, **more}.items()
    ]
    return headless("continue", session, NAME, playhead, selected, *settings)


def sent(output: str) -> tuple[dict, np.ndarray]:
    """The sidecar and the clip the action sent, as the engine filed them in done/."""
    done = Path(output).parents[1] / "done" / Path(output).name.replace(".continuation", "")
    return json.loads(done.with_suffix(".json").read_text()), sf.read(done, always_2d=True)[0]


def clip_range(session: Path, first: int, last: int) -> np.ndarray:
    audio = next((session / "interchange").glob("*/audiofiles/clip.wav"))
    return sf.read(audio, always_2d=True, start=first, stop=last)[0]


def test_the_last_bars_before_the_playhead_land_on_a_new_track_after_them(session, watch) -> None:
    playhead = 6 * BAR + 40000  # inside bar 7: the four bars before it are bars 3 to 6
    [(verb, position, output)] = run_action(session, watch, playhead)
    first, last = 2 * BAR, 6 * BAR
    assert (verb, int(position)) == ("import", last)

    sidecar, clip = sent(output)
    assert sidecar == {"bars": 4, "bpm": BPM, "beats_per_bar": BEATS_PER_BAR}
    assert np.abs(clip - clip_range(session, first, last)).max() < 1e-3  # Ardour's render
    continuation = sf.read(output, always_2d=True)[0]
    assert continuation.shape == (4 * BAR, 2)

    region = add_whole_file_region(session, NAME, Path(output))
    headless("place", session, NAME, region, "Segue", last)
    regions = {track: fields for _region, track, *fields in headless("list", session, NAME)}
    assert regions["Clip"][:2] == ["0", str(CLIP_BARS * BAR)]
    position, length, peak = regions["Segue"]
    assert (int(position), int(length)) == (last, 4 * BAR)
    assert float(peak) == pytest.approx(np.abs(continuation).max(), abs=1e-4)


@pytest.mark.slow
def test_a_selected_range_is_sent_and_continued_for_as_many_bars(session, watch) -> None:
    first, last = BAR + BAR // 3, 3 * BAR  # from bar 2 beat 2 to bar 4: five beats
    [(verb, position, output)] = run_action(session, watch, selection=(first, last))
    assert (verb, int(position)) == ("import", last)
    sidecar, clip = sent(output)
    assert sidecar["bars"] == pytest.approx(5 / 3, abs=1e-12)
    assert (sidecar["bpm"], sidecar["beats_per_bar"]) == (BPM, BEATS_PER_BAR)
    assert clip.shape == (last - first, 2)
    assert sf.info(output).frames == last - first


@pytest.mark.slow
def test_the_bars_to_send_and_to_continue_are_settings(session, watch) -> None:
    [(verb, position, output)] = run_action(session, watch, 5 * BAR, bars=2, length=3.5)
    assert (verb, int(position)) == ("import", 5 * BAR)
    sidecar, clip = sent(output)
    assert sidecar == {"bars": 3.5, "bpm": BPM, "beats_per_bar": BEATS_PER_BAR}
    assert clip.shape == (2 * BAR, 2)
    assert sf.info(output).frames == 3.5 * BAR


def test_the_engines_reason_is_told_and_nothing_is_imported(session, watch) -> None:
    [(verb, text)] = run_action(session, watch, selection=(BAR, BAR + RATE // 4))
    assert verb == "tell"
    assert text.startswith("Segue could not continue the clip: ")
    assert "0.5 s" in text


def test_a_range_without_regions_is_not_sent(session, watch) -> None:
    assert run_action(session, watch, selection=(10 * BAR, 12 * BAR)) == [
        ["tell", "there is nothing to send: no track has a region in the range"]
    ]
    assert not list((watch / "inbox").iterdir())


def test_no_watch_folder_says_how_to_start_the_engine(session, tmp_path) -> None:
    nowhere = tmp_path / "nowhere"
    [(verb, text)] = run_action(session, nowhere, 6 * BAR)
    assert verb == "tell"
    assert text == f"no watch folder at {nowhere}: start `segue serve --watch {nowhere}` first"


def test_a_playhead_in_the_first_bar_asks_for_a_range(session, watch) -> None:
    [(verb, text)] = run_action(session, watch, BAR // 2)
    assert verb == "tell"
    assert text.startswith("the playhead is in the first bar")

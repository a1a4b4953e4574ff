"""Ardour sessions driven headless for the tests: `ardour7-lua` (Dummy backend) running
bridge/daws/ardour/headless.lua, one process per step, and the one step Ardour's Lua cannot do
without the GUI, importing a file, done by adding it to the saved session file."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import soundfile as sf
from serving import PATIENCE

ARDOUR_LUA = shutil.which("ardour7-lua")
HEADLESS = Path(__file__).resolve().parents[1] / "bridge" / "daws" / "ardour" / "headless.lua"
SUPERCLOCK_PER_SECOND = 282_240_000  # Ardour 7 keeps session times in these ticks
STEP_TIMEOUT = 2 * PATIENCE  # the action itself waits up to PATIENCE for the engine


def headless(*args: object) -> list[list[str]]:
    """Run one headless.lua command in its own process (Ardour holds one session per process);
    return its `segue:` lines split into fields, after checking that it got to the end.

    Ardour 7.3 was seen to abort in its own teardown ("free(): invalid next size", once in a
    run of the suite on a slow machine) after the command had done its work and said so: a death
    by a signal after "ok" is Ardour's teardown, not the step's result."""
    command = ["timeout", str(STEP_TIMEOUT), ARDOUR_LUA, str(HEADLESS), *map(str, args)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=STEP_TIMEOUT + 10)
    lines = [line.split("\t")[1:] for line in done.stdout.splitlines() if line.startswith("segue:")]
    if ["ok"] not in lines or done.returncode > 0:
        raise AssertionError(
            f"{' '.join(command)} ended with status {done.returncode}:\n{done.stdout}{done.stderr}"
        )
    return [line for line in lines if line != ["ok"]]


def add_whole_file_region(session: Path, name: str, audio: Path) -> str:
    """Import `audio` as Ardour's import does with "copy files to session": copy it into the
    session's audio folder and declare one source per channel and a whole-file region over them.
    Returns the region's name. The session must not be open in any process."""
    info = sf.info(audio)
    copied = next((session / "interchange").glob("*/audiofiles")) / audio.name
    shutil.copyfile(audio, copied)
    file = session / f"{name}.ardour"
    tree = ET.parse(file)
    root = tree.getroot()
    next_id = int(root.get("id-counter"))
    sources = [next_id + channel for channel in range(info.channels)]
    region_id = next_id + info.channels
    root.set("id-counter", str(region_id + 1))
    for channel, source in enumerate(sources):
        attributes = {"name": copied.name, "type": "audio", "flags": "", "id": str(source)}
        attributes |= {"channel": str(channel), "origin": str(audio), "gain": "1"}
        ET.SubElement(root.find("Sources"), "Source", attributes)
    length = info.frames * SUPERCLOCK_PER_SECOND // info.samplerate
    region = {
        "name": audio.stem,
        "id": str(region_id),
        "type": "audio",
        "whole-file": "1",
        "import": "1",
        "start": "a0",
        "length": f"a{length}@a0",
        "channels": str(info.channels),
    }
    for channel, source in enumerate(sources):
        region[f"source-{channel}"] = region[f"master-source-{channel}"] = str(source)
    ET.SubElement(root.find("Regions"), "Region", region)
    tree.write(file, encoding="UTF-8", xml_declaration=True)
    return audio.stem

"""The watch folder: a real daemon, a real watchdog observer, files written as DAWs write them."""

from __future__ import annotations

import io
import json
import os
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import procedural_clip
from serving import Daemon, wait_for

RATE = 48000


def wav_bytes(seconds: float = 6.0, rate: int = RATE, channels: int = 2, seed: int = 1) -> bytes:
    samples = procedural_clip(seconds, rate, "techno", seed)[:channels]
    buffer = io.BytesIO()
    sf.write(buffer, samples.T, rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def drop(inbox: Path, name: str, data: bytes, sidecar: dict | None = None) -> Path:
    """What a careful DAW script does: sidecar first, then the clip renamed in whole."""
    if sidecar is not None:
        (inbox / Path(name).with_suffix(".json")).write_text(json.dumps(sidecar))
    temp = inbox / f".{name}.part"
    temp.write_bytes(data)
    os.rename(temp, inbox / name)
    return inbox / name


def job_lines(daemon: Daemon, name: str) -> list[str]:
    return [line for line in daemon.log().splitlines() if f"job inbox/{name} " in line]


def test_the_four_folders_and_a_dropped_clip(engine: Daemon, watch: Path) -> None:
    assert {p.name for p in watch.iterdir()} >= {"inbox", "outbox", "done", "failed"}
    data = wav_bytes(channels=1, rate=44100)
    drop(watch / "inbox", "take 1.wav", data)
    output = watch / "outbox" / "take 1.continuation.wav"
    wait_for(output.exists, engine.process)
    info = sf.info(output)
    assert (info.samplerate, info.channels, info.frames) == (44100, 1, 10 * 44100)
    wait_for((watch / "done" / "take 1.wav").exists)
    assert (watch / "done" / "take 1.wav").read_bytes() == data
    assert not (watch / "inbox" / "take 1.wav").exists()
    wait_for(lambda: job_lines(engine, "take 1.wav"))  # logged once the job has ended
    assert len(job_lines(engine, "take 1.wav")) == 1


def test_a_sidecar_sets_bars_variations_and_the_output_name(engine: Daemon, watch: Path) -> None:
    sidecar = {"bars": 4, "bpm": 120, "variations": 2, "seed": 3, "output": "../escape/next"}
    drop(watch / "inbox", "groove.wav", wav_bytes(seed=2), sidecar)
    outputs = [watch / "outbox" / "next.wav", watch / "outbox" / "next.v2.wav"]
    wait_for(lambda: all(path.exists() for path in outputs), engine.process)
    first, second = (sf.read(path)[0] for path in outputs)
    assert first.shape == second.shape == (8 * RATE, 2)  # 4 bars at 120 bpm
    assert not np.allclose(first, second)
    wait_for((watch / "done" / "groove.json").exists)
    assert json.loads((watch / "done" / "groove.json").read_text()) == sidecar


def test_a_clip_written_slowly_is_read_once_and_whole(engine: Daemon, watch: Path) -> None:
    data = wav_bytes(seed=3)
    chunks = [data[i : i + len(data) // 20] for i in range(0, len(data), len(data) // 20)]
    with open(watch / "inbox" / "slow.wav", "wb") as export:  # one handle, like a DAW's export
        for chunk in chunks:
            export.write(chunk)
            export.flush()
            time.sleep(1.5 if chunk is chunks[10] else 0.12)  # a pause past the half second
    with open(watch / "inbox" / "appended.wav", "wb"):  # opened and closed for every chunk
        pass
    for chunk in chunks:
        with open(watch / "inbox" / "appended.wav", "ab") as export:
            export.write(chunk)
        time.sleep(0.2)
    for name in ("slow", "appended"):
        wait_for((watch / "outbox" / f"{name}.continuation.wav").exists, engine.process)
        wait_for((watch / "done" / f"{name}.wav").exists)
        assert (watch / "done" / f"{name}.wav").read_bytes() == data
    wait_for(lambda: job_lines(engine, "slow.wav"))  # logged once the job has ended
    assert len(job_lines(engine, "slow.wav")) == 1  # read once: never while it was growing
    assert not (watch / "failed" / "slow.wav").exists()
    assert not (watch / "failed" / "appended.wav").exists()


def test_bad_clips_land_in_failed_with_the_reason(
    engine: Daemon, watch: Path, tmp_path: Path
) -> None:
    nan = np.full((2, RATE), np.nan, dtype=np.float32)
    sf.write(tmp_path / "nan.wav", nan.T, RATE, subtype="FLOAT")
    sf.write(tmp_path / "silent.wav", np.zeros((RATE, 2)), RATE)
    bad = {
        "notes.wav": (b"these are my lyrics, not audio", None, "not audio"),
        "empty.wav": (b"", None, "empty"),
        "cut.wav": (wav_bytes()[:3000], None, "truncated"),
        "nan.wav": ((tmp_path / "nan.wav").read_bytes(), None, "NaN"),
        "silent.wav": ((tmp_path / "silent.wav").read_bytes(), None, "silent"),
        "badside.wav": (wav_bytes(), {"bars": 4}, "bars with bpm"),
    }
    for name, (data, sidecar, _) in bad.items():
        drop(watch / "inbox", name, data, sidecar)
    for name, (data, _, reason) in bad.items():
        stem = Path(name).stem
        error = watch / "failed" / f"{stem}.error.txt"
        wait_for(error.exists, engine.process)
        text = error.read_text()
        assert reason in text and text.count("\n") == 1, text
        assert (watch / "failed" / name).read_bytes() == data
        assert not (watch / "outbox" / f"{stem}.continuation.wav").exists()


def test_hidden_temp_and_other_files_are_left_alone(engine: Daemon, watch: Path) -> None:
    names = [".hidden.wav", "export.wav.part", "export.wav.tmp", "backup.wav~", "notes.txt"]
    for name in names:
        (watch / "inbox" / name).write_bytes(wav_bytes(seconds=1))
    drop(watch / "inbox", "after.wav", wav_bytes(seconds=2))  # a clip after them is served
    wait_for((watch / "outbox" / "after.continuation.wav").exists, engine.process)
    time.sleep(0.5)
    assert all((watch / "inbox" / name).exists() for name in names)
    assert not [line for name in names for line in job_lines(engine, name)]


def test_a_name_already_in_done_is_never_overwritten(engine: Daemon, watch: Path) -> None:
    first, second = wav_bytes(seed=4), wav_bytes(seed=5)
    drop(watch / "inbox", "again.wav", first)
    wait_for((watch / "done" / "again.wav").exists, engine.process)
    drop(watch / "inbox", "again.wav", second)
    wait_for((watch / "done" / "again-2.wav").exists, engine.process)
    assert (watch / "done" / "again.wav").read_bytes() == first
    assert (watch / "done" / "again-2.wav").read_bytes() == second


@pytest.mark.slow
def test_kill_9_mid_job_and_restart_loses_nothing(tmp_path: Path) -> None:
    """Three engines, each started on the same folder (every start loads torch, a minute and
    more on a slow machine): a clip in flight when the engine is killed is retried by the next
    one; a clip that stopped the engine twice is given up on, with the reason; the rest is done;
    a half-written output that a killed engine left behind is cleared away."""
    root = tmp_path / "watch"
    inbox = root / "inbox"
    inbox.mkdir(parents=True)
    journal = root / ".segue-journal.json"
    stale = root / "outbox" / ".old.continuation.wav.0123456789ab.part"
    stale.parent.mkdir()
    stale.write_bytes(b"half a file from an engine that was killed")

    def started(name: str, attempts: int):
        return lambda: journal.exists() and json.loads(journal.read_text()).get(name) == attempts

    # left in the inbox before the engine starts: a long job first, then two short ones
    long = drop(inbox, "a-long.wav", wav_bytes(seed=6), {"seconds": 60})
    drop(inbox, "b.wav", wav_bytes(seed=7))
    drop(inbox, "c.wav", wav_bytes(seed=8))
    clip = long.read_bytes()
    for attempt in (1, 2):
        with Daemon(tmp_path / f"log{attempt}", "--watch", str(root)) as daemon:
            wait_for(started("a-long.wav", attempt), daemon.process)
            daemon.kill()
            assert not stale.exists()
        assert long.read_bytes() == clip  # still there, whole, for the next engine
    with Daemon(tmp_path / "log3", "--watch", str(root)) as daemon:
        error = root / "failed" / "a-long.error.txt"
        for done in (error, root / "done" / "b.wav", root / "done" / "c.wav"):
            wait_for(done.exists, daemon.process)
        assert "the engine stopped 2 times while continuing it" in error.read_text()
        assert (root / "failed" / "a-long.wav").read_bytes() == clip
        outputs = [root / "outbox" / f"{name}.continuation.wav" for name in ("a-long", "b", "c")]
        assert [path.exists() for path in outputs] == [False, True, True]
        assert not list(inbox.iterdir())
        assert json.loads(journal.read_text()) == {}

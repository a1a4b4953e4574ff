"""The watch folder: a real daemon, a real watchdog observer, files written as DAWs write them."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from filelock import FileLock, Timeout
from helpers import procedural_clip, write_clip
from serving import PATIENCE, SEGUE, Daemon, wait_for

from segue.engine.watchfolder import OPEN_WRITER_SECONDS, WatchFolder

pytestmark = pytest.mark.engine  # the shared engine: tests/scheduling.py

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


def journal_entry(root: Path, name: str) -> dict:
    """The crash journal's entry for a clip: the jobs started on it, and their outputs."""
    journal = root / ".segue-journal.json"
    return json.loads(journal.read_text()).get(name, {}) if journal.exists() else {}


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
        assert len(job_lines(engine, name)) == 1  # renamed in whole: never retried


def test_hidden_temp_and_other_files_are_left_alone(engine: Daemon, watch: Path) -> None:
    names = [".hidden.wav", "export.wav.part", "export.wav.tmp", "backup.wav~", "notes.txt"]
    for name in names:
        (watch / "inbox" / name).write_bytes(wav_bytes(seconds=1))
    drop(watch / "inbox", "after.wav", wav_bytes(seconds=2))  # a clip after them is served
    wait_for((watch / "outbox" / "after.continuation.wav").exists, engine.process)
    time.sleep(0.5)
    assert all((watch / "inbox" / name).exists() for name in names)
    assert not [line for name in names for line in job_lines(engine, name)]


def test_a_name_already_in_done_or_outbox_is_never_overwritten(engine: Daemon, watch: Path) -> None:
    first, second = wav_bytes(seed=4), wav_bytes(seed=5)
    drop(watch / "inbox", "again.wav", first)
    wait_for((watch / "done" / "again.wav").exists, engine.process)
    drop(watch / "inbox", "again.wav", second)
    wait_for((watch / "done" / "again-2.wav").exists, engine.process)
    assert (watch / "done" / "again.wav").read_bytes() == first
    assert (watch / "done" / "again-2.wav").read_bytes() == second
    outputs = [watch / "outbox" / f"{stem}.continuation.wav" for stem in ("again", "again-2")]
    assert all(path.exists() for path in outputs)  # the second did not replace the first
    assert outputs[0].read_bytes() != outputs[1].read_bytes()


HAS_FFMPEG = shutil.which("ffmpeg") is not None and shutil.which("ffprobe") is not None


def summaries(daemon: Daemon, name: str) -> list[str]:
    """What each finished job on the clip wrote, as its log line says: `a -> b, c (clip in d)`."""
    return [re.search(r" -> (.*) \(clip in", line).group(1) for line in job_lines(daemon, name)]


def test_two_clips_of_one_stem_get_two_outputs(engine: Daemon, watch: Path, tmp_path: Path) -> None:
    """song.wav and song.m4a (song.flac where ffmpeg, which reads m4a, is not installed)."""
    wav = write_clip(tmp_path / "song.wav", procedural_clip(6.0, RATE, "techno", 20), RATE)
    other = tmp_path / ("song.m4a" if HAS_FFMPEG else "song.flac")
    if HAS_FFMPEG:
        subprocess.run(
            ["ffmpeg", "-nostdin", "-v", "error", "-i", wav, "-c:a", "aac", "-b:a", "128k", other],
            check=True, timeout=PATIENCE,
        )  # fmt: skip
    else:
        write_clip(other, procedural_clip(6.0, RATE, "techno", 20), RATE)
    write_clip(wav, procedural_clip(6.0, RATE, "techno", 21), RATE)  # another song
    for clip in (wav, other):
        drop(watch / "inbox", clip.name, clip.read_bytes())
    for clip in (wav, other):
        wait_for((watch / "done" / clip.name).exists, engine.process)
        assert (watch / "done" / clip.name).read_bytes() == clip.read_bytes()
    wait_for(lambda: job_lines(engine, other.name) and job_lines(engine, "song.wav"))
    written = summaries(engine, "song.wav") + summaries(engine, other.name)
    assert sorted(written) == ["song-2.continuation.wav", "song.continuation.wav"]
    first, second = (sf.read(watch / "outbox" / name)[0] for name in written)
    assert first.shape == second.shape == (10 * RATE, 2) and not np.allclose(first, second)


def test_four_bad_clips_of_one_stem_leave_four_reasons(engine: Daemon, watch: Path) -> None:
    names = ["rand.wav", "rand.flac", "rand.ogg", "rand.mp3"]
    for name in names:
        drop(watch / "inbox", name, b"not audio in any format " * 100)
    notes = [watch / "failed" / f"{stem}.error.txt" for stem in ("rand", "rand-2", "rand-3")]
    notes.append(watch / "failed" / "rand-4.error.txt")
    wait_for(lambda: all(note.exists() for note in notes), engine.process)
    reasons = {note.read_text().split(":")[0]: note for note in notes}
    assert sorted(reasons) == sorted(names)  # each note names its clip, kept beside it
    for name, note in reasons.items():
        kept = note.with_name(note.name.replace(".error.txt", Path(name).suffix))
        assert kept.exists() and "cannot read" in note.read_text()


def test_one_sidecar_serves_every_clip_of_its_stem(engine: Daemon, watch: Path) -> None:
    """`twin.json` is for twin.wav and twin.flac; `twin.ogg.json` for twin.ogg alone."""
    inbox = watch / "inbox"
    (inbox / "twin.json").write_text(json.dumps({"seconds": 3}))
    (inbox / "twin.ogg.json").write_text(json.dumps({"seconds": 2}))
    samples = procedural_clip(6.0, RATE, "techno", 22)
    for name, fmt in (("twin.wav", "WAV"), ("twin.flac", "FLAC"), ("twin.ogg", "OGG")):
        buffer = io.BytesIO()
        sf.write(buffer, samples.T, RATE, format=fmt)
        drop(inbox, name, buffer.getvalue())
    for name in ("twin.wav", "twin.flac", "twin.ogg"):
        wait_for(lambda name=name: job_lines(engine, name), engine.process)
        [written] = summaries(engine, name)
        seconds = 2 if name == "twin.ogg" else 3
        assert sf.info(watch / "outbox" / written).frames == seconds * RATE, name
    kept = [path for path in (watch / "done").glob("twin*") if path.suffix != ".json"]
    assert sorted(path.suffix for path in kept) == [".flac", ".ogg", ".wav"]
    for clip in kept:  # each with a copy of the sidecar that served it, under its own stem
        seconds = 2 if clip.suffix == ".ogg" else 3
        assert json.loads(clip.with_suffix(".json").read_text()) == {"seconds": seconds}
    assert not list(inbox.glob("twin*"))  # each sidecar left inbox/ with its last clip


def test_only_a_clip_that_changed_after_it_failed_is_tried_again(
    engine: Daemon, watch: Path, tmp_path: Path
) -> None:
    """A hard link made into inbox/ is reported as created, never as closed: not known to be
    complete. A clip or sidecar that did not read may have been half written: it is tried
    again if it changes, and fails with its reason once it has not changed for a while (the
    same bytes fail the same way); a sidecar that reads but says something wrong fails at once.
    """
    cases = {
        "linked-noise.wav": (b"not audio yet" * 100, None, "cannot read"),
        "linked-half.wav": (wav_bytes(seed=23), '{"bars": 4, "bp', "not JSON"),
        "linked-bars.wav": (wav_bytes(seed=24), '{"bars": 4}', "bars with bpm"),
    }
    whole = wav_bytes(seed=28)
    for name, data, sidecar in [
        *((name, data, sidecar) for name, (data, sidecar, _) in cases.items()),
        ("linked-grows.wav", whole[:3000], None),  # the rest comes once it has failed
    ]:
        if sidecar is not None:
            (watch / "inbox" / Path(name).with_suffix(".json")).write_text(sidecar)
        (tmp_path / name).write_bytes(data)
        os.link(tmp_path / name, watch / "inbox" / name)
    wait_for(lambda: job_lines(engine, "linked-grows.wav"), engine.process)
    with open(watch / "inbox" / "linked-grows.wav", "ab") as export:
        export.write(whole[3000:])
    wait_for(lambda: len(job_lines(engine, "linked-grows.wav")) == 2, engine.process)
    assert (watch / "done" / "linked-grows.wav").read_bytes() == whole
    for name, (_, _, reason) in cases.items():
        error = watch / "failed" / f"{Path(name).stem}.error.txt"
        wait_for(error.exists, engine.process)
        assert reason in error.read_text()
        assert len(job_lines(engine, name)) == 1, name  # attempted once
    for name in ("linked-noise.wav", "linked-half.wav"):  # watched, unchanged, failed
        assert f"'{name}': unchanged since it failed" in engine.log()


def test_a_sidecar_that_cannot_be_read_fails_its_clip_in_words(
    engine: Daemon, watch: Path, tmp_path: Path
) -> None:
    """A FIFO stopped the model's thread until someone wrote to it, a link to /dev/zero grew the
    engine by gigabytes, a 400-digit seed and a deep nesting were internal errors with a
    traceback; a request beyond the budget is refused before the model runs."""
    inbox = watch / "inbox"
    os.mkfifo(inbox / "fifo-side.json")
    (inbox / "zero-side.json").symlink_to("/dev/zero")
    (inbox / "gone-side.wav.json").symlink_to(tmp_path / "never-written.json")
    (inbox / "deep-side.json").write_text("[" * 100_000 + "]" * 100_000)
    cases = {
        "fifo-side.wav": (None, "not a plain file"),
        "zero-side.wav": (None, "not a plain file"),
        "gone-side.wav": (None, "No such file"),
        "deep-side.wav": (None, "nested too deeply"),
        "big-side.wav": ({"seed": int("9" * 400)}, "seed is too large"),
        "budget-side.wav": ({"seconds": 600, "variations": 16}, "too much for one request"),
    }
    before = len(engine.log())
    for name, (sidecar, _) in cases.items():
        drop(inbox, name, wav_bytes(seconds=2, seed=29), sidecar)
    for name, (_, reason) in cases.items():
        error = watch / "failed" / f"{Path(name).stem}.error.txt"
        wait_for(error.exists, engine.process)
        assert reason in error.read_text() and error.read_text().count("\n") == 1, name
        assert len(job_lines(engine, name)) == 1, name
    assert (watch / "failed" / "fifo-side.json").is_fifo()  # it left inbox/ with its clip
    assert "Traceback" not in engine.log()[before:]
    drop(inbox, "after-sides.wav", wav_bytes(seconds=2, seed=30))  # and the engine goes on
    wait_for((watch / "outbox" / "after-sides.continuation.wav").exists, engine.process)


def test_a_sidecar_never_replaces_a_file_in_outbox(engine: Daemon, watch: Path) -> None:
    """Not even with `overwrite`: outbox/ is the engine's, and nothing there is replaced."""
    marker = watch / "outbox" / "mine.wav"
    marker.write_bytes(b"a file of my own, put in outbox/ by hand")
    drop(watch / "inbox", "to-mine.wav", wav_bytes(seed=31), {"output": "mine", "overwrite": 1})
    wait_for(lambda: job_lines(engine, "to-mine.wav"), engine.process)
    assert marker.read_bytes() == b"a file of my own, put in outbox/ by hand"
    assert summaries(engine, "to-mine.wav") == ["mine-2.wav"]


def test_reasons_stay_one_short_line(engine: Daemon, watch: Path) -> None:
    """A sidecar's 10 MB unknown key is not copied into the error note or the log, and a line
    break in a clip's name does not break the note or the log's lines."""
    before = len(engine.log())
    drop(watch / "inbox", "huge.wav", wav_bytes(seed=25), {"k" * 10_000_000: 1})
    drop(watch / "inbox", "two\nlines.wav", b"not audio, and a name in two lines")
    for stem in ("huge", "two\nlines"):
        error = watch / "failed" / f"{stem}.error.txt"
        wait_for(error.exists, engine.process)
        text = error.read_text()
        assert len(text.encode()) < 1024 and text.count("\n") == 1, text[:2000]
    assert "unknown key" in (watch / "failed" / "huge.error.txt").read_text()
    wait_for(lambda: job_lines(engine, "two\\nlines.wav"))  # the name, escaped: one line
    assert len(engine.log()) - before < 10_000


def test_a_link_to_nothing_goes_to_failed(engine: Daemon, watch: Path, tmp_path: Path) -> None:
    (watch / "inbox" / "dangling.wav").symlink_to(tmp_path / "never-written.wav")
    (watch / "inbox" / "loop.wav").symlink_to(watch / "inbox" / "loop.wav")
    for stem in ("dangling", "loop"):
        error = watch / "failed" / f"{stem}.error.txt"
        wait_for(error.exists, engine.process)
        assert "a link to nothing" in error.read_text()
        assert (watch / "failed" / f"{stem}.wav").is_symlink()
        assert not os.path.lexists(watch / "inbox" / f"{stem}.wav")
        assert len(job_lines(engine, f"{stem}.wav")) == 1  # counted among the failures


def test_a_clip_renamed_in_from_another_folder_is_taken_at_once(
    engine: Daemon, watch: Path, tmp_path: Path
) -> None:
    """inotify reports such a rename as a "moved to" without its "moved from": a clip complete
    at once, not a writer that has only just created it (which would wait for its close)."""
    (tmp_path / "elsewhere.wav").write_bytes(wav_bytes(seed=26))
    renamed = time.monotonic()
    os.rename(tmp_path / "elsewhere.wav", watch / "inbox" / "elsewhere.wav")
    wait_for(lambda: journal_entry(watch, "elsewhere.wav"), engine.process)  # the job started
    assert time.monotonic() - renamed < OPEN_WRITER_SECONDS / 2
    wait_for((watch / "done" / "elsewhere.wav").exists, engine.process)


def test_a_second_engine_on_a_watched_folder_is_refused(engine: Daemon, watch: Path) -> None:
    second = subprocess.run(
        [SEGUE, "serve", "--osc-port", "0", "--watch", str(watch)],
        capture_output=True, text=True, timeout=PATIENCE,
    )  # fmt: skip
    assert second.returncode == 1
    assert second.stderr.strip().splitlines()[-1] == (
        f"Error: another segue serve is watching {watch}"
    )
    drop(watch / "inbox", "still-served.wav", wav_bytes(seed=27))  # the first engine goes on
    wait_for((watch / "outbox" / "still-served.continuation.wav").exists, engine.process)


def test_a_watch_folder_lets_go_of_its_lock_when_it_stops(tmp_path: Path) -> None:
    folder = WatchFolder(tmp_path, lambda *args: [], lambda job, wait: None)
    folder.start()
    with pytest.raises(Timeout):
        FileLock(tmp_path / ".segue-lock", blocking=False).acquire()
    folder.stop()
    with FileLock(tmp_path / ".segue-lock", blocking=False):
        pass


@pytest.mark.slow
def test_kill_9_mid_job_and_restart_loses_nothing(tmp_path: Path) -> None:
    """Three engines, each started on the same folder (every start loads torch, a minute and
    more on a slow machine): a clip in flight when the engine is killed is retried by the next
    one; a clip that stopped the engine twice is given up on, with the reason; the rest is done;
    a half-written output that a killed engine left behind is cleared away; a clip whose output
    was delivered just before the engine stopped is not continued again."""
    root = tmp_path / "watch"
    inbox = root / "inbox"
    inbox.mkdir(parents=True)
    journal = root / ".segue-journal.json"
    stale = root / "outbox" / ".old.continuation.wav.0123456789ab.part"
    stale.parent.mkdir()
    stale.write_bytes(b"half a file from an engine that was killed")

    def started(name: str, attempts: int):
        return lambda: journal_entry(root, name).get("attempts") == attempts

    # stopped after its output's rename, before the clip left inbox/: the journal knows
    delivered = drop(inbox, "delivered.wav", wav_bytes(seed=9))
    (root / "outbox" / "delivered.continuation.wav").write_bytes(b"the continuation, delivered")
    plan = {"attempts": 1, "outputs": ["delivered.continuation.wav"]}
    journal.write_text(json.dumps({"delivered.wav": plan}))

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
            assert not delivered.exists() and not job_lines(daemon, "delivered.wav")
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
        wait_for(lambda: job_lines(daemon, "c.wav"))  # its job has ended (done/ comes first)
        assert json.loads(journal.read_text()) == {}
    assert (root / "done" / "delivered.wav").read_bytes() == wav_bytes(seed=9)
    assert (root / "outbox" / "delivered.continuation.wav").read_bytes() == (
        b"the continuation, delivered"
    )

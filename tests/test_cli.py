"""The `segue` command as a user runs it: a real process, real files, one-line errors."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from commands import segue, segue_here
from helpers import file_digest, procedural_clip, write_clip
from serving import PATIENCE


def test_continue_mp3_48k_wav_and_a_5_second_clip(tmp_path: Path) -> None:
    clips = {
        "song.mp3": (44100, 12.0),
        "take.wav": (48000, 12.0),
        "short.flac": (44100, 5.0),
    }
    for name, (rate, seconds) in clips.items():
        write_clip(tmp_path / name, procedural_clip(seconds, rate, "reggae"), rate)
    segue("continue", str(tmp_path / "song.mp3"), "--seconds", "4", "--seed", "1")  # a real process
    out = sf.info(tmp_path / "song.continuation.wav")
    assert (out.samplerate, out.channels, out.frames) == (44100, 2, 4 * 44100)

    result = segue_here(  # the other two in this process: each new one loads torch again
        "continue",
        str(tmp_path / "take.wav"),
        "-o",
        str(tmp_path / "next.wav"),
        "--bars",
        "2",
        "--bpm",
        "100",
        "--variations",
        "2",
        "--seed",
        "3",
    )
    assert result.stdout.split() == [str(tmp_path / "next.wav"), str(tmp_path / "next.v2.wav")]
    for path in result.stdout.split():
        info = sf.info(path)
        assert (info.samplerate, info.channels, info.frames) == (48000, 2, round(4.8 * 48000))

    segue_here("continue", str(tmp_path / "short.flac"), "--model", "seed", "--seconds", "3")
    assert sf.info(tmp_path / "short.continuation.wav").frames == 3 * 44100


def test_demo_writes_what_a_person_hears_and_sees(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = segue_here("demo", "-o", str(out), "--seconds", "4", "--clip-seconds", "6")
    names = {p.name for p in out.iterdir()}
    assert {"input.wav", "continuation.wav", "joined.wav", "continuation.png"} <= names
    joined, rate = sf.read(out / "joined.wav")
    assert rate == 44100 and len(joined) == 10 * 44100
    assert (out / "continuation.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "bpm" in result.stdout


def test_presets_lists_both_with_their_facts() -> None:
    lines = segue_here("presets").stdout
    for name, facts in {"default": "24000 Hz", "seed": "12000 Hz"}.items():
        line = next(line for line in lines.splitlines() if line.startswith(name))
        assert facts in line and "2 ch" in line and "window" in line and "parameters" in line
    assert "251,778 parameters" in lines


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda p: p.write_bytes(b""), "empty"),
        (lambda p: p.write_text("not audio at all\n"), "text file"),
        (lambda p: write_clip(p, np.zeros((2, 48000), np.float32), 48000), "silen"),
        (
            lambda p: write_clip(p, np.full((2, 4800), np.nan, np.float32), 48000, subtype="FLOAT"),
            "NaN",
        ),
        (lambda p: p.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" * 50), "corrupt"),
    ],
)
def test_bad_input_gets_one_clear_line_and_is_left_alone(tmp_path: Path, make, words) -> None:
    clip = tmp_path / "clip.wav"
    make(clip)
    before = file_digest(clip)
    message = segue_here("continue", str(clip), ok=False).stderr.strip()
    assert message.startswith("Error: ") and len(message.splitlines()) == 1, message
    assert words in message and "clip.wav" in message
    assert file_digest(clip) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.wav"]


def test_unknown_model_lists_what_is_available(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "c.wav", procedural_clip(3.0, 22050), 22050)
    message = segue_here("continue", str(clip), "--model", "jazz-giant", ok=False).stderr
    assert "jazz-giant" in message and "default" in message and "seed" in message
    not_a_model = tmp_path / "model.safetensors"
    not_a_model.write_bytes(b"\x00" * 100)
    assert (
        "not a safetensors file"
        in segue_here("continue", str(clip), "--model", str(not_a_model), ok=False).stderr
    )


def test_length_options_must_make_sense(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "c.wav", procedural_clip(3.0, 22050), 22050)
    assert "--bpm" in segue_here("continue", str(clip), "--bars", "4", ok=False).stderr
    refused = segue_here("continue", str(clip), "--model", "seed", "--variations", "2", ok=False)
    assert "deterministic" in refused.stderr


def test_a_folder_or_a_missing_file_is_refused_in_one_line(tmp_path: Path) -> None:
    """As a real process: one line on stderr and exit status 1 (the rest run in-process)."""
    for target, words in [(tmp_path, "folder"), (tmp_path / "gone.wav", "no such file")]:
        message = segue("continue", str(target), ok=False).stderr.strip()
        assert message.startswith("Error: ") and len(message.splitlines()) == 1, message
        assert words in message.lower()


def test_the_command_starts_without_loading_torch() -> None:
    """`segue --help` and argument errors answer at once: heavy imports wait for real work."""
    probe = "import sys, segue.cli; print('torch' in sys.modules, 'numpy' in sys.modules)"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert loaded.stdout.split() == ["False", "False"], loaded.stderr


def test_what_can_be_refused_is_refused_before_torch_loads(tmp_path: Path) -> None:
    """The clip, the model file's header, the port and the watch folder are checked before the
    network loads: a bad one is refused at once, not after seconds of loading torch."""
    (tmp_path / "empty.wav").write_bytes(b"")
    clip = write_clip(tmp_path / "c.wav", procedural_clip(3.0, 22050), 22050)
    not_a_model = tmp_path / "model.safetensors"
    not_a_model.write_text("hello")
    (tmp_path / "marker.wav").write_text("a file of mine that Segue did not write")
    (tmp_path / "watch").mkdir()
    (tmp_path / "watch" / "inbox").write_text("a file where the inbox folder should go")
    taken = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    taken.bind(("127.0.0.1", 0))
    probe = (  # each command line in turn, in one fresh process: its reason, then torch or not
        "import json, sys\nfrom segue.cli import main\n"
        "for args in json.loads(sys.argv[1]):\n"
        "    try:\n        main(args, standalone_mode=False)\n"
        "    except Exception as error:\n        print(str(error).replace('\\n', ' '))\n"
        "    print('torch' in sys.modules)"
    )
    refusals = [
        (["continue", str(tmp_path / "empty.wav")], "empty"),
        (["continue", str(tmp_path / "gone.wav")], "no such file"),
        (["continue", str(clip), "--model", "jazz-giant"], "unknown model"),
        (["continue", str(clip), "--bars", "4"], "--bpm"),
        (["continue", str(clip), "--model", "seed", "--variations", "2"], "deterministic"),
        (["continue", str(clip), "--temperature", "3"], "temperature must be 0 to 2"),
        (["continue", str(clip), "--seed", "-1"], "seed must be a whole number from 0"),
        (["continue", str(clip), "--seconds", "600", "--variations", "3"], "too much for one"),
        (["continue", str(clip), "-o", str(tmp_path / "marker.wav")], "Segue did not write it"),
        (["continue", str(clip), "-o", str(tmp_path / "gone" / "x.wav")], "does not exist"),
        (["serve", "--osc-port", "0", "--token", " "], "a token must be at least 8"),
        (["serve", "--model", str(not_a_model)], "not a safetensors file"),
        (["serve", "--osc-port", str(taken.getsockname()[1])], "Address already in use"),
        (["serve", "--osc-port", "0", "--watch", str(tmp_path / "watch")], "as a watch folder"),
    ]
    arguments = json.dumps([args for args, _ in refusals])
    result = subprocess.run([sys.executable, "-c", probe, arguments], capture_output=True,
                            text=True, timeout=PATIENCE)  # fmt: skip
    lines = result.stdout.splitlines()
    assert len(lines) == 2 * len(refusals), result.stdout + result.stderr
    for (args, words), message, torch_loaded in zip(refusals, lines[::2], lines[1::2], strict=True):
        assert words in message and torch_loaded == "False", (args, message, torch_loaded)
    taken.close()


def test_an_output_segue_did_not_write_is_replaced_only_with_overwrite(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "take.wav", procedural_clip(4.0, 44100), 44100)
    marker = tmp_path / "mine.wav"
    marker.write_text("my own notes, named .wav by accident")
    before = file_digest(marker)
    refused = segue_here("continue", str(clip), "-o", str(marker), ok=False).stderr.strip()
    assert refused == (
        f"Error: cannot write '{marker}': it exists and Segue did not write it; choose another "
        "name, or ask to overwrite it"
    )
    assert file_digest(marker) == before
    segue_here("continue", str(clip), "-o", str(marker), "--seconds", "1", "--overwrite")
    assert sf.info(marker).frames == 44100
    segue_here("continue", str(clip), "-o", str(marker), "--seconds", "2")  # Segue's own now
    assert sf.info(marker).frames == 2 * 44100


def test_a_mistake_is_one_line_and_a_bug_keeps_its_traceback(tmp_path: Path) -> None:
    """An unknown preset is the user's mistake: one line, exit status 1. A ValueError from a
    bug is not dressed up as one: `segue` shows its traceback (here a bug is planted in a
    real process, where `segue continue` continues its clip)."""
    refused = segue("preprocess", str(tmp_path), "--cache", str(tmp_path / "c"), "--preset",
                    "nonexistent", ok=False)  # fmt: skip
    assert refused.stderr.strip().splitlines()[-1].startswith("Error: unknown preset")
    assert "Traceback" not in refused.stderr
    clip = write_clip(tmp_path / "clip.wav", procedural_clip(4.0, 44100), 44100)
    planted = (
        "import sys, segue.engine.continuation as c\n"
        "def bug(*a, **k): raise ValueError('a planted bug')\n"
        "c.continue_file = bug\n"
        "from segue.cli import run; run()"
    )
    result = subprocess.run([sys.executable, "-c", planted, "continue", str(clip)],
                            capture_output=True, text=True, timeout=PATIENCE)  # fmt: skip
    assert result.returncode != 0
    assert "Traceback" in result.stderr and "a planted bug" in result.stderr

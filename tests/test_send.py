"""`segue send`, the client DAW scripts and hotkey tools call: a real process, a real daemon."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import soundfile as sf
from helpers import procedural_clip, write_clip
from serving import PATIENCE, SEGUE, Client, Daemon, wait_for

pytestmark = pytest.mark.engine  # the shared engine: tests/scheduling.py

RATE = 48000


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("clips")
    return write_clip(folder / "last bars.wav", procedural_clip(8.0, RATE, "salsa"), RATE)


def send(*args: str, timeout: float = PATIENCE) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SEGUE, "send", *args], capture_output=True, text=True, timeout=timeout)


def test_send_prints_the_outputs_of_exactly_the_bars_asked(engine: Daemon, clip: Path) -> None:
    result = send(str(clip), "--port", str(engine.address[1]), "--bars", "3", "--bpm", "96",
                  "--beats-per-bar", "3", "--variations", "2", "--seed", "1")  # fmt: skip
    assert result.returncode == 0, result.stderr
    first = clip.with_name("last bars.continuation.wav")
    assert result.stdout.splitlines() == [str(first), str(first.with_name(
        "last bars.continuation.v2.wav"))]  # fmt: skip
    assert sf.info(first).frames == round(3 * 3 * 60 / 96 * RATE)


def test_send_with_an_output_relative_to_where_it_runs(engine: Daemon, clip: Path) -> None:
    result = subprocess.run(
        [SEGUE, "send", str(clip), "--port", str(engine.address[1]), "-o", "next.flac"],
        capture_output=True, text=True, timeout=PATIENCE, cwd=clip.parent,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(clip.parent / "next.flac")
    assert sf.info(clip.parent / "next.flac").frames == 10 * RATE


def test_the_engines_reason_comes_back_as_one_line(engine: Daemon, tmp_path: Path) -> None:
    (tmp_path / "broken.wav").write_bytes(b"RIFF\x00\x00")
    result = send(str(tmp_path / "broken.wav"), "--port", str(engine.address[1]))
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"Error: cannot read '{tmp_path / 'broken.wav'}'")
    result = send(str(tmp_path / "broken.wav"), "--port", str(engine.address[1]), "--bars", "4")
    assert result.returncode == 1 and "bars with bpm" in result.stderr


def test_send_replaces_a_file_segue_did_not_write_only_with_overwrite(
    engine: Daemon, clip: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "mine.wav"
    marker.write_bytes(b"my own bytes")
    port = ("--port", str(engine.address[1]), "--seconds", "1", "-o", str(marker))
    refused = send(str(clip), *port)
    assert refused.returncode == 1 and "Segue did not write it" in refused.stderr
    assert marker.read_bytes() == b"my own bytes"
    replaced = send(str(clip), *port, "--overwrite")
    assert replaced.returncode == 0 and replaced.stdout.strip() == str(marker)
    assert sf.info(marker).frames == RATE


def test_a_dead_engine_is_reported_at_once(clip: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    result = send(str(clip), "--port", str(port), "--timeout", str(PATIENCE))
    assert result.returncode == 1
    assert f"no engine is listening on 127.0.0.1:{port}" in result.stderr
    assert time.monotonic() - started < PATIENCE / 10  # no waiting on silence


def test_an_engine_that_never_answers_is_reported_within_the_timeout(clip: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:  # hears, never answers
        silent.bind(("127.0.0.1", 0))
        started = time.monotonic()
        result = send(str(clip), "--port", str(silent.getsockname()[1]), "--timeout", "2")
    assert result.returncode == 1 and "no answer from the engine" in result.stderr
    assert 2 <= time.monotonic() - started < PATIENCE / 10


def test_giving_up_on_a_long_job_cancels_it(engine: Daemon, clip: Path, tmp_path: Path) -> None:
    logged = len(engine.log())  # the engine is shared: only what this test caused counts
    result = send(str(clip), "--port", str(engine.address[1]), "--seconds", "600",
                  "-o", str(tmp_path / "long.wav"), "--timeout", "1.5")  # fmt: skip
    assert result.returncode == 1 and "did not finish within 1.5 s" in result.stderr
    with Client(engine.address) as osc:
        wait_for(lambda: json.loads(osc.ask("/segue/status")[1][0])["running"] is None)
    assert "failed after" in engine.log()[logged:] and "cancelled" in engine.log()[logged:]
    assert not (tmp_path / "long.wav").exists()


def test_the_client_imports_no_torch() -> None:
    probe = "import sys, segue.cli, segue.bridge.client; print('torch' in sys.modules)"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert loaded.stdout.strip() == "False"

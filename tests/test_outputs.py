"""Where a continuation may be written, and the one-line reasons the engine gives."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from segue.engine.audio import write_audio
from segue.engine.outputs import CONTINUATION_MARK, check_output, written_by_segue
from segue.engine.reasons import MAX_REASON_CHARS, one_line, quoted


@pytest.mark.parametrize("suffix", [".wav", ".flac", ".mp3", ".ogg"])
def test_a_continuation_is_known_as_segues_own_in_every_format(tmp_path: Path, suffix) -> None:
    noise = np.random.default_rng(0).normal(0, 0.1, (2, 44100)).astype(np.float32)
    ours = write_audio(tmp_path / f"ours{suffix}", noise, 44100, comment=CONTINUATION_MARK)
    theirs = write_audio(tmp_path / f"theirs{suffix}", noise, 44100)
    assert written_by_segue(ours) and not written_by_segue(theirs)
    check_output(ours)  # may be replaced
    with pytest.raises(ValueError, match="Segue did not write it"):
        check_output(theirs)
    check_output(theirs, overwrite=True)


def test_what_cannot_be_written_is_refused_in_words(tmp_path: Path) -> None:
    (tmp_path / "folder.wav").mkdir()
    (tmp_path / "file").write_text("not a folder")
    (tmp_path / "link.wav").symlink_to(tmp_path / "nowhere.wav")
    for path, words in [
        (tmp_path / "folder.wav", "it is a folder"),
        (tmp_path / "file" / "x.wav", "is not a folder"),
        (tmp_path / "gone" / "x.wav", "does not exist"),
        (tmp_path / ("n" * 240 + ".wav"), "name is longer than"),
        (tmp_path / "link.wav", "Segue did not write it"),  # a link is nobody's continuation
        (tmp_path / "nul\x00.wav", "embedded null"),
    ]:
        with pytest.raises(ValueError) as refused:
            check_output(path, overwrite=words not in ("Segue did not write it",))
        assert words in str(refused.value) and "\n" not in str(refused.value)
    check_output(tmp_path / ("n" * 200 + ".wav"))  # long, and still fits with its temp name


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_refused(tmp_path: Path) -> None:
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(ValueError, match="is not writable"):
            check_output(tmp_path / "x.wav")
    finally:
        tmp_path.chmod(0o700)


def test_a_reason_is_one_bounded_line() -> None:
    assert one_line("clip\nname.wav: bad") == "clip\\nname.wav: bad"
    long = one_line("k" * 10_000_000)
    assert len(long) == MAX_REASON_CHARS and long.endswith("…")
    assert quoted("x" * 1000).startswith("'xxx") and len(quoted("x" * 1000)) == 60
    assert quoted(7) == "7"

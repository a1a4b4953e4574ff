"""Tests for segue.engine.audio: every refusal, round trips, conversions, atomic writes.

All audio is generated here into tmp_path; no audio file is ever committed.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import struct
import subprocess
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from helpers import procedural_clip

from segue.engine import audio as audio_module
from segue.engine.audio import (
    Audio,
    AudioError,
    loudness_db,
    read_audio,
    resample,
    to_stereo,
    write_audio,
)

HAS_FFMPEG = shutil.which("ffmpeg") is not None and shutil.which("ffprobe") is not None
needs_ffmpeg = pytest.mark.skipif(not HAS_FFMPEG, reason="ffmpeg/ffprobe not on PATH")


# --------------------------------------------------------------------------- helpers


def tone(freq: float, seconds: float, rate: int, channels: int = 1, amp: float = 0.5):
    """A sine per channel, [channels, frames] float32; channel c is at freq * (c + 1)."""
    t = np.arange(round(seconds * rate)) / rate
    rows = [amp * np.sin(2 * np.pi * freq * (c + 1) * t) for c in range(channels)]
    return np.asarray(rows, dtype=np.float32)


def noise(seconds: float, rate: int, channels: int = 2, amp: float = 0.3, seed: int = 0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-amp, amp, (channels, round(seconds * rate))).astype(np.float32)


def sf_write(path: Path, samples: np.ndarray, rate: int, **kw) -> Path:
    """Write with soundfile directly (not the code under test)."""
    sf.write(path, samples.T, rate, **kw)
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def dominant_freq(row: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(row * np.hanning(row.size)))
    return float(np.argmax(spectrum) * rate / row.size)


def rms_db(row: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(np.square(row, dtype=np.float64)))))


def assert_refused(path: Path, *fragments: str, **kwargs) -> str:
    """read_audio must raise a one-line AudioError naming the file, and not touch it."""
    before = digest(path) if os.path.isfile(path) else None
    with pytest.raises(AudioError) as info:
        read_audio(path, **kwargs)
    message = str(info.value)
    assert "\n" not in message and "\r" not in message, message
    assert os.fspath(path) in message, message
    reason = message.replace(os.fspath(path), "").lower()  # the path may hold any word
    for fragment in fragments:
        assert fragment.lower() in reason, message
    if before is not None:
        assert digest(path) == before, "read_audio modified the file"
    return message


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# --------------------------------------------------------------------------- refusals


def test_missing_path(tmp_path):
    assert_refused(tmp_path / "take3.wav", "no such file")


def test_missing_parent_folder(tmp_path):
    assert_refused(tmp_path / "nowhere" / "take3.wav", "no such file")


def test_directory(tmp_path):
    folder = tmp_path / "takes.wav"
    folder.mkdir()
    assert_refused(folder, "folder")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this OS")
def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.wav"
    os.mkfifo(fifo)
    assert_refused(fifo, "not a regular file")


def test_empty_file(tmp_path):
    path = tmp_path / "take3.wav"
    path.write_bytes(b"")
    assert_refused(path, "empty")


def test_wav_without_frames(tmp_path):
    path = sf_write(tmp_path / "none.wav", np.zeros((2, 0), np.float32), 48000)
    assert path.stat().st_size > 0
    assert_refused(path, "no audio frames")


def test_random_bytes_with_wav_suffix(tmp_path):
    path = tmp_path / "corrupt.wav"
    path.write_bytes(np.random.default_rng(1).integers(0, 256, 8192, dtype=np.uint8).tobytes())
    assert_refused(path, "not audio", "libsndfile")


@pytest.mark.parametrize("name", ["notes.txt", "notes.wav"])
def test_text_file_is_not_audio(tmp_path, name):
    path = tmp_path / name
    path.write_text("Verse 2: bring in the strings at bar 17.\n" * 40)
    assert_refused(path, "text file, not audio")


def test_truncated_wav_is_refused(tmp_path):
    """Decision: a WAV whose header promises more data than is there is refused."""
    full = sf_write(tmp_path / "full.wav", tone(440, 1.0, 48000, 2), 48000, subtype="PCM_24")
    data = full.read_bytes()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(data[: len(data) // 2])
    message = assert_refused(cut, "truncated", "1.00 s")
    assert "0.50 s" in message
    assert_refused(cut, "truncated", tail_seconds=0.1)
    # Sanity: libsndfile alone would have read the half that is there.
    assert 0 < sf.info(cut).frames < 48000
    # Streaming writers leave 0xFFFFFFFF as the data size: that is not truncation.
    stream = bytearray(data)
    at = stream.find(b"data")
    stream[at + 4 : at + 8] = struct.pack("<I", 0xFFFFFFFF)
    streamed = tmp_path / "streamed.wav"
    streamed.write_bytes(bytes(stream))
    assert read_audio(streamed).frames == 48000


def test_truncated_flac_is_refused(tmp_path):
    full = sf_write(tmp_path / "full.flac", noise(1.0, 48000), 48000, subtype="PCM_24")
    data = full.read_bytes()
    cut = tmp_path / "cut.flac"
    cut.write_bytes(data[: len(data) // 2])
    assert_refused(cut)  # "corrupt" or "truncated", depending on where the cut falls


def test_truncated_mp3_is_refused(tmp_path):
    full = sf_write(tmp_path / "full.mp3", tone(440, 2.0, 44100, 2), 44100, format="MP3")
    data = full.read_bytes()
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(data[: len(data) // 2])
    assert_refused(cut, "truncated")


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_inf_samples(tmp_path, bad):
    samples = tone(440, 0.5, 48000, 2)
    samples[1, 1000:1010] = bad
    path = sf_write(tmp_path / "bad.wav", samples, 48000, subtype="FLOAT")
    assert_refused(path, "nan or infinite", "(10 of 48000)")


def test_digital_silence(tmp_path):
    path = sf_write(tmp_path / "silent.wav", np.zeros((2, 48000), np.float32), 48000)
    assert_refused(path, "silent", "peak -inf dbfs")


def test_near_silence_reports_measured_peak(tmp_path):
    samples = noise(0.5, 48000, amp=1.0)
    samples *= 1e-5 / np.max(np.abs(samples))  # peak exactly -100 dBFS
    path = sf_write(tmp_path / "hiss.wav", samples, 48000, subtype="FLOAT")
    assert_refused(path, "silent", "peak -100.0 dbfs", "-90 dbfs")


def test_one_lsb_of_16_bit_counts_as_silence(tmp_path):
    """Decision: dither-level content (±1 LSB at 16 bit, -90.3 dBFS) is silence."""
    ints = np.random.default_rng(2).integers(-1, 2, (48000, 2)).astype(np.int16)
    path = tmp_path / "dither.wav"
    sf.write(path, ints, 48000, subtype="PCM_16")
    assert_refused(path, "silent", "-90.3 dbfs")


def test_quiet_audio_is_accepted(tmp_path):
    samples = tone(440, 0.5, 48000, amp=10 ** (-80 / 20))
    path = sf_write(tmp_path / "quiet.wav", samples, 48000, subtype="PCM_24")
    assert read_audio(path).frames == 24000


def test_silent_tail_is_refused_but_whole_file_is_not(tmp_path):
    samples = np.concatenate([tone(440, 1.0, 48000), np.zeros((1, 48000), np.float32)], axis=1)
    path = sf_write(tmp_path / "fade.wav", samples, 48000)
    assert read_audio(path).frames == 96000
    assert_refused(path, "the last 0.5 s is silent", tail_seconds=0.5)


def test_clipped_audio_is_accepted_and_not_altered(tmp_path):
    samples = tone(440, 0.5, 48000, amp=1.5)
    path = sf_write(tmp_path / "hot.wav", samples, 48000, subtype="FLOAT")
    got = read_audio(path)
    assert np.max(np.abs(got.samples)) == pytest.approx(1.5, abs=1e-3)
    square = np.sign(tone(440, 0.5, 48000)).astype(np.float32)
    path16 = sf_write(tmp_path / "square.wav", square, 48000, subtype="PCM_16")
    assert np.max(np.abs(read_audio(path16).samples)) == pytest.approx(1.0, abs=1e-4)


def test_unreadable_file(tmp_path):
    """Root reads anything, so as root the read happens in a forked child as 'nobody'."""
    if not hasattr(os, "geteuid"):
        pytest.skip("POSIX permissions are needed to make a file unreadable")
    folder = Path(tempfile.mkdtemp(prefix="segue-unreadable-"))  # tmp_path's parent is 0700
    path = folder / "locked.wav"
    try:
        folder.chmod(0o755)
        sf_write(path, tone(440, 0.2, 48000), 48000)
        before = digest(path)
        path.chmod(0)
        if os.geteuid() != 0:
            assert_refused(path, "permission denied")
        else:
            message = _read_as_nobody(path)
            assert message.startswith("AudioError:"), message
            assert "permission denied" in message and str(path) in message
            assert "\n" not in message
            path.chmod(0o644)
            assert _read_as_nobody(path) == "OK:"  # the same child reads it once allowed to
        path.chmod(0o644)
        assert digest(path) == before
    finally:
        if path.exists():
            path.chmod(0o644)
        shutil.rmtree(folder, ignore_errors=True)


def _read_as_nobody(path: Path) -> str:
    """read_audio(path) in a child that has dropped root; returns 'Type:message'."""
    import pwd

    try:
        nobody = pwd.getpwnam("nobody")
        uid, gid = nobody.pw_uid, nobody.pw_gid
    except KeyError:
        uid = gid = 65534
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never return into pytest
        try:
            os.close(reader)
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            try:
                read_audio(path)
                result = "OK:"
            except BaseException as err:
                result = f"{type(err).__name__}:{err}"
            os.write(writer, result.encode())
        finally:
            os._exit(0)
    os.close(writer)
    chunks = []
    while chunk := os.read(reader, 65536):
        chunks.append(chunk)
    os.close(reader)
    os.waitpid(pid, 0)
    return b"".join(chunks).decode()


def test_message_names_odd_file_names_on_one_line(tmp_path):
    path = tmp_path / "take\nthree.wav"
    path.write_bytes(b"")
    with pytest.raises(AudioError) as info:
        read_audio(path)
    assert "\n" not in str(info.value) and "take\\nthree.wav" in str(info.value)


def test_bad_tail_seconds():
    with pytest.raises(ValueError):
        read_audio("x.wav", tail_seconds=0)


# --------------------------------------------------------------------------- round trips

ROUND_TRIPS = [
    (".wav", 48000, 2),
    (".flac", 48000, 2),
    (".mp3", 48000, 2),
    (".ogg", 48000, 2),
    (".wav", 44100, 1),
    (".flac", 44100, 1),
    (".mp3", 44100, 1),
    (".ogg", 44100, 1),
    (".wav", 48000, 6),
    (".flac", 48000, 6),
    (".wav", 7350, 1),
    (".flac", 7350, 2),
    (".ogg", 7350, 2),
    (".wav", 96000, 2),
    (".flac", 96000, 2),
    (".ogg", 96000, 2),
]


@pytest.mark.parametrize(("suffix", "rate", "channels"), ROUND_TRIPS)
def test_round_trip(tmp_path, suffix, rate, channels):
    base = min(300.0, rate / (4 * channels))  # every channel's tone stays below Nyquist
    samples = tone(base, 1.0, rate, channels, amp=0.5)
    target = tmp_path / f"take{suffix}"
    assert write_audio(target, samples, rate) == target
    assert leftovers(tmp_path) == [target.name]
    got = read_audio(target)
    assert isinstance(got, Audio)
    assert (got.rate, got.channels) == (rate, channels)
    assert got.samples.dtype == np.float32 and got.samples.flags.c_contiguous
    if suffix in (".wav", ".flac"):
        assert got.frames == samples.shape[1]
        assert np.max(np.abs(got.samples - samples)) < 2.0**-22  # 24-bit quantisation
    else:
        assert abs(got.frames - samples.shape[1]) <= 2 * 1152
        n = min(got.frames, samples.shape[1])
        for c in range(channels):  # channel order and pitch survive; level within 1 dB
            assert dominant_freq(got.samples[c, :n], rate) == pytest.approx(base * (c + 1), abs=2.0)
            assert rms_db(got.samples[c, :n]) == pytest.approx(rms_db(samples[c]), abs=1.0)


def test_wav_subtype_choice(tmp_path):
    samples = tone(440, 0.2, 48000, 2)
    for subtype, expected in ((None, "PCM_24"), ("PCM_16", "PCM_16"), ("float", "FLOAT")):
        path = write_audio(tmp_path / f"{subtype}.wav", samples, 48000, subtype=subtype)
        assert sf.info(path).subtype == expected
    assert sf.info(write_audio(tmp_path / "x.flac", samples, 48000)).subtype == "PCM_24"


@pytest.mark.parametrize(("name", "channels"), [("six.mp3", 6), ("nine.flac", 9)])
def test_too_many_channels_for_the_format(tmp_path, name, channels):
    with pytest.raises(AudioError, match=f"at most .* channels, got {channels}"):
        write_audio(tmp_path / name, noise(0.1, 44100, channels=channels), 44100)
    assert leftovers(tmp_path) == []


def test_mp3_at_unsupported_rate_is_refused_cleanly(tmp_path):
    target = tmp_path / "hi.mp3"
    with pytest.raises(AudioError, match=r"cannot write .*hi\.mp3.*sample rates"):
        write_audio(target, tone(440, 0.2, 96000), 96000)
    assert leftovers(tmp_path) == []


# --------------------------------------------------------------------------- tails


@pytest.mark.parametrize("suffix", [".wav", ".flac"])
def test_tail_is_exactly_the_last_frames(tmp_path, suffix, monkeypatch):
    samples = noise(2.5, 48000, channels=2)
    path = write_audio(tmp_path / f"long{suffix}", samples, 48000)
    full = read_audio(path).samples
    for seconds, frames in ((1.0, 48000), (0.25, 12000), (1 / 3, 16000)):
        tail = read_audio(path, tail_seconds=seconds)
        assert tail.frames == frames
        np.testing.assert_array_equal(tail.samples, full[:, -frames:])
    assert read_audio(path, tail_seconds=60).frames == full.shape[1]

    # Only the tail is decoded: the single read asks for exactly the tail's frames.
    asked = []
    real_read = sf.SoundFile.read

    def spy(self, frames=-1, *args, **kwargs):
        asked.append(frames)
        return real_read(self, frames, *args, **kwargs)

    monkeypatch.setattr(sf.SoundFile, "read", spy)
    read_audio(path, tail_seconds=0.5)
    assert asked == [24000]


@pytest.mark.parametrize("suffix", [".mp3", ".ogg"])
def test_tail_of_lossy_formats(tmp_path, suffix):
    path = write_audio(tmp_path / f"long{suffix}", tone(500, 2.0, 44100, 2), 44100)
    tail = read_audio(path, tail_seconds=0.5)
    assert tail.frames == 22050
    assert dominant_freq(tail.samples[0], 44100) == pytest.approx(500, abs=3)


# --------------------------------------------------------------------------- ffmpeg formats


def _make_m4a(folder: Path, seconds: float = 1.5) -> Path:
    wav = sf_write(folder / "src.wav", tone(1000, seconds, 44100, 1, amp=0.5).repeat(2, 0), 44100)
    m4a = folder / "take.m4a"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", wav, "-c:a", "aac", "-b:a", "128k", m4a],
        check=True,
        capture_output=True,
    )
    wav.unlink()
    return m4a


@needs_ffmpeg
def test_m4a_through_pydub(tmp_path, monkeypatch):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # pydub imports audioop
        from pydub import AudioSegment

    m4a = _make_m4a(tmp_path)
    before = digest(m4a)
    calls = []
    real = AudioSegment.from_file.__func__

    def spy(cls, *args, **kwargs):
        calls.append(args[0])
        return real(cls, *args, **kwargs)

    monkeypatch.setattr(AudioSegment, "from_file", classmethod(spy))
    got = read_audio(m4a)
    assert calls, "the m4a did not go through pydub"
    assert (got.rate, got.channels) == (44100, 2)
    assert got.seconds == pytest.approx(1.5, abs=0.05)
    assert dominant_freq(got.samples[0], 44100) == pytest.approx(1000, abs=2)
    assert np.max(np.abs(got.samples)) == pytest.approx(0.5, abs=0.05)
    tail = read_audio(m4a, tail_seconds=0.5)
    assert tail.frames == 22050
    assert dominant_freq(tail.samples[1], 44100) == pytest.approx(1000, abs=3)
    assert digest(m4a) == before


@needs_ffmpeg
def test_garbage_m4a_is_refused(tmp_path):
    path = tmp_path / "broken.m4a"
    path.write_bytes(np.random.default_rng(3).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    assert_refused(path, "not audio")


def test_missing_ffmpeg_message(tmp_path, monkeypatch):
    """The real PATH lookup runs; nothing in the module is patched."""
    path = _make_m4a(tmp_path) if HAS_FFMPEG else tmp_path / "take.m4a"
    if not path.exists():
        path.write_bytes(b"\x00\x00\x00\x20ftypM4A " + bytes(4096))
    monkeypatch.setenv("PATH", "")
    assert shutil.which("ffmpeg") is None
    message = assert_refused(path, "needs ffmpeg", "not on path", "install ffmpeg")
    assert ".m4a" in message
    unknown = tmp_path / "take.xyz"
    unknown.write_bytes(bytes(range(256)) * 16)
    assert_refused(unknown, "ffmpeg", "not on path", "install ffmpeg")


@needs_ffmpeg
def test_missing_ffprobe_is_named(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "ffmpeg").symlink_to(shutil.which("ffmpeg"))
    path = _make_m4a(tmp_path, seconds=0.5)
    monkeypatch.setenv("PATH", str(bin_dir))
    assert_refused(path, "needs ffprobe")


# --------------------------------------------------------------------------- resample


def round_half_up(frames: int, rate_from: int, rate_to: int) -> int:
    return (frames * rate_to + rate_from // 2) // rate_from


@pytest.mark.parametrize(
    ("frames", "rate_from", "rate_to"),
    [
        (48000, 48000, 44100),
        (44100, 44100, 48000),
        (12345, 48000, 44100),
        (12345, 44100, 48000),
        (48001, 48000, 7350),
        (7351, 7350, 96000),
        (100, 48000, 22050),
        (1, 44100, 48000),
        (0, 44100, 48000),
    ],
)
def test_resample_length(frames, rate_from, rate_to):
    samples = noise(1.0, frames, channels=2)[:, :frames] if frames else np.zeros((2, 0))
    out = resample(samples.astype(np.float32), rate_from, rate_to)
    assert out.shape == (2, round_half_up(frames, rate_from, rate_to))
    assert out.dtype == np.float32 and out.flags.c_contiguous


@pytest.mark.parametrize(("rate_from", "rate_to"), [(48000, 44100), (44100, 96000), (48000, 7350)])
def test_resample_keeps_frequency_and_level(rate_from, rate_to):
    samples = tone(1000, 1.0, rate_from, 2)
    out = resample(samples, rate_from, rate_to)
    middle = out[:, rate_to // 10 : -rate_to // 10]
    for c, freq in enumerate((1000, 2000)):
        assert dominant_freq(middle[c], rate_to) == pytest.approx(
            freq, abs=rate_to / middle.shape[1]
        )
        assert rms_db(middle[c]) == pytest.approx(rms_db(samples[c]), abs=0.05)


def test_resample_same_rate_is_a_no_op():
    samples = tone(440, 0.1, 48000, 2)
    assert resample(samples, 48000, 48000) is samples
    as64 = samples.astype(np.float64)
    out = resample(as64, 48000, 48000)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, samples)


def test_resample_mono_1d_and_bad_shapes():
    assert resample(tone(440, 0.1, 48000)[0], 48000, 24000).shape == (2400,)
    with pytest.raises(ValueError, match=r"\.T"):
        resample(np.zeros((4800, 2), np.float32), 48000, 44100)


# --------------------------------------------------------------------------- to_stereo


def test_to_stereo_mono_is_duplicated():
    mono = tone(440, 0.1, 48000)
    out = to_stereo(mono)
    assert out.shape == (2, mono.shape[1])
    np.testing.assert_array_equal(out[0], mono[0])
    np.testing.assert_array_equal(out[1], mono[0])


def test_to_stereo_leaves_stereo_untouched():
    stereo = noise(0.1, 48000)
    out = to_stereo(stereo)
    assert out is stereo
    np.testing.assert_array_equal(out, noise(0.1, 48000))


def _constant_channels(values, frames=100):
    return np.repeat(np.asarray(values, np.float32)[:, None], frames, axis=1)


def test_to_stereo_5_1_uses_bs775_and_drops_lfe():
    g = 10 ** (-3 / 20)
    left, right, centre, lfe, ls, rs = 0.1, 0.2, 0.3, 0.9, 0.05, 0.07
    out = to_stereo(_constant_channels([left, right, centre, lfe, ls, rs]))
    np.testing.assert_allclose(out[0], left + g * (centre + ls), atol=1e-3)
    np.testing.assert_allclose(out[1], right + g * (centre + rs), atol=1e-3)
    no_lfe = to_stereo(_constant_channels([left, right, centre, 0.0, ls, rs]))
    np.testing.assert_array_equal(out, no_lfe)


def test_to_stereo_5_1_rescales_only_when_it_would_clip():
    out = to_stereo(_constant_channels([0.9] * 6))
    assert np.max(np.abs(out)) == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_allclose(out[0], out[1])
    quiet = to_stereo(_constant_channels([0.1] * 6))
    np.testing.assert_allclose(quiet[0], 0.1 + 2 * 0.1 / np.sqrt(2), rtol=1e-6)


def test_to_stereo_three_channels_even_left_odd_right():
    out = to_stereo(_constant_channels([0.2, 0.3, 0.4]))
    np.testing.assert_allclose(out[0], 0.6, rtol=1e-6)
    np.testing.assert_allclose(out[1], 0.3, rtol=1e-6)
    hot = to_stereo(_constant_channels([0.8, 0.1, 0.8]))
    np.testing.assert_allclose(hot[0], 1.0, rtol=1e-6)
    np.testing.assert_allclose(hot[1], 0.1 / 1.6, rtol=1e-6)


# --------------------------------------------------------------------------- writing


@pytest.mark.parametrize("name", ["out.xyz", "out", "out.aiff"])
def test_write_unknown_suffix_leaves_nothing(tmp_path, name):
    with pytest.raises(AudioError, match="unknown format") as info:
        write_audio(tmp_path / name, tone(440, 0.1, 48000), 48000)
    assert name in str(info.value) and "\n" not in str(info.value)
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_write_refuses_nan_and_keeps_existing_file(tmp_path, bad):
    target = write_audio(tmp_path / "out.wav", tone(440, 0.1, 48000), 48000)
    before = digest(target)
    samples = tone(220, 0.2, 48000, 2)
    samples[0, 5] = bad
    with pytest.raises(AudioError, match="NaN or infinite"):
        write_audio(target, samples, 48000)
    assert digest(target) == before
    assert leftovers(tmp_path) == ["out.wav"]


def test_write_invalid_subtype(tmp_path):
    with pytest.raises(AudioError, match=r"PCM_16 cannot be written as \.mp3"):
        write_audio(tmp_path / "out.mp3", tone(440, 0.1, 44100), 44100, subtype="PCM_16")
    assert leftovers(tmp_path) == []


def test_failure_mid_write_removes_temp_and_keeps_target(tmp_path, monkeypatch):
    target = write_audio(tmp_path / "out.flac", tone(440, 0.1, 48000), 48000)
    before = digest(target)

    def broken_fsync(fd):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(AudioError, match=r"cannot write .*out\.flac.*input/output error"):
        write_audio(target, tone(880, 0.5, 48000, 2), 48000)
    assert leftovers(tmp_path) == ["out.flac"]
    assert digest(target) == before


def test_write_goes_through_hidden_part_file(tmp_path, monkeypatch):
    seen = []
    real_replace = os.replace

    def spy(src, dst):
        seen.append((Path(src), Path(dst), leftovers(tmp_path)))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    target = tmp_path / "continuation.wav"
    write_audio(target, tone(440, 0.2, 48000, 2), 48000)
    [(src, dst, listing)] = seen
    assert dst == target and src.parent == target.parent
    assert src.name.startswith(".") and src.name.endswith(".part")
    assert listing == [src.name]  # while writing, only the hidden temp file is visible
    assert leftovers(tmp_path) == ["continuation.wav"]


def test_write_over_existing_file_replaces_it_whole(tmp_path):
    target = write_audio(tmp_path / "out.wav", noise(3.0, 48000), 48000)
    target.chmod(0o640)
    old_inode = target.stat().st_ino
    new = tone(440, 1.0, 48000, 2)
    write_audio(target, new, 48000)
    got = read_audio(target)
    assert got.frames == 48000
    np.testing.assert_allclose(got.samples, new, atol=2.0**-22)
    assert target.stat().st_ino != old_inode  # a new file renamed over, not rewritten in place
    assert target.stat().st_mode & 0o777 == 0o640  # keeps the replaced file's permissions
    assert leftovers(tmp_path) == ["out.wav"]


def test_write_clips_explicitly_and_says_so(tmp_path, caplog):
    samples = tone(440, 0.1, 48000, amp=1.5)
    with caplog.at_level(logging.WARNING, logger=audio_module.__name__):
        path = write_audio(tmp_path / "hot.wav", samples, 48000, subtype="PCM_16")
    assert "clipping" in caplog.text
    got = read_audio(path).samples[0]
    assert np.max(np.abs(got)) <= 1.0
    over = samples[0] > 1.0
    assert np.all(got[over] > 0.999)  # clipped at full scale, not wrapped round to negative
    kept = read_audio(write_audio(tmp_path / "float.wav", samples, 48000, subtype="FLOAT"))
    assert np.max(kept.samples) == pytest.approx(1.5, abs=1e-3)
    # Lossy encoders would carry the overs through (Vorbis decodes ~1.5): clipped first.
    lossy = read_audio(write_audio(tmp_path / "hot.ogg", samples, 48000)).samples
    assert np.max(np.abs(lossy)) < 1.2


def test_write_mono_from_1d(tmp_path):
    path = write_audio(tmp_path / "mono.flac", tone(440, 0.2, 44100)[0], 44100)
    assert sf.info(path).channels == 1


# --------------------------------------------------------------------------- loudness


def test_loudness_of_minus_20_dbfs_sine():
    mono = tone(997, 3.0, 48000, amp=10 ** (-20 / 20))
    assert loudness_db(mono, 48000) == pytest.approx(-23.01, abs=0.1)  # sine RMS is -3 dB
    stereo = np.repeat(mono, 2, axis=0)
    assert loudness_db(stereo, 48000) == pytest.approx(-20.0, abs=0.1)  # BS.1770 sums channels
    assert loudness_db(stereo * 2, 48000) == pytest.approx(-20.0 + 6.02, abs=0.1)


def test_loudness_short_clip_falls_back_to_rms():
    mono = tone(997, 0.2, 48000, amp=10 ** (-20 / 20))
    assert loudness_db(mono, 48000) == pytest.approx(-23.01, abs=0.05)
    assert loudness_db(np.repeat(mono, 2, axis=0), 48000) == pytest.approx(-20.0, abs=0.05)
    just_short = loudness_db(tone(997, 0.39, 48000, amp=0.1), 48000)
    just_long = loudness_db(tone(997, 0.41, 48000, amp=0.1), 48000)
    assert just_short == pytest.approx(just_long, abs=0.3)


def test_loudness_of_silence_and_surround():
    assert loudness_db(np.zeros((2, 48000), np.float32), 48000) == float("-inf")
    assert loudness_db(np.zeros((2, 100), np.float32), 48000) == float("-inf")
    stereo = tone(997, 1.0, 48000, 2, amp=0.1)
    surround = np.zeros((6, stereo.shape[1]), np.float32)
    surround[:2] = stereo
    surround[3] = 0.5  # LFE is not measured
    assert loudness_db(surround, 48000) == pytest.approx(loudness_db(stereo, 48000), abs=1e-6)


@pytest.mark.parametrize("rate", [22050, 24000, 44100, 48000])
def test_loudness_agrees_with_pyloudnorm(rate):
    """Segue's BS.1770 (numpy FFT filtering, no scipy.signal import) against pyloudnorm's
    (scipy lfilter): they differ only by pyloudnorm's approximate shelf (cookbook at 1.5 kHz,
    where the standard's is at 1.68 kHz), a few hundredths of a LU."""
    pyloudnorm = pytest.importorskip("pyloudnorm")
    rng = np.random.default_rng(rate)
    quiet_start = rng.standard_normal((2, 5 * rate)) * 0.05
    quiet_start[:, :rate] *= 1e-3  # below the relative gate: left out by both
    cases = {
        "song": procedural_clip(6.0, rate, seed=rate % 7),
        "30 Hz": tone(30, 3.0, rate, 2, amp=0.3),  # the high pass at work
        "10 kHz": tone(10000, 3.0, rate, amp=0.1),  # the shelf at work
        "gated": quiet_start,
    }
    for name, samples in cases.items():
        reference = pyloudnorm.Meter(rate).integrated_loudness(samples.T.astype(np.float64))
        assert loudness_db(samples, rate) == pytest.approx(reference, abs=0.12), name


def test_loudness_when_the_last_block_runs_past_the_end():
    """The block count rounds up here (2.67 blocks of hop past the first): the last block is
    cut short, as pyloudnorm cuts it, rather than read past the end."""
    pyloudnorm = pytest.importorskip("pyloudnorm")
    samples = procedural_clip(2.0, 24000)[:, : 24000 + 16081]
    reference = pyloudnorm.Meter(24000).integrated_loudness(samples.T.astype(np.float64))
    assert loudness_db(samples, 24000) == pytest.approx(reference, abs=0.12)


def test_loudness_of_a_long_song_is_filtered_in_parts():
    """Past the FFT chunk the filter runs by overlap-add: the seams between parts must not
    show. A steady signal measures the same over 30 s as over its first 5 s."""
    rate = 48000
    steady = tone(440, 30.0, rate, 2, amp=0.1) + tone(40, 30.0, rate, 2, amp=0.1)
    assert steady.shape[1] > 1 << 20
    assert loudness_db(steady, rate) == pytest.approx(
        loudness_db(steady[:, : 5 * rate], rate), abs=0.01
    )


# --------------------------------------------------------------------------- Audio


def test_audio_dataclass():
    audio = Audio(np.ones((2, 4800), np.float64)[:, ::2], 24000)
    assert audio.samples.dtype == np.float32 and audio.samples.flags.c_contiguous
    assert (audio.channels, audio.frames, audio.seconds) == (2, 2400, 0.1)
    with pytest.raises(ValueError):
        Audio(np.zeros(10, np.float32), 48000)

"""Reading, checking, converting and writing audio for all of Segue.

Every other part (inference engine, daemon, trainer) goes through this module so that
one set of rules decides what audio is usable, and so that every refusal reaches the
musician as one readable line (the daemon sends ``str(AudioError)`` back to the DAW).

Array convention everywhere: float32 ``[channels, frames]`` (soundfile's own convention
is ``[frames, channels]``; the transposition happens only here).
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import stat
import struct
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from . import loudness
from .atomic import atomic_path
from .errors import SegueError

__all__ = [
    "AUDIO_SUFFIXES",
    "SILENCE_DBFS",
    "WRITE_SUFFIXES",
    "Audio",
    "AudioError",
    "is_clip",
    "loudness_db",
    "read_audio",
    "resample",
    "to_stereo",
    "write_audio",
]

log = logging.getLogger(__name__)

SILENCE_DBFS = -90.0
"""Peaks below this are silence: ±1 LSB of 16-bit audio (-90.3 dBFS) counts as silent."""

_SILENCE_PEAK = 10.0 ** (SILENCE_DBFS / 20.0)
_MAX_CHANNELS = 64  # more than this is almost surely a [frames, channels] array passed by mistake
_MINUS_3_DB = 1.0 / math.sqrt(2.0)  # ITU-R BS.775 fold-down gain for centre and surrounds


def _suffixes(words: str) -> frozenset[str]:
    return frozenset("." + word for word in words.split())


# Suffixes libsndfile owns: a failure there means the file is bad, not that ffmpeg might help.
_SNDFILE_SUFFIXES = _suffixes(
    "wav wave bwf flac ogg oga opus mp3 aif aiff aifc au snd caf w64 rf64 voc sd2 paf"
    " svx 8svx nist sph ircam sf mat mat4 mat5 pvf xi htk sds avr wve"
)
# Suffixes only ffmpeg reads: go there directly (libsndfile may mis-sniff e.g. ADTS AAC).
_FFMPEG_SUFFIXES = _suffixes(
    "m4a m4b m4p mp4 m4v aac adts alac wma asf webm weba mka mkv mov 3gp 3g2 amr awb ac3"
    " eac3 dts ape wv tta tak ra rm avi flv mpc dsf dff spx qt"
)
# Every suffix read_audio takes: what a library scan or a watch folder looks for.
AUDIO_SUFFIXES = _SNDFILE_SUFFIXES | _FFMPEG_SUFFIXES


def is_clip(path: Path) -> bool:
    """An audio file a person put there, for a library scan or a watch folder: a suffix Segue
    reads, not hidden (`.name`, also how Segue's own temp files are named), not a backup
    (`name~`, `~name`). Temp names (`.part`, `.tmp`, `.crdownload`, ...) have no audio suffix."""
    name = path.name
    if name.startswith((".", "~")) or name.endswith("~"):
        return False
    return path.suffix.lower() in AUDIO_SUFFIXES


# Formats whose header frame count is exact: decoding fewer frames means truncation.
_LOSSY_SNDFILE_FORMATS = frozenset({"MP3", "OGG"})
_MP3_FRAME = 1152

_WRITE_FORMATS = {
    ".wav": ("WAV", "PCM_24"),
    ".flac": ("FLAC", "PCM_24"),
    ".mp3": ("MP3", "MPEG_LAYER_III"),
    ".ogg": ("OGG", "VORBIS"),
}
WRITE_SUFFIXES = frozenset(_WRITE_FORMATS)
"""Every suffix write_audio takes: what an output name may end with."""
_FLOAT_SUBTYPES = frozenset({"FLOAT", "DOUBLE"})
_MAX_WRITE_CHANNELS = {"MP3": 2, "FLAC": 8}  # libsndfile only says "format not recognised"

_INSTALL_FFMPEG = (
    "install ffmpeg (macOS: brew install ffmpeg; Windows: winget install ffmpeg; "
    "Debian/Ubuntu: sudo apt install ffmpeg) or export the clip as WAV or FLAC"
)


class AudioError(SegueError):
    """Any audio that cannot be used.

    ``str(err)`` is ONE line naming the file and the reason, e.g.
    "cannot read 'take3.wav': the file is empty (0 bytes)", because the daemon sends it
    back to a DAW as is. Whitespace runs (newlines included) are folded to one space.
    """

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


_Refuse = Callable[[str], AudioError]  # builds the one-line error for one file


@dataclass(eq=False)  # eq on arrays is ambiguous; compare .samples explicitly
class Audio:
    """Decoded audio at its own rate and channel count."""

    samples: np.ndarray  # float32, [channels, frames], C-contiguous
    rate: int

    def __post_init__(self) -> None:
        samples = np.ascontiguousarray(self.samples, dtype=np.float32)
        if samples.ndim != 2:
            raise ValueError(f"Audio.samples must be [channels, frames], got {samples.shape}")
        self.samples = samples
        if int(self.rate) != self.rate or self.rate <= 0:
            raise ValueError(f"Audio.rate must be a positive integer, got {self.rate!r}")
        self.rate = int(self.rate)

    @property
    def channels(self) -> int:
        return int(self.samples.shape[0])

    @property
    def frames(self) -> int:
        return int(self.samples.shape[1])

    @property
    def seconds(self) -> float:
        return self.frames / self.rate


# --------------------------------------------------------------------------- reading


def read_audio(path: str | os.PathLike, *, tail_seconds: float | None = None) -> Audio:
    """Read any audio file at its own rate and channel count, or explain why not.

    wav/flac/ogg/mp3 (and whatever else libsndfile reads) go through soundfile; anything
    else (m4a, aac, wma, webm, ...) through pydub + ffmpeg. With ``tail_seconds`` only the
    last ``round(tail_seconds * rate)`` frames are returned, and where soundfile can seek
    only they are decoded, so a long take costs little memory. Clipped audio is accepted.
    The file is opened read-only and never modified.

    Raises AudioError (one line, naming the file) for: a missing path, a directory or
    other non-regular file, no permission, an empty file, no frames, not audio or corrupt,
    a truncated WAV (header promises more than is there), NaN/inf samples, silence (peak
    below SILENCE_DBFS) and ffmpeg-only formats when ffmpeg is not on PATH.
    """
    if tail_seconds is not None and not (math.isfinite(tail_seconds) and tail_seconds > 0):
        raise ValueError(f"tail_seconds must be a positive number, got {tail_seconds!r}")
    name = _quote(path)

    def refuse(reason: str) -> AudioError:
        return AudioError(f"cannot read {name}: {reason}")

    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        raise refuse("no such file") from None
    except PermissionError:
        raise refuse("permission denied (cannot reach the file)") from None
    except OSError as err:
        raise refuse(_os_reason(err)) from None
    if stat.S_ISDIR(info.st_mode):
        raise refuse("it is a folder, not an audio file")
    if not stat.S_ISREG(info.st_mode):
        raise refuse("not a regular file")  # a FIFO or device would block or never end
    if info.st_size == 0:
        raise refuse("the file is empty (0 bytes)")

    try:
        with open(path, "rb") as fh:  # read-only: proves readability, gets the header
            head = fh.read(4096)
            riff = _wav_data_shortfall(fh, head, info.st_size)
    except PermissionError:
        raise refuse("permission denied (the file is not readable)") from None
    except OSError as err:
        raise refuse(_os_reason(err)) from None
    if riff is not None:
        declared, present = riff
        raise refuse(
            f"the file is truncated: its header declares {declared} of audio but only "
            f"{present} is there (an unfinished copy, download or render?)"
        )

    suffix = Path(path).suffix.lower()
    if suffix in _FFMPEG_SUFFIXES:
        samples, rate = _read_ffmpeg(path, tail_seconds, refuse)
    else:
        try:
            sound = sf.SoundFile(os.fspath(path))
        except sf.LibsndfileError as err:
            detail = f"libsndfile: {_sf_reason(err)}"
            if suffix in _SNDFILE_SUFFIXES or _looks_like_text(head):
                raise refuse(_not_audio_reason(head, detail)) from None
            if _ffmpeg_missing() is not None:
                raise refuse(
                    f"not a format libsndfile reads ({detail}) and ffmpeg, which reads "
                    f"more formats, is not on PATH; {_INSTALL_FFMPEG}"
                ) from None
            samples, rate = _read_ffmpeg(path, tail_seconds, refuse)
        else:
            with sound:
                samples, rate = _read_soundfile(sound, tail_seconds, refuse)

    _check_samples(samples, tail_seconds, refuse)
    return Audio(samples, rate)


def _read_soundfile(
    sound: sf.SoundFile, tail_seconds: float | None, refuse: _Refuse
) -> tuple[np.ndarray, int]:
    """Decode (the tail of) an open SoundFile into float32 [channels, frames]."""
    declared, rate = int(sound.frames), int(sound.samplerate)
    if declared <= 0:
        raise refuse("the file has no audio frames")
    wanted = declared if tail_seconds is None else min(declared, _tail_frames(tail_seconds, rate))
    try:
        if wanted == declared:
            data = sound.read(dtype="float32", always_2d=True)
        elif sound.seekable():
            sound.seek(declared - wanted)
            data = sound.read(wanted, dtype="float32", always_2d=True)
        else:
            data = _read_last_frames(sound, wanted)
    except RuntimeError as err:  # soundfile's errors derive from it
        raise refuse(f"corrupt audio data ({_sf_reason(err)})") from None
    got = data.shape[0]
    lossy = sound.format in _LOSSY_SNDFILE_FORMATS
    # Lossy headers may only estimate the length; allow a little slack there, none elsewhere.
    slack = max(2 * _MP3_FRAME, wanted // 100) if lossy else 0
    if got == 0:
        raise refuse("the file has no audio frames")
    if got < wanted - slack:
        raise refuse(
            f"the file is truncated: its header declares {_dur(declared, rate)} of audio "
            f"but the data ends early"
        )
    return np.ascontiguousarray(data.T), rate


def _read_last_frames(sound: sf.SoundFile, wanted: int) -> np.ndarray:
    """Keep only the last `wanted` frames of a stream that cannot seek."""
    kept: list[np.ndarray] = []
    total = 0
    for block in sound.blocks(blocksize=1 << 16, dtype="float32", always_2d=True):
        kept.append(block)
        total += block.shape[0]
        while kept and total - kept[0].shape[0] >= wanted:
            total -= kept.pop(0).shape[0]
    if not kept:
        return np.zeros((0, sound.channels), dtype=np.float32)
    return np.concatenate(kept)[-wanted:]


def _read_ffmpeg(
    path: str | os.PathLike, tail_seconds: float | None, refuse: _Refuse
) -> tuple[np.ndarray, int]:
    """Decode through pydub + ffmpeg (formats libsndfile does not read)."""
    missing = _ffmpeg_missing()
    if missing is not None:
        suffix = Path(path).suffix.lower() or "this"
        raise refuse(
            f"reading {suffix} files needs {missing}, which is not on PATH; {_INSTALL_FFMPEG}"
        )
    with warnings.catch_warnings():
        # pydub warns at import without ffmpeg, and about audioop (deprecated in 3.11+).
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        from pydub import AudioSegment
        from pydub.utils import mediainfo_json

    filename = os.fspath(path)
    try:
        info = mediainfo_json(filename)
    except Exception as err:  # pydub raises whatever ffprobe/json produce
        raise refuse(f"not audio, or it is corrupt (ffprobe: {_last_line(err)})") from None
    streams = [s for s in info.get("streams", []) if s.get("codec_type") == "audio"]
    if not streams:
        raise refuse("not audio: ffmpeg finds no audio stream in it")

    start = None
    if tail_seconds is not None:
        try:
            duration = float(info.get("format", {}).get("duration") or 0.0)
        except (TypeError, ValueError):
            duration = 0.0
        if duration > tail_seconds + 1.0:  # one second of margin; the exact cut is ours
            start = duration - tail_seconds - 1.0

    def decode(start_second: float | None) -> tuple[np.ndarray, int]:
        try:
            segment = AudioSegment.from_file(filename, start_second=start_second)
        except Exception as err:
            raise refuse(f"not audio, or it is corrupt (ffmpeg: {_last_line(err)})") from None
        width = segment.sample_width
        dtype = {1: np.int8, 2: np.dtype("<i2"), 4: np.dtype("<i4")}.get(width)
        if dtype is None:
            raise refuse(f"ffmpeg returned unsupported {8 * width}-bit samples")
        ints = np.frombuffer(segment.raw_data, dtype=dtype)
        ints = ints[: ints.size - ints.size % segment.channels]
        scale = np.float32(1.0 / float(1 << (8 * width - 1)))
        data = ints.reshape(-1, segment.channels).T.astype(np.float32) * scale
        return np.ascontiguousarray(data), int(segment.frame_rate)

    samples, rate = decode(start)
    if tail_seconds is not None:
        wanted = _tail_frames(tail_seconds, rate)
        if samples.shape[1] < wanted and start is not None:
            samples, rate = decode(None)  # the container's duration was wrong: decode it all
        samples = np.ascontiguousarray(samples[:, -wanted:])
    return samples, rate


def _check_samples(samples: np.ndarray, tail_seconds: float | None, refuse: _Refuse) -> None:
    """Refuse what decodes but is useless: no frames, NaN/inf, silence."""
    part = "the file" if tail_seconds is None else f"the last {tail_seconds:g} s"
    if samples.shape[1] == 0:
        raise refuse("the file has no audio frames")
    finite = np.isfinite(samples)
    if not finite.all():
        bad = int(samples.size - np.count_nonzero(finite))
        raise refuse(f"{part} contains NaN or infinite samples ({bad} of {samples.size})")
    peak = float(np.max(np.abs(samples)))
    if peak < _SILENCE_PEAK:
        level = "-inf" if peak == 0.0 else f"{20.0 * math.log10(peak):.1f}"
        raise refuse(f"{part} is silent (peak {level} dBFS, below {SILENCE_DBFS:g} dBFS)")


def _wav_data_shortfall(fh, head: bytes, size: int) -> tuple[str, str] | None:
    """(declared, present) durations when a RIFF WAVE's data chunk runs past the file end.

    libsndfile quietly reads what is there; we refuse instead (see read_audio). Sizes 0 and
    0xFFFFFFFF are the placeholders streaming writers leave, so they are not truncation.
    """
    if len(head) < 12 or head[8:12] != b"WAVE" or head[:4] not in (b"RIFF", b"RIFX"):
        return None
    order = "<" if head[:4] == b"RIFF" else ">"
    byte_rate = 0
    offset = 12
    for _ in range(4096):  # a bounded walk: a corrupt chunk chain must not loop forever
        fh.seek(offset)
        chunk = fh.read(8)
        if len(chunk) < 8:
            return None
        tag, length = chunk[:4], struct.unpack(order + "I", chunk[4:])[0]
        if tag == b"fmt ":
            fmt = fh.read(12)
            if len(fmt) == 12:
                byte_rate = struct.unpack(order + "I", fmt[8:12])[0]
        elif tag == b"data":
            present = size - (offset + 8)
            if length in (0, 0xFFFFFFFF) or length <= present:
                return None
            if byte_rate:
                return f"{length / byte_rate:.2f} s", f"{present / byte_rate:.2f} s"
            return f"{length} bytes", f"{present} bytes"
        offset += 8 + length + (length & 1)
    return None


# --------------------------------------------------------------------------- conversion


def resample(samples: np.ndarray, rate_from: int, rate_to: int) -> np.ndarray:
    """Change the sample rate with soxr (high quality).

    [channels, frames] in and out (a 1-D array is taken as mono and stays 1-D), float32.
    The output has exactly ``round(frames * rate_to / rate_from)`` frames (half rounds up).
    Equal rates are a no-op returning the very same array when it is already float32.
    """
    if rate_from <= 0 or rate_to <= 0:
        raise ValueError(f"sample rates must be positive, got {rate_from} -> {rate_to}")
    if rate_from == rate_to and isinstance(samples, np.ndarray) and samples.dtype == np.float32:
        _channels_first(samples)  # still validate the shape
        return samples
    one_d = np.ndim(samples) == 1
    data = _channels_first(samples)
    if rate_from == rate_to:
        out = data
    else:
        frames = data.shape[1]
        expected = (frames * rate_to + rate_from // 2) // rate_from
        if frames == 0:
            out = np.zeros((data.shape[0], 0), dtype=np.float32)
        else:
            out = soxr.resample(data.T, rate_from, rate_to, quality="HQ").T
            if out.shape[1] != expected:  # soxr rounds the same way; keep the promise anyway
                out = out[:, :expected]
                if out.shape[1] < expected:
                    out = np.pad(out, ((0, 0), (0, expected - out.shape[1])))
        out = np.ascontiguousarray(out, dtype=np.float32)
    return out[0] if one_d else out


def to_stereo(samples: np.ndarray) -> np.ndarray:
    """Fold any channel count to the model's stereo input, on purpose and documented.

    Mono is duplicated at unity gain; stereo is returned untouched; 5.1 (6 channels,
    SMPTE/WAV order L R C LFE Ls Rs) uses ITU-R BS.775: L + 0.707 C + 0.707 Ls and
    R + 0.707 C + 0.707 Rs, LFE dropped; any other count sums even-indexed channels to the
    left and odd-indexed to the right. The result is rescaled only if the fold pushed the
    peak above max(1.0, input peak), and then exactly back to that level.
    """
    data = _channels_first(samples)
    channels = data.shape[0]
    if channels == 2:
        return data
    if channels == 1:
        return np.ascontiguousarray(np.repeat(data, 2, axis=0))
    if channels == 6:
        left = data[0] + _MINUS_3_DB * (data[2] + data[4])
        right = data[1] + _MINUS_3_DB * (data[2] + data[5])
    else:
        left = data[0::2].sum(axis=0)
        right = data[1::2].sum(axis=0)
    out = np.stack([left, right]).astype(np.float32, copy=False)
    if out.shape[1]:
        limit = max(1.0, float(np.max(np.abs(data))))
        peak = float(np.max(np.abs(out)))
        if peak > limit:
            out *= np.float32(limit / peak)
    return np.ascontiguousarray(out)


def loudness_db(samples: np.ndarray, rate: int) -> float:
    """Integrated loudness in LUFS (ITU-R BS.1770, see `loudness.py`).

    Clips shorter than one 0.4 s gating block fall back to RMS dBFS with the channel powers
    summed and weighted as BS.1770 does (no K-weighting), which agrees with LUFS for
    mid-frequency material (a mono full-scale sine: -3.0 either way). 6 channels are taken as
    5.1 (LFE ignored); more than 6 are folded with to_stereo first. Digital silence gives -inf.
    """
    data = _channels_first(samples).astype(np.float64)
    if not np.isfinite(data).all():
        raise ValueError("cannot measure loudness of NaN or infinite samples")
    if data.shape[0] == 6:
        data = data[[0, 1, 2, 4, 5]]  # BS.1770 order L R C Ls Rs; LFE is not measured
    elif data.shape[0] > 5:
        data = to_stereo(data.astype(np.float32)).astype(np.float64)
    frames = data.shape[1]
    if frames == 0:
        return float("-inf")
    if frames < loudness.BLOCK_SECONDS * rate:
        gains = np.asarray(loudness.CHANNEL_GAINS[: data.shape[0]])
        power = float(np.sum(gains * np.mean(data * data, axis=1)))
        return 10.0 * math.log10(power) if power > 0.0 else float("-inf")
    return loudness.integrated_loudness(data, rate)


# --------------------------------------------------------------------------- writing


def write_audio(
    path: str | os.PathLike,
    samples: np.ndarray,
    rate: int,
    *,
    subtype: str | None = None,
    comment: str | None = None,
) -> Path:
    """Write atomically, so a DAW or watch-folder never sees half a file.

    Data goes to a hidden temporary file in the same folder (".<name>.<random>.part", which
    watchers skip), is flushed and fsynced, then os.replace()d onto the target; the temp file
    is removed on any failure and an existing target is then left as it was. Format from
    the suffix: .wav (PCM_24 unless ``subtype``), .flac (PCM_24, up to 8 channels), .mp3
    (MPEG layer III, 8-48 kHz, up to 2 channels), .ogg (Vorbis). Samples beyond full scale
    are clipped to [-1, 1] on purpose, with a logged warning (FLOAT/DOUBLE WAV keeps them),
    rather than left to the integer conversion or a lossy encoder. A 1-D array is written
    as mono. `comment` goes in the file's comment tag (every format here has one). Returns the
    final path.
    """
    target = Path(path)
    name = _quote(path)

    def refuse(reason: str) -> AudioError:
        return AudioError(f"cannot write {name}: {reason}")

    suffix = target.suffix.lower()
    if suffix not in _WRITE_FORMATS:
        known = ", ".join(_WRITE_FORMATS)
        raise refuse(f"unknown format {suffix or '(no suffix)'!r}; use one of {known}")
    fmt, default_subtype = _WRITE_FORMATS[suffix]
    sub = (subtype or default_subtype).upper()
    if not sf.check_format(fmt, sub):
        raise refuse(f"subtype {sub} cannot be written as {suffix}")
    if int(rate) != rate or rate <= 0:
        raise ValueError(f"rate must be a positive integer, got {rate!r}")
    data = _channels_first(samples)
    if data.shape[1] == 0:
        raise refuse("there are no frames to write")
    limit = _MAX_WRITE_CHANNELS.get(fmt)
    if limit is not None and data.shape[0] > limit:
        raise refuse(f"{suffix} holds at most {limit} channels, got {data.shape[0]}")
    finite = np.isfinite(data)
    if not finite.all():
        bad = int(data.size - np.count_nonzero(finite))
        raise refuse(f"the samples contain NaN or infinite values ({bad} of {data.size})")
    if sub not in _FLOAT_SUBTYPES:
        peak = float(np.max(np.abs(data)))
        if peak > 1.0:
            over = int(np.count_nonzero(np.abs(data) > 1.0))
            log.warning(
                "clipping %d samples above full scale (peak %+.2f dBFS) while writing %s",
                over,
                20.0 * math.log10(peak),
                name,
            )
            data = np.clip(data, -1.0, 1.0)
    interleaved = np.ascontiguousarray(data.T)

    try:
        with (
            atomic_path(target) as temp,
            sf.SoundFile(temp, "w", int(rate), data.shape[0], sub, format=fmt) as out,
        ):
            if comment:
                out.comment = comment
            out.write(interleaved)
    except OSError as err:
        raise refuse(_os_reason(err)) from err
    except (sf.SoundFileError, RuntimeError) as err:
        raise refuse(_sf_reason(err)) from err
    return target


# --------------------------------------------------------------------------- helpers


def _channels_first(samples: np.ndarray) -> np.ndarray:
    """Validate [channels, frames] (1-D = mono) and return it as float32 C-contiguous."""
    data = np.asarray(samples)
    if data.ndim == 1:
        data = data[np.newaxis, :]
    if data.ndim != 2:
        raise ValueError(f"samples must be [channels, frames], got shape {data.shape}")
    if not 1 <= data.shape[0] <= _MAX_CHANNELS:
        raise ValueError(
            f"samples must be [channels, frames] with 1..{_MAX_CHANNELS} channels, got shape "
            f"{data.shape} (a [frames, channels] array needs .T)"
        )
    return np.ascontiguousarray(data, dtype=np.float32)


def _ffmpeg_missing() -> str | None:
    """Name of the missing tool (pydub needs ffmpeg to decode and ffprobe to probe)."""
    for tool in ("ffmpeg", "ffprobe"):
        if shutil.which(tool) is None:
            return tool
    return None


def _quote(path: str | os.PathLike) -> str:
    """The path as the caller gave it, quoted, never spanning lines."""
    text = os.fsdecode(os.fspath(path))
    return f"'{text}'" if text.isprintable() else repr(text)


def _tail_frames(tail_seconds: float, rate: int) -> int:
    """How many frames `tail_seconds` means: rounded, and at least one."""
    return max(1, round(tail_seconds * rate))


def _dur(frames: int, rate: int) -> str:
    return f"{frames / rate:.2f} s"


def _os_reason(err: OSError) -> str:
    return err.strerror.lower() if err.strerror else str(err)


def _sf_reason(err: BaseException) -> str:
    text = err.error_string if isinstance(err, sf.LibsndfileError) else str(err)
    text = text.strip()
    if text.startswith("Error : "):
        text = text[len("Error : ") :]
    return text.rstrip(".") or type(err).__name__


def _last_line(err: BaseException) -> str:
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    return lines[-1] if lines else type(err).__name__


def _looks_like_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        # The 4 KiB cut may split a character; judge on what decodes.
        try:
            head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return False
    return True


def _not_audio_reason(head: bytes, detail: str) -> str:
    if _looks_like_text(head):
        return f"it is a text file, not audio ({detail})"
    return f"not audio, or it is corrupt ({detail})"

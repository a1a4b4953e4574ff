"""`segue eval`: held-out pairs, every system continuing them, one table of measures.

From a folder of songs (any formats `segue continue` reads), pairs are cut: an input (the
same for every system) and the true continuation that followed it, at seeded positions spread
over the songs, never where either part is near silence. Each model continues each input at the
song's own rate, exactly as `segue continue` would (loudness matched, seam smoothed); the
baselines (`baselines.py`) play their trivial continuations from the same input, at the same
rate; everything is scored against the truth with the measures of `metrics.py`, at one rate,
but for the top of the band, the grain and the loudness, scored at the song's own rate. A model
file records the songs it trained on: a pair from one of them would flatter it, so such songs
are refused, skipped or flagged.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePath

import numpy as np
from tqdm import tqdm

from segue.engine.audio import Audio, AudioError, is_clip, read_audio, resample, to_stereo
from segue.engine.config import DEFAULT_TEMPERATURE
from segue.engine.continuation import continue_clip
from segue.engine.errors import InvalidValueError
from segue.engine.modelfile import LoadedModel
from segue.engine.requests import ContinueSettings

from .baselines import BASELINES, truth_of
from .dataset import SILENT_WINDOW_RMS
from .eval_report import Report
from .eval_results import EVAL_RATE, Pair, Results, System, table
from .metrics import MEASURES, Case, score_case, variation_spread

DEFAULT_SECONDS = 8.0  # of continuation
CANDIDATE_STEP_S = 0.5  # pair starts are drawn from a grid this fine
TRAINED_POLICIES = ("refuse", "skip", "flag")


@dataclass(frozen=True)
class EvalOptions:
    """What `segue eval` is asked, beside DATA and the models: one object from the command
    line to the run, so that a new option is added in one place."""

    pairs: int = 8
    variations: int = 1
    seconds: float = DEFAULT_SECONDS  # of continuation
    input_seconds: float | None = None  # None: the longest window of the models
    seed: int = 0
    temperature: float = DEFAULT_TEMPERATURE
    trained: str = "refuse"  # one of TRAINED_POLICIES


# --------------------------------------------------------------------------- songs and pairs


def find_songs(data: Path) -> list[Path]:
    """DATA itself when it is a file, else every audio file under it (hidden ones left out)."""
    data = Path(data)
    if data.is_file():
        return [data]
    return sorted(path for path in data.rglob("*") if is_clip(path) and path.is_file())


def song_name(path: Path, data: Path) -> str:
    return path.name if Path(data).is_file() else str(path.relative_to(data))


def is_training_song(path: Path, sources: list[str]) -> bool:
    """Whether `path` is one of the songs a model file lists as trained on. The list holds
    paths relative to the library it was trained from (older files: names without suffix),
    so a song matches when its path, or the path a link points to, ends with one of them."""
    candidates = {Path(path).absolute().parts, Path(path).resolve().parts}
    for source in sources:
        parts = PurePath(source.replace("\\", "/")).parts
        if not parts:
            continue
        for candidate in candidates:
            named = candidate if PurePath(parts[-1]).suffix else (*candidate[:-1], Path(path).stem)
            if named[-len(parts) :] == parts:
                return True
    return False


def training_songs(loaded: LoadedModel) -> list[str]:
    data = loaded.metadata.get("data") or {}
    return [str(source) for source in data.get("train_songs") or []]


def trained_on(songs: list[Path], models: dict[str, LoadedModel]) -> dict[Path, list[str]]:
    """For each song some model trained on, those models' names."""
    lists = {name: training_songs(loaded) for name, loaded in models.items()}
    found: dict[Path, list[str]] = {}
    for song in songs:
        names = [name for name, sources in lists.items() if is_training_song(song, sources)]
        if names:
            found[song] = names
    return found


def held_out(
    songs: list[Path], data: Path, models: dict[str, LoadedModel], policy: str
) -> tuple[list[Path], dict[Path, list[str]], dict[str, str]]:
    """Apply the policy for songs a model trained on: `refuse` (ValueError), `skip` (left out,
    reported) or `flag` (kept, their pairs marked). Returns the songs to use, the flags and
    the skipped songs with why."""
    if policy not in TRAINED_POLICIES:
        raise InvalidValueError(f"the policy for trained songs must be one of {TRAINED_POLICIES}")
    found = trained_on(songs, models)
    if not found or policy == "flag":
        return songs, found, {}
    if policy == "skip":
        skipped = {
            song_name(song, data): f"trained on by {', '.join(names)}"
            for song, names in found.items()
        }
        return [song for song in songs if song not in found], {}, skipped
    example = song_name(next(iter(found)), data)
    models_named = sorted({name for names in found.values() for name in names})
    raise InvalidValueError(
        f"{len(found)} of the {len(songs)} songs in '{data}' trained "
        f"{' and '.join(repr(name) for name in models_named)} (e.g. '{example}'): evaluate on "
        "held-out songs, or pass --trained skip to leave them out or --trained flag to keep "
        "them, marked"
    )


def cut_pairs(
    songs: list[Path],
    data: Path,
    count: int,
    before_seconds: float,
    after_seconds: float,
    seed: int,
    flags: dict[Path, list[str]] | None = None,
) -> tuple[list[Pair], dict[str, str]]:
    """`count` pairs spread over the songs (in a seeded order, each song giving its share of
    what is still missing), at seeded non-overlapping positions with sound in both parts.
    Returns the pairs (marked with the models in `flags` for their song) and the songs
    skipped, with why."""
    order = list(songs)
    np.random.default_rng(seed).shuffle(order)
    pairs: list[Pair] = []
    skipped: dict[str, str] = {}
    for number, path in enumerate(order):
        missing = count - len(pairs)
        if missing <= 0:
            break
        name = song_name(path, data)
        try:
            audio = read_audio(path)
        except AudioError as error:
            skipped[name] = str(error)
            continue
        samples, rate = to_stereo(audio.samples), audio.rate
        before, after = round(before_seconds * rate), round(after_seconds * rate)
        if samples.shape[1] < before + after:
            skipped[name] = (
                f"{audio.seconds:.1f} s long, shorter than a pair "
                f"({before_seconds:g} s of input and {after_seconds:g} s to continue)"
            )
            continue
        quota = math.ceil(missing / (len(order) - number))
        starts = _pick_starts(
            samples, before, after, quota, round(CANDIDATE_STEP_S * rate), (seed, number)
        )
        if not starts:
            skipped[name] = "no stretch where both the input and its continuation have sound"
        for start in starts:
            pairs.append(
                Pair(
                    name,
                    start / rate,
                    np.array(samples[:, start : start + before]),
                    np.array(samples[:, start + before : start + before + after]),
                    rate,
                    list((flags or {}).get(path, [])),
                )
            )
    return pairs, skipped


def _pick_starts(
    samples: np.ndarray, before: int, after: int, quota: int, step: int, seed: tuple[int, int]
) -> list[int]:
    total = before + after
    candidates = np.arange(0, samples.shape[1] - total + 1, max(1, step))
    rng = np.random.default_rng(list(seed))
    rng.shuffle(candidates)
    chosen: list[int] = []
    for start in (int(value) for value in candidates):
        if len(chosen) == quota:
            break
        if any(abs(start - other) < total for other in chosen):
            continue
        parts = (samples[:, start : start + before], samples[:, start + before : start + total])
        if all(_rms(part) > SILENT_WINDOW_RMS for part in parts):
            chosen.append(start)
    return sorted(chosen)


def _rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))


# --------------------------------------------------------------------------- systems


def model_system(name: str, loaded: LoadedModel, temperature: float) -> System:
    """A model continues the pair's input at the song's rate, as `segue continue` does."""
    varies = loaded.config.variation_dim > 0
    metadata = loaded.metadata
    minutes = metadata.get("train_seconds")
    about = ", ".join(
        part
        for part in (
            f"model {loaded.path}",
            f"preset {metadata['preset']}" if metadata.get("preset") else "",
            f"{metadata['steps']} steps" if metadata.get("steps") else "",
            f"{minutes / 60:.0f} min of training" if minutes else "",
            "" if varies else "deterministic",
        )
        if part
    )

    def play(pair: Pair, variations: int, seed: int) -> list[np.ndarray]:
        asked = ContinueSettings(pair.seconds, variations if varies else 1, seed, temperature)
        return continue_clip(loaded, Audio(pair.before, pair.rate), asked)

    return System(name, "model", about, varies, play)


_BASELINE_ABOUT = {
    "silence": "baseline: nothing",
    "noise": "baseline: white noise at the input's loudness",
    "drone": "baseline: noise with the mean spectrum and stereo image of the input's last 2 s",
    "loop": "baseline: the input's last bar (4 beats at its tempo) repeated",
    "jukebox": "baseline: the input's own beats, each followed by its successor or a like beat's",
    "truth": "baseline: what really followed (the ceiling)",
}


VARYING_BASELINES = ("noise", "drone", "jukebox")


def baseline_systems() -> list[System]:
    """silence, noise, drone, loop, jukebox and truth, each made from the input at the song's
    own rate, as a model is (so that a loop reaches as high as the song); noise and drone
    draw new noise per variation, the jukebox a new order of beats."""
    systems = []
    for number, name in enumerate([*BASELINES, "truth"]):
        varies = name in VARYING_BASELINES

        def play(
            pair: Pair, variations: int, seed: int, name=name, number=number, varies=varies
        ) -> list[np.ndarray]:
            baseline = truth_of(pair.truth) if name == "truth" else BASELINES[name]
            rng = np.random.default_rng([seed, number])
            count = variations if varies else 1
            frames = pair.truth.shape[1]
            return [baseline(pair.before, frames, pair.rate, rng) for _ in range(count)]

        systems.append(System(name, "baseline", _BASELINE_ABOUT[name], varies, play))
    return systems


def model_names(given: list[str]) -> list[str]:
    """What the table calls each model: a shipped name as given, a file by its stem; where two
    names would be the same, a file by its folder and stem, else by the whole argument."""

    def name(text: str, depth: int) -> str:
        if not text.endswith(".safetensors") or depth > 1:
            return text
        path = Path(text)
        return path.stem if depth == 0 else f"{path.parent.name}/{path.stem}"

    names = [name(text, 0) for text in given]
    for depth in (1, 2):
        names = [
            name(text, depth) if names.count(names[k]) > 1 else names[k]
            for k, text in enumerate(given)
        ]
    if len(set(names)) != len(names):
        raise InvalidValueError("the same model is given twice: give each -m once")
    return names


# --------------------------------------------------------------------------- running


PairDone = Callable[[int, Pair, dict[str, np.ndarray]], None]
"""Told, after each pair, its number, the pair and each system's first output (at the pair's
rate): what a report keeps."""


def evaluate(
    pairs: list[Pair],
    systems: list[System],
    variations: int = 1,
    seed: int = 0,
    settings: dict | None = None,
    skipped: dict[str, str] | None = None,
    on_pair: PairDone | None = None,
    progress: bool = True,
) -> Results:
    """Every system continues every pair (K variations where it can); each output is scored
    against the pair's truth, at EVAL_RATE and (the `native` measures) at the pair's rate, a
    pair's value being the mean over the variations."""
    names = [m.name for m in MEASURES]
    values = {s.name: {name: [] for name in names} for s in systems}
    each_variation = {
        s.name: [f"{s.name} v{k}" for k in range(1, variations + 1)]
        for s in systems
        if s.kind == "model" and s.varies and variations > 1
    }
    for rows in each_variation.values():
        values.update({row: {name: [] for name in names} for row in rows})
    bar = tqdm(
        total=len(pairs) * len(systems),
        desc="evaluating",
        unit="run",
        file=sys.stderr,
        disable=not progress or None,
    )
    with bar:
        for number, pair in enumerate(pairs):
            before, truth = pair.at_eval_rate()
            firsts: dict[str, np.ndarray] = {}
            for system in systems:
                bar.set_postfix_str(system.name, refresh=False)
                native = system.play(pair, variations, seed + number)
                outputs = [resample(output, pair.rate, EVAL_RATE) for output in native]
                scores = [
                    score_case(
                        Case(before, truth, output, EVAL_RATE),
                        Case(pair.before, pair.truth, played, pair.rate),
                    )
                    for output, played in zip(outputs, native, strict=True)
                ]
                for name in scores[0]:
                    values[system.name][name].append(float(np.mean([s[name] for s in scores])))
                if system.name in each_variation:
                    for row, score in zip(each_variation[system.name], scores, strict=True):
                        for name, value in score.items():
                            values[row][name].append(value)
                spread = variation_spread(outputs, truth, EVAL_RATE) if len(outputs) > 1 else None
                values[system.name]["variation_spread"].append(spread and spread[0])
                values[system.name]["spread_ratio"].append(spread and spread[1])
                firsts[system.name] = native[0]
                bar.update()
            if on_pair is not None:
                on_pair(number, pair, firsts)
    return Results(settings or {}, pairs, systems, values, skipped or {}, each_variation)


def run(
    data: Path,
    models: dict[str, LoadedModel],
    options: EvalOptions,
    report: Path | None = None,
    progress: bool = True,
) -> Results:
    """The whole of `segue eval`: pairs from DATA, the models and the baselines on them,
    the results (and, with `report`, the folder a person listens to and looks at)."""
    input_seconds = options.input_seconds
    if input_seconds is None:
        windows = [loaded.config.window_seconds for loaded in models.values()]
        input_seconds = max(windows, default=DEFAULT_SECONDS)
    if not (options.seconds > 0 and input_seconds > 0 and options.pairs > 0):
        raise InvalidValueError("--seconds, --input-seconds and --pairs must be positive")
    songs = find_songs(data)
    if not songs:
        raise InvalidValueError(f"no audio files in '{data}'")
    songs, flags, skipped = held_out(songs, data, models, options.trained)
    pairs, unusable = cut_pairs(
        songs, data, options.pairs, input_seconds, options.seconds, options.seed, flags
    )
    skipped.update(unusable)
    if not pairs:
        reasons = "; ".join(f"{name}: {why}" for name, why in list(skipped.items())[:3])
        raise InvalidValueError(
            f"no usable audio in '{data}' ({len(skipped)} file(s) skipped: {reasons})"
        )
    settings = {
        "data": str(data),
        "models": {name: str(loaded.path) for name, loaded in models.items()},
        "pairs": len(pairs),
        "input_seconds": input_seconds,
        "seconds": options.seconds,
        "variations": options.variations,
        "seed": options.seed,
        "temperature": options.temperature,
        "rate": EVAL_RATE,
        "native_rate_measures": [m.name for m in MEASURES if m.native],
        "trained": options.trained,
    }
    systems = [model_system(name, loaded, options.temperature) for name, loaded in models.items()]
    systems += baseline_systems()
    writer = None if report is None else Report(report, [system.name for system in systems])
    results = evaluate(
        pairs,
        systems,
        options.variations,
        options.seed,
        settings,
        skipped,
        writer and writer.add_pair,
        progress,
    )
    if writer is not None:
        writer.finish(results, table(results))
    return results

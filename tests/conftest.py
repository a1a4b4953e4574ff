"""Shared fixtures: procedural clips written as real files, and the shipped models."""

from __future__ import annotations

import os

# One thread per process. pytest-xdist runs a worker per core and tests start engines beside the
# workers; with torch's default of a thread per core in each, OpenMP threads that spin while they
# wait took the cores from the ones with work: a tiny training step ran 6x slower (measured on
# 2 cores, 60 s against 10 s). Set before numpy and torch load: they read it once, at import.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
import soundfile as sf
from serving import Daemon

if TYPE_CHECKING:
    from segue.engine.modelfile import LoadedModel

# torch and scipy are imported where they are used, not at the top: pytest-xdist's controller
# loads this file too, and it runs no test. Minutes on a slow machine before any worker starts.


def procedural_clip(seconds: float, rate: int, style: str = "rock", seed: int = 1) -> np.ndarray:
    from segue.trainer.procedural import generate_song, song_spec

    return generate_song(song_spec(seed, style=style), seconds, rate)


def side_to_mid_db(stereo: np.ndarray) -> float:
    """How wide a stereo signal is: the side's power over the mid's, in dB."""
    left, right = stereo
    return float(10 * np.log10(np.mean((left - right) ** 2) / np.mean((left + right) ** 2)))


def write_clip(path: Path, samples: np.ndarray, rate: int, **kwargs) -> Path:
    sf.write(path, samples.T, rate, **kwargs)
    return path


def file_digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def default_model() -> LoadedModel:
    from segue.engine.modelfile import open_model

    return open_model("default")


@pytest.fixture(scope="session")
def decoder_model(default_model: LoadedModel) -> LoadedModel:
    """The shipped default with its decoder rendering every continuation, as it does a clip
    with no beat to cut at (and as it did before it played the clip's own beats)."""
    from dataclasses import replace

    return replace(default_model, config=replace(default_model.config, render="decoder"))


@pytest.fixture(scope="session")
def seed_model() -> LoadedModel:
    from segue.engine.modelfile import open_model

    return open_model("seed")


ENGINE_FILES = frozenset(
    {"test_ableton.py", "test_ardour.py", "test_daemon_osc.py", "test_midi.py", "test_reaper.py",
     "test_send.py", "test_watchfolder.py"}
)  # fmt: skip
"""The files that use the shared `engine`: one worker runs them all, and starts one engine."""


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    """One `segue serve --watch` on the default model for every test (on this worker) that needs
    an engine over OSC or on a watch folder: each start loads torch and the model, minutes on a
    slow machine. Tests that share it use names of their own and read only the log they cause."""
    folder = tmp_path_factory.mktemp("engine")
    with Daemon(folder, "--watch", str(folder / "watch")) as running:
        yield running


@pytest.fixture(scope="session")
def watch(engine: Daemon) -> Path:
    """The shared engine's watch folder: inbox/, outbox/, done/ and failed/."""
    return engine.folder / "watch"


LONG_FILES = ("test_continuation.py", "test_eval.py", "test_trainer.py")
"""After the engine's, the files that take longest (each a sixth of the suite or more)."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest units of work go first (the engine's files, then LONG_FILES): pytest-xdist
    hands them out in this order, so that the last file a worker takes is a short one.
    A file that uses the engine must be in ENGINE_FILES, or it would start a second one."""
    unlisted = {item.path.name for item in items if "engine" in item.fixturenames} - ENGINE_FILES
    if unlisted:
        raise pytest.UsageError(f"conftest.ENGINE_FILES lacks {sorted(unlisted)}")
    items.sort(
        key=lambda item: (item.path.name not in ENGINE_FILES, item.path.name not in LONG_FILES)
    )


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """`--dist loadfile`, except that the files in ENGINE_FILES are one unit of work."""
    from xdist.scheduler import LoadFileScheduling

    class EngineFilesTogether(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            file = super()._split_scope(nodeid)
            return "engine" if Path(file).name in ENGINE_FILES else file

    return EngineFilesTogether(config, log)

"""Shared fixtures: the shipped models and one engine for the files that talk to it.

Helpers the tests import are in helpers.py; the order of the suite and how pytest-xdist shares it
between workers, in scheduling.py.
"""

from __future__ import annotations

import os

# One thread per process. pytest-xdist runs a worker per core and tests start engines beside the
# workers; with torch's default of a thread per core in each, OpenMP threads that spin while they
# wait took the cores from the ones with work: a tiny training step ran 6x slower (measured on
# 2 cores, 60 s against 10 s). Set before numpy and torch load: they read it once, at import.
os.environ.setdefault("OMP_NUM_THREADS", "1")

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from serving import Daemon

if TYPE_CHECKING:
    from segue.engine.modelfile import LoadedModel

# torch and scipy are imported where they are used, not at the top: pytest-xdist's controller
# loads this file too, and it runs no test. Minutes on a slow machine before any worker starts.

pytest_plugins = ["scheduling"]


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


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    """One `segue serve --watch` on the default model for every test (on this worker) that needs
    an engine over OSC or on a watch folder: each start loads torch and the model, minutes on a
    slow machine. scheduling.py marks its tests `engine` and gives all their files to one worker.
    Tests that share it use names of their own and read only the log they cause."""
    folder = tmp_path_factory.mktemp("engine")
    with Daemon(folder, "--watch", str(folder / "watch")) as running:
        yield running


@pytest.fixture(scope="session")
def watch(engine: Daemon) -> Path:
    """The shared engine's watch folder: inbox/, outbox/, done/ and failed/."""
    return engine.folder / "watch"

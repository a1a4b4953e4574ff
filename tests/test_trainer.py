"""The minimal two-stage trainer: a procedural library in, a model `segue continue` can use out."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest
import soundfile as sf
import torch
from conftest import procedural_clip

from segue.engine.modelfile import load_model
from segue.presets import load_preset
from segue.trainer.data import find_audio_files
from segue.trainer.procedural import write_library
from segue.trainer.train import Budget, Trainer, train_library

SEGUE = str(Path(sys.executable).with_name("segue"))


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("library")
    write_library(folder, songs=5, seed=3, seconds=21.0, rate=24000)
    (folder / "broken.wav").write_bytes(b"RIFF....WAVEfmt garbage")
    (folder / "notes.txt").write_text("not a song")
    sf.write(folder / "tiny.wav", procedural_clip(3.0, 24000).T, 24000)
    return folder


def _small(name: str, **changes) -> object:
    preset = load_preset(name)
    return dataclasses.replace(preset, train=dataclasses.replace(preset.train, **changes))


def test_cli_trains_both_stages_and_the_model_continues(library: Path, tmp_path: Path) -> None:
    model = tmp_path / "mine.safetensors"
    result = subprocess.run(
        [SEGUE, "train", str(library), "-o", str(model), "--preset", "default", "--steps", "2"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "2 steps (1 autoencoder-only)" in result.stdout
    assert (
        "skipped" in result.stdout and "broken.wav" in result.stdout and "tiny.wav" in result.stdout
    )
    metadata = load_model(model).metadata
    data = metadata["data"]
    assert metadata["preset"] == "default" and metadata["steps"] == 2
    assert not set(data["train_songs"]) & set(data["validation_songs"])
    assert len(data["train_songs"]) + len(data["validation_songs"]) == 5
    assert set(metadata["validation_losses"]) >= {"reconstruction", "prediction", "latent"}

    clip = tmp_path / "clip.wav"
    sf.write(clip, procedural_clip(9.0, 44100).T, 44100)
    subprocess.run(
        [SEGUE, "continue", str(clip), "--model", str(model), "--seconds", "2"],
        check=True,
        timeout=120,
    )
    assert sf.info(tmp_path / "clip.continuation.wav").frames == 2 * 44100


def test_seed_preset_trains_with_the_original_losses(library: Path, tmp_path: Path) -> None:
    preset = _small("seed", batch_size=2, accumulation=2)
    result = train_library(
        preset,
        library,
        tmp_path / "seed.safetensors",
        Budget(steps=2),
        torch.device("cpu"),
        progress=False,
    )
    assert (result.steps, result.stage1_steps) == (2, 1)
    assert set(result.validation) == {"reconstruction", "prediction", "total"}


def test_stage_one_trains_reconstruction_only(library: Path) -> None:
    preset = _small("default", batch_size=2)
    trainer = Trainer(preset, torch.device("cpu"))
    x = torch.from_numpy(procedural_clip(16.0, 24000)).reshape(2, 2, -1)[:, :, : 8 * 24000]
    assert set(trainer.step_loss(x, x, stage=1)) == {"reconstruction", "total"}
    losses = trainer.step_loss(x, x, stage=2)
    assert set(losses) == {"reconstruction", "prediction", "latent", "lag", "total"}
    trainer.optimizer.zero_grad()
    trainer.step_loss(x, x, stage=1)["total"].backward()
    assert all(p.grad is None for p in trainer.model.predictor.parameters())


def test_a_library_with_nothing_usable_says_why(tmp_path: Path) -> None:
    (tmp_path / "a.wav").write_bytes(b"")
    with pytest.raises(ValueError, match=r"nothing usable.*empty"):
        train_library(
            load_preset("default"),
            tmp_path,
            tmp_path / "m.safetensors",
            Budget(steps=1),
            torch.device("cpu"),
            progress=False,
        )
    assert not (tmp_path / "m.safetensors").exists()


def test_finds_audio_of_every_kind_recursively(tmp_path: Path) -> None:
    for name in ["a.wav", "sub/b.FLAC", "sub/deeper/c.mp3", "d.m4a", ".hidden.wav", "e.txt"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    found = [p.relative_to(tmp_path).as_posix() for p in find_audio_files(tmp_path)]
    assert found == ["a.wav", "d.m4a", "sub/b.FLAC", "sub/deeper/c.mp3"]

"""`segue preprocess`, `segue dataset`, `segue train`: a procedural library in, a model out.

The network is `tests/presets/tiny.toml` (the default design at toy size) so that whole runs,
resumes and two-process runs fit in a test suite on two CPU cores. Commands that need their own
process run as one (torchrun, a refusal); the rest run in this one, Ctrl-C included.
"""

from __future__ import annotations

import os
import pickle
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from commands import segue, segue_here
from helpers import procedural_clip
from safetensors.torch import load_file
from serving import PATIENCE, SEGUE, wait_for

from segue.engine.config import TrainConfig, load_preset
from segue.engine.continuation import continue_file
from segue.engine.modelfile import load_model
from segue.engine.requests import ContinueSettings
from segue.procedural import write_library
from segue.trainer.cache import load_cache, preprocess
from segue.trainer.checkpoint import CHECKPOINT, load_checkpoint
from segue.trainer.dataset import build_pairs, save_pairs
from segue.trainer.train import TrainingStep

pytestmark = pytest.mark.long  # among the suite's longest files: handed out early

TINY = str(Path(__file__).with_name("presets") / "tiny.toml")
RATE = 12000


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("library")
    write_library(folder / "songs", songs=5, seed=3, seconds=8.0, rate=22050)
    (folder / "broken.wav").write_bytes(b"RIFF....WAVEfmt garbage")
    (folder / "empty.flac").write_bytes(b"")
    (folder / "notes.txt").write_text("not a song")
    sf.write(folder / "silence.wav", np.zeros((22050, 2)), 22050)
    sf.write(folder / "short.wav", procedural_clip(3.0, 22050).T, 22050)
    return folder


@pytest.fixture(scope="module")
def prepared(library: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The library decoded and cut into pairs once, as `segue preprocess` and `segue dataset`
    do (test_three_steps runs those commands); each test trains on a copy of it."""
    cache = tmp_path_factory.mktemp("prepared") / "cache"
    preset = load_preset(TINY)
    songs = preprocess(library, cache, RATE, progress=False)
    save_pairs(build_pairs(songs, preset.model, preset.train, 0, preset.train.pair_hop_seconds))
    return cache


def cache_copy(prepared: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(prepared, tmp_path / "cache"))


def variant(tmp_path: Path, name: str, *replacements: tuple[str, str]) -> str:
    """The tiny preset with some lines changed, as a preset file of its own."""
    text = Path(TINY).read_text()
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / f"{name}.toml"
    path.write_text(text.replace('name = "tiny"', f'name = "{name}"'))
    return str(path)


def test_one_command_trains_reports_bad_files_and_the_model_continues(
    library: Path, tmp_path: Path
) -> None:
    model = tmp_path / "mine.safetensors"
    out = segue_here("train", str(library), "--cache", str(tmp_path / "cache"), "-o", str(model),
                     "--preset", TINY, "--epochs", "2", "--samples-every", "1").stdout  # fmt: skip
    assert "data: 4 songs for training" in out and ", 1 for validation" in out
    assert "skipped 4 file(s):" in out
    for name, reason in (("broken.wav", "cannot read"), ("empty.flac", "empty"),
                         ("silence.wav", "silent"), ("short.wav", "too short")):  # fmt: skip
        assert any(line.strip().startswith(name) and reason in line for line in out.splitlines())
    assert "notes.txt" not in out
    assert "2 epochs" in out and "best validation loss" in out and f"model: {model}" in out

    metadata = load_model(model).metadata
    data = metadata["data"]
    assert metadata["epochs"] == 2 and metadata["steps"] == 2 * (4 * 5 // 2)  # 5 pairs a song
    assert not set(data["train_songs"]) & set(data["validation_songs"])
    assert set(metadata["validation_losses"]) >= {"reconstruction", "prediction", "latent"}
    run = tmp_path / "mine.run"
    assert (run / CHECKPOINT).is_file() and (run / "progress.png").stat().st_size > 10_000
    for epoch in ("epoch-001", "epoch-002"):
        for name in ("input", "prediction", "truth"):
            assert sf.info(run / "samples" / epoch / f"{name}.mp3").samplerate == RATE

    clip = tmp_path / "clip.wav"  # the model continues (test_cli runs `segue continue` itself)
    sf.write(clip, procedural_clip(5.0, 44100).T, 44100)
    [continuation] = continue_file(load_model(model), clip, ContinueSettings(3.0))
    assert sf.info(continuation).frames == 3 * 44100


def test_three_steps_and_a_cache_that_is_updated_not_rebuilt(library: Path, tmp_path: Path) -> None:
    songs, cache = tmp_path / "songs", tmp_path / "cache"
    shutil.copytree(library / "songs", songs)
    segue_here("preprocess", str(songs), "--cache", str(cache), "--preset", TINY)
    folder = cache / f"{RATE}hz"
    arrays = {path.name: path.stat().st_mtime_ns for path in folder.glob("*.npy")}
    assert len(arrays) == 5

    sf.write(songs / "new song.wav", procedural_clip(10.0, 44100, "salsa").T, 44100)
    (songs / sorted(os.listdir(songs))[0]).unlink()
    result = segue_here("preprocess", str(songs), "--cache", str(cache), "--preset", TINY)
    assert result.stdout.startswith("5 songs")
    after = {path.name: path.stat().st_mtime_ns for path in folder.glob("*.npy")}
    kept = set(arrays) & set(after)
    assert len(kept) == 4 and all(arrays[name] == after[name] for name in kept)  # not redone
    assert len(after) == 5  # the removed song's array is gone, the new one is there

    loaded = load_cache(cache, RATE)
    song = next(s for s in loaded.songs if s.name == "new song")
    samples = loaded.samples(song)
    assert isinstance(samples, np.memmap) and samples.dtype == np.float16
    assert samples.shape == (2, 10 * RATE)

    assert (
        "validation pairs from 1"
        in segue_here("dataset", "--cache", str(cache), "--preset", TINY, "--seed", "4").output
    )
    model = tmp_path / "three.safetensors"
    segue_here("train", "--cache", str(cache), "-o", str(model), "--preset", TINY, "--steps", "3")
    metadata = load_model(model).metadata
    assert metadata["steps"] == 3 and metadata["data"]["split_seed"] == 4

    tuned = tmp_path / "tuned.safetensors"  # --from: fine-tune the model just trained
    segue_here("train", "--cache", str(cache), "-o", str(tuned), "--from", str(model), "--preset",
          TINY, "--steps", "2")  # fmt: skip
    assert load_model(tuned).metadata["fine_tuned_from"] == str(model)
    start, end = load_file(model), load_file(tuned)
    assert any(not torch.equal(start[name], end[name]) for name in start)


def test_the_split_is_by_song_and_from_the_seed(library: Path, tmp_path: Path) -> None:
    preset = load_preset(TINY)
    cache = preprocess(library, tmp_path / "cache", RATE, progress=False)
    splits = [build_pairs(cache, preset.model, preset.train, seed, 1.0) for seed in range(5)]
    first, again = splits[0], build_pairs(cache, preset.model, preset.train, 0, 1.0)
    assert first.summary() == again.summary()
    assert len({tuple(s.summary()["validation_songs"]) for s in splits}) > 1  # seeds differ
    assert not {s.key for s in first.train_songs} & {s.key for s in first.validation_songs}
    assert first.train[:, 0].max() < len(first.train_songs)
    assert len(first.train) == 4 * 5 and len(first.validation) == 5


def test_stage_one_trains_the_autoencoder_only() -> None:
    preset = load_preset(TINY)
    from segue.engine.model import SegueNet

    step = TrainingStep(SegueNet(preset.model), preset)
    x = torch.from_numpy(procedural_clip(4.0, RATE)).reshape(2, 2, -1)[:, :, : 2 * RATE]
    assert set(step(x, x, stage=1)) == {"reconstruction", "total"}
    assert set(step(x, x, stage=2)) == {"reconstruction", "prediction", "latent", "lag", "total"}
    step(x, x, stage=1)["total"].backward()
    assert all(p.grad is None for p in step.model.predictor.parameters())
    step.model.zero_grad(set_to_none=True)
    assert set(step(x, x, stage=3)) == {"reconstruction", "total"}
    step(x, x, stage=3)["total"].backward()
    assert all(p.grad is None for p in step.model.encoder.parameters())
    assert all(p.grad is not None for p in step.model.decoder.parameters())


@pytest.mark.slow
def test_stage_three_trains_the_decoder_alone(prepared: Path, tmp_path: Path) -> None:
    """Two runs on the same pairs and draws: 2 autoencoder steps and 2 whole-net steps, one of
    them then 4 decoder-only steps at its own learning rate. Everything but the decoder must
    end where the shorter run ended (AdamW's weight decay included), the decoder elsewhere."""
    cache = cache_copy(prepared, tmp_path)
    decay = "\nweight_decay = 0.1"
    stage3 = "\nstage3_fraction = 0.5\nstage3_learning_rate = 3e-3"
    three = variant(
        tmp_path, "three", ("stage1_fraction = 0.4", "stage1_fraction = 0.25" + stage3 + decay)
    )
    two = variant(tmp_path, "two", ("stage1_fraction = 0.4", "stage1_fraction = 0.5" + decay))
    train = ["train", "--cache", str(cache), "--samples-every", "9"]
    out = segue_here(
        *train, "--preset", three, "--steps", "8", "-o", str(tmp_path / "3.safetensors")
    ).output
    assert "8 steps (2 autoencoder-only, 4 decoder-only" in out
    segue_here(*train, "--preset", two, "--steps", "4", "-o", str(tmp_path / "2.safetensors"))
    after, before = (load_model(tmp_path / f"{n}.safetensors") for n in (3, 2))
    assert after.metadata["stage3_steps"] == 4 and before.metadata["stage3_steps"] == 0
    moved = {
        name.split(".")[0]
        for name, value in after.model.state_dict().items()
        if not torch.equal(value, before.model.state_dict()[name])
    }
    assert moved == {"decoder"}


def test_a_budget_is_split_into_its_stages() -> None:
    train = load_preset("default").train
    stages = [train.stage(step / 2400) for step in range(2400)]
    assert [stages.count(stage) for stage in (1, 2, 3)] == [720, 1080, 600]
    assert stages == sorted(stages)
    with pytest.raises(ValueError, match="at most the budget"):
        TrainConfig(batch_size=1, learning_rate=1e-3, stage1_fraction=0.8, stage3_fraction=0.3)


def test_a_mixed_precision_step_keeps_the_audio_in_float32() -> None:
    """A GPU trains under bfloat16 autocast. The decoder's phase must stay float32 (in bfloat16
    it is off by radians, and complex bfloat16 does not exist); CPU autocast makes the same casts
    as CUDA's for the layers involved, so the shipped design is checked here without a GPU."""
    from segue.engine.model import SegueNet

    preset = load_preset("default")
    rate, window = preset.model.sample_rate, preset.model.window_samples
    clip = torch.from_numpy(procedural_clip(2 * window / rate, rate)).float()
    inputs, targets = clip[None, :, :window], clip[None, :, window:]
    step = TrainingStep(SegueNet(preset.model), preset)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        losses = step(inputs, targets, stage=2)
        audio = step.model.decode(step.model.encode(inputs))
    losses["total"].backward()
    assert audio.dtype == torch.float32
    assert all(torch.isfinite(value) for value in losses.values())
    assert all(torch.isfinite(p.grad).all() for p in step.model.parameters() if p.grad is not None)


@contextmanager
def ctrl_c_once(when: Callable[[], bool]) -> Iterator[None]:
    """Ctrl-C as a terminal sends it (SIGINT to this process) as soon as `when()` holds. One
    that came after the run had ended would find this handler, not pytest's: the test fails
    on what it checks instead of the session stopping."""
    previous = signal.signal(signal.SIGINT, lambda number, frame: None)
    finished = threading.Event()

    def send() -> None:
        wait_for(lambda: finished.is_set() or when())
        if not finished.is_set():
            os.kill(os.getpid(), signal.SIGINT)

    sender = threading.Thread(target=send)
    sender.start()
    try:
        yield
    finally:
        finished.set()
        sender.join()
        signal.signal(signal.SIGINT, previous)


@pytest.mark.slow
def test_resume_after_ctrl_c_ends_where_an_unbroken_run_does(
    prepared: Path, tmp_path: Path
) -> None:
    cache = cache_copy(prepared, tmp_path)
    common = ["--cache", str(cache), "--preset", TINY, "--epochs", "2", "--samples-every", "9"]
    whole = tmp_path / "whole.safetensors"
    segue_here("train", *common, "-o", str(whole))

    broken = tmp_path / "broken.safetensors"
    checkpoint = tmp_path / "broken.run" / CHECKPOINT
    with ctrl_c_once(checkpoint.exists):  # once the first epoch is done
        assert "stopping after this step" in segue_here("train", *common, "-o", str(broken)).output
    stopped_at = load_checkpoint(tmp_path / "broken.run")["step"]
    assert 0 < stopped_at < 2 * 10, "the run was to be interrupted in the middle"

    resumed = segue_here("train", *common, "-o", str(broken), "--resume").output
    assert "20 steps" in resumed  # 2 epochs of 10 steps, as the unbroken run
    history = load_checkpoint(tmp_path / "broken.run")["history"]
    assert [entry["epoch"] for entry in history] == [1, 2]
    expected, got = load_file(whole), load_file(broken)
    assert all(torch.equal(expected[name], got[name]) for name in expected)


@pytest.mark.slow
def test_two_gloo_processes_train_what_one_process_would(prepared: Path, tmp_path: Path) -> None:
    """torchrun, 2 processes x batch 2, against 1 process x batch 4: same pairs per step, and
    DDP averages the gradients, so the weights agree (to float rounding). For that the preset
    draws nothing at random (no variation vectors, no random crops) and its losses are means
    over the batch (L1; the STFT loss's spectral convergence is a ratio over the whole batch,
    which two half batches do not reproduce)."""
    exact = [("variation_dim = 4", "variation_dim = 0"), ("best_of = 2", "best_of = 1"),
             ("spectral_crop_seconds = 1.0\n", ""), ("stft_weight = 1.0", "stft_weight = 0.0"),
             ("prediction_waveform_loss = false", "prediction_waveform_loss = true")]  # fmt: skip
    two = variant(tmp_path, "exact", *exact)
    one = variant(tmp_path, "exact-batch4", *exact, ("batch_size = 2", "batch_size = 4"))
    cache = cache_copy(prepared, tmp_path)  # the variants keep the tiny preset's windows
    train = ["train", "--cache", str(cache), "--steps", "4", "--device", "cpu"]
    segue_here(*train, "--preset", one, "-o", str(tmp_path / "one.safetensors"))
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone",
                "--nproc_per_node=2", SEGUE]  # fmt: skip
    result = subprocess.run(
        [*torchrun, *train, "--preset", two, "-o", str(tmp_path / "two.safetensors")],
        capture_output=True, text=True, timeout=PATIENCE,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    single, pair = (load_model(tmp_path / f"{n}.safetensors") for n in ("one", "two"))
    assert pair.metadata["processes"] == 2 and pair.metadata["steps"] == 4
    assert pair.metadata["data"] == single.metadata["data"]  # the same split and pairs
    weights, other = single.model.state_dict(), pair.model.state_dict()
    for name, value in weights.items():
        assert torch.allclose(value, other[name], atol=1e-5, rtol=1e-4), name


def test_nothing_usable_fails_and_says_why(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "a.wav").write_bytes(b"")
    refused = segue_here("train", str(tmp_path / "lib"), "--cache", str(tmp_path / "c"),
                         "-o", str(tmp_path / "m.safetensors"), "--preset", TINY, "--steps", "1",
                         ok=False).output  # fmt: skip
    assert "nothing usable to train on" in refused and "empty" in refused
    assert not (tmp_path / "m.safetensors").exists()
    unknown = segue("train", str(tmp_path / "lib"), "-o", str(tmp_path / "m.safetensors"),
                    "--from", "no-such", "--steps", "1", ok=False)  # fmt: skip
    assert unknown.returncode == 1 and "unknown model 'no-such'" in unknown.stderr


def test_a_checkpoint_never_runs_code(tmp_path: Path) -> None:
    class Trap:
        def __reduce__(self):
            return (os.system, (f"touch {tmp_path / 'sprung'}",))

    (tmp_path / CHECKPOINT).write_bytes(pickle.dumps({"model": Trap()}, protocol=2))
    with pytest.raises(ValueError, match="cannot resume from"):
        load_checkpoint(tmp_path)
    assert not (tmp_path / "sprung").exists()

"""Model files: safetensors + config + metadata; anything else is refused, nothing is unpickled."""

from __future__ import annotations

import json
import os
import pickle
import stat
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from segue.engine.config import load_preset
from segue.engine.model import SegueNet
from segue.engine.modelfile import load_model, open_model, save_model
from segue.engine.modelheader import ModelFileError
from segue.presets import available_presets


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SegueNet]:
    torch.manual_seed(1)
    net = SegueNet(load_preset("default").model).eval()
    path = tmp_path_factory.mktemp("model") / "mine.safetensors"
    save_model(path, net, {"preset": "default", "steps": 7})
    return path, net


def test_round_trip_keeps_weights_config_and_metadata(saved: tuple[Path, SegueNet]) -> None:
    path, net = saved
    loaded = load_model(path)
    assert loaded.config == net.config
    assert loaded.metadata["preset"] == "default" and loaded.metadata["steps"] == 7
    assert "segue_version" in loaded.metadata
    x = torch.randn(1, 2, net.config.window_samples)
    with torch.no_grad():
        mine = loaded.model.continue_latent(loaded.model.encode(x))
        theirs = net.continue_latent(net.encode(x))
        assert torch.equal(mine.waveform, theirs.waveform) and torch.equal(
            mine.latent, theirs.latent
        )
    assert not list(path.parent.glob("*.part"))
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask  # as readable as audio Segue writes


def _refused(path: Path, words: str) -> None:
    with pytest.raises(ModelFileError) as caught:
        load_model(path)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message and words in message


def test_files_that_are_not_segue_models(tmp_path: Path, saved: tuple[Path, SegueNet]) -> None:
    _refused(tmp_path / "missing.safetensors", "no such file")
    _refused(tmp_path, "not a file")
    (tmp_path / "empty.safetensors").write_bytes(b"")
    _refused(tmp_path / "empty.safetensors", "not a safetensors file")
    (tmp_path / "noise.safetensors").write_bytes(bytes(range(256)) * 40)
    _refused(tmp_path / "noise.safetensors", "not a safetensors file")
    save_file({"w": torch.zeros(3)}, tmp_path / "foreign.safetensors", metadata={"x": "y"})
    _refused(tmp_path / "foreign.safetensors", "not a Segue model")


def _tampered(source: Path, target: Path, change) -> Path:
    loaded = load_model(source)
    tensors = {k: v.clone() for k, v in loaded.model.state_dict().items()}
    header = {
        "format": "segue-model/1",
        "config": json.dumps(json.loads(_header(source)["config"])),
        "metadata": "{}",
    }
    change(tensors, header)
    save_file(tensors, target, metadata=header)
    return target


def _header(path: Path) -> dict[str, str]:
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as handle:
        return handle.metadata()


def test_inconsistent_models_are_refused(tmp_path: Path, saved: tuple[Path, SegueNet]) -> None:
    source = saved[0]

    def drop_a_weight(tensors, header):
        tensors.pop(next(iter(tensors)))

    def bad_config(tensors, header):
        config = json.loads(header["config"])
        config["decoder"] = "wavenet"
        header["config"] = json.dumps(config)

    def nan_weights(tensors, header):
        first = next(iter(tensors))
        tensors[first] = torch.full_like(tensors[first], float("nan"))

    _refused(_tampered(source, tmp_path / "a.safetensors", drop_a_weight), "do not fit")
    _refused(_tampered(source, tmp_path / "b.safetensors", bad_config), "config is invalid")
    _refused(_tampered(source, tmp_path / "c.safetensors", nan_weights), "NaN")


class _Trap:
    """Unpickling this would create a file: proof that loading executes no code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_pickles_are_never_unpickled(tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    for name, write in {
        "trap.safetensors": lambda p: p.write_bytes(pickle.dumps(_Trap(marker))),
        "trap.pt": lambda p: torch.save({"x": _Trap(marker)}, p),
    }.items():
        write(tmp_path / name)
        _refused(tmp_path / name, "not a safetensors file")
    assert not marker.exists()


def test_open_model_by_name_or_path(saved: tuple[Path, SegueNet]) -> None:
    assert open_model(str(saved[0])).metadata["steps"] == 7
    assert set(available_presets()) >= {"default", "seed"}
    with pytest.raises(ModelFileError) as caught:
        open_model("fancy")
    assert "default" in str(caught.value) and "seed" in str(caught.value)

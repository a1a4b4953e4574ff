"""Presets are readable TOML: `seed` keeps the original's training, `default` fixes its flaws."""

from __future__ import annotations

import pytest

from segue.engine.config import load_preset, model_config_from_dict, to_dict, train_config_from_dict
from segue.engine.errors import InvalidValueError
from segue.presets import available_presets


def test_seed_trains_as_the_original_did() -> None:
    seed = load_preset("seed")
    assert (seed.model.sample_rate, seed.model.channels, seed.model.window_seconds) == (
        12000,
        2,
        10.0,
    )
    train = seed.train
    assert (train.batch_size, train.accumulation, train.learning_rate) == (16, 4, 5e-5)
    assert (train.waveform_loss, train.stft_weight, train.input_offset) == ("mse", 0.0, 1.0)
    assert train.stage1_fraction == pytest.approx(13 / 120, abs=0.001)
    assert (seed.model.positional, seed.model.activation) == ("none", "none")


def test_default_does_not_inherit_the_flaws() -> None:
    default = load_preset("default")
    assert default.model.sample_rate >= 22050
    assert default.model.positional == "sinusoidal"
    assert default.model.decoder == "istft"
    assert default.train.stft_weight > 0 and default.train.input_offset == 0.0
    assert default.model.variation_dim > 0
    assert default.model.render == "clip"  # full band: the clip's own beats play the prediction


def test_typos_and_nonsense_are_refused() -> None:
    data = {"batch_size": 4, "learning_rate": 1e-3, "learning_rat": 1.0}
    with pytest.raises(ValueError, match="learning_rat"):
        train_config_from_dict(data)
    model = load_preset("default").model
    with pytest.raises(ValueError, match="decoder"):
        model_config_from_dict({**to_dict(model), "decoder": "wavenet"})
    with pytest.raises(ValueError, match="locked decoder phase needs the istft"):
        model_config_from_dict({**to_dict(model), "decoder": "transposed"})
    with pytest.raises(ValueError, match="decoder_phase"):
        model_config_from_dict({**to_dict(model), "decoder_phase": "random"})
    with pytest.raises(ValueError, match="render must be"):
        model_config_from_dict({**to_dict(model), "render": "vocoder"})
    with pytest.raises(ValueError, match="draws variations"):
        model_config_from_dict({**to_dict(model), "variation_dim": 0})
    older = {key: value for key, value in to_dict(model).items() if key != "render"}
    assert model_config_from_dict(older).render == "decoder"  # a model file made before
    with pytest.raises(InvalidValueError, match="available are default"):  # told, in one line
        load_preset("nonexistent")
    assert {"default", "seed"} <= set(available_presets())

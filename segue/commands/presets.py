"""`segue presets`: the model configurations, and which ship trained."""

from __future__ import annotations

import click


@click.command()
def presets() -> None:
    """List the model presets: rate, channels, window, size, intent, and whether weights ship."""
    from segue.engine.config import load_preset
    from segue.engine.modelheader import stored_parameters
    from segue.presets import available_presets, shipped_model_path

    for name in available_presets():
        preset = load_preset(name)
        config = preset.model
        weights = shipped_model_path(name)
        size = "(not trained)"
        if weights.is_file():
            size = f"{stored_parameters(weights):,} parameters  (shipped)"
        click.echo(
            f"{name:10s} {config.sample_rate} Hz  {config.channels} ch  "
            f"{config.window_seconds:g} s window  {size}"
        )
        click.echo(f"{'':10s} {preset.intent}")

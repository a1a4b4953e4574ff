"""Replaying the clip's detail: where a continuation's frames replay the clip's, their STFT cells
are corrected by what the clip really had there (see `Replay`).

Beside the iSTFT decoder (`model.ISTFTDecoder`), whose cells it corrects between its spectrum
and its synthesis; a decoder that renders no STFT has nothing to replay.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn

from .model import (
    DECODER_REACH_FRAMES,
    Continued,
    ISTFTDecoder,
    Sampling,
    SegueNet,
    latent_frames,
    loop_indices,
)

RESIDUAL_CLAMP = 6.0  # nepers (52 dB): silence in the clip does not become a hole forever
# (3.0 held back the quiet cells: the clip replayed whole decoded 2.7 dB log-mel from itself)


class ClipCells(NamedTuple):
    """The clip's STFT cells against the decoder's rendering of the clip's latents, worked out
    once per clip; each [rows, channels, STFT frames, bins]."""

    residual: Tensor  # log |clip STFT| - decoded (clamped to +-RESIDUAL_CLAMP): its error
    phasor: Tensor  # complex, unit length: the clip's phase
    decoded: Tensor  # the decoder's log magnitudes for the clip's latents


class Replay(NamedTuple):
    """The clip's STFT cells, and which clip frame each latent frame replays.

    The decoder renders what it hears softer than it was (its quiet cells too loud, its
    transients blunted) and with a phase of its own making (`locked_phase`), which smears
    what a repeat should play as sharply as the clip did. On the clip itself the truth is
    known. Where the prediction replays the clip (the predictor's loop), a replayed cell gets
    back part of the decoder's error on it, and the clip's own phase in proportion to how
    close the predicted cell is to the one it replays: a repeat keeps its detail, a cell the
    prediction changed keeps the decoder's phase."""

    clip: ClipCells  # rows: the clip's channel groups
    sources: Tensor  # [batch, latent frames]: the clip frame that each latent frame replays
    weight: float  # how much of the residual a replayed cell gets
    phase_tolerance: float  # nepers: a replayed cell this far from its clip cell keeps e^-1
    # of the clip's phase (in the phasor sum with the decoder's)


def clip_replay(
    decoder: nn.Module,
    waveform: Tensor,
    latent: Tensor,
    weight: float,
    phase_tolerance: float,
    copies: int = 1,
) -> Replay | None:
    """The `Replay` of clip windows and their latents, for `copies` rows of each (the
    variations); None for a decoder that renders no STFT."""
    if not isinstance(decoder, ISTFTDecoder):
        return None
    frames = torch.arange(latent.shape[-1], device=latent.device)
    sources = frames.expand(copies * latent.shape[0], -1)
    return Replay(clip_cells(decoder, waveform, latent), sources, weight, phase_tolerance)


def clip_cells(decoder: ISTFTDecoder, waveform: Tensor, latent: Tensor) -> ClipCells:
    """The STFT cells of `waveform` and of the decoding of `latent`, its latents."""
    config = decoder.config
    decoded, _ = decoder.spectrum(latent)
    stft = torch.stft(
        waveform.float().flatten(0, 1),
        config.n_fft,
        config.hop,
        window=decoder.window,
        return_complex=True,
    )  # centred frames, as the decoder's overlap-add places them
    heard = stft.transpose(1, 2)[:, : decoded.shape[2]].reshape(decoded.shape)
    error = heard.abs().clamp(min=1e-7).log() - decoded
    phasor = torch.polar(torch.ones_like(decoded), heard.angle())
    return ClipCells(error.clamp(-RESIDUAL_CLAMP, RESIDUAL_CLAMP), phasor, decoded)


def decode_replayed(decoder: ISTFTDecoder, latent: Tensor, replay: Replay) -> Tensor:
    """The waveform of these latents, each frame that replays a clip frame (`replay.sources`,
    one per latent frame) corrected by what the clip really had there (see `Replay`)."""
    config = decoder.config
    frames = latent_frames(config, config.window_samples)
    per = config.window_samples // config.hop // frames  # STFT frames each
    cells = replay.sources[:, :, None] * per + torch.arange(per, device=latent.device)
    rows = replay.clip.decoded.shape[0]
    groups = torch.arange(latent.shape[0], device=latent.device) % rows

    def replayed(cell: Tensor) -> Tensor:  # [groups, ...] -> [batch, ...] per output cell
        return cell.transpose(1, 2)[groups[:, None], cells.flatten(1)].transpose(1, 2)

    return _corrected(decoder, latent, ClipCells(*map(replayed, replay.clip)), replay)


def _corrected(
    decoder: ISTFTDecoder, latent: Tensor, replayed: ClipCells, replay: Replay
) -> Tensor:
    """The decoder's waveform of `latent`, its cells corrected by the clip cells they replay
    (`replayed`, one per output cell) with `replay`'s weight and tolerance."""
    log_magnitude, phase = decoder.spectrum(latent)
    distance = (log_magnitude - replayed.decoded) / replay.phase_tolerance
    trust = torch.exp(-distance.square())
    log_magnitude = log_magnitude + replay.weight * replayed.residual
    phase = decoder.played_phase(log_magnitude, phase)
    own = torch.complex(torch.cos(phase), torch.sin(phase))
    mixed = trust * replayed.phasor + (1 - trust) * own  # the clip's phase and the decoder's
    mixed = mixed / mixed.abs().clamp(min=1e-7)
    return decoder.render(log_magnitude, mixed.real, mixed.imag)


def continue_replaying(
    model: SegueNet,
    latent: Tensor,
    sampling: Sampling | None,
    frames: int | None,
    replay: Replay | None,
) -> tuple[Continued, Replay | None]:
    """`model.continue_latent`, with the frames that the predictor's loop replays from the clip
    corrected (`replay`, whose sources are `latent`'s), and the `Replay` of the window it
    returns: where that window's frames come from in the clip. Without a replay, or with a
    predictor that does not loop, a plain continuation, and no replay follows it."""
    if replay is None:
        return model.continue_latent(latent, sampling, frames), None
    predicted, future = model.predict(latent, sampling)
    if predicted.lags is None:
        return Continued(future, model.decode_following(latent, future, frames)), None
    played = loop_indices(latent.shape[-1], latent.device)[predicted.lags - 1]
    following = replay._replace(sources=replay.sources.gather(1, played))
    sources = torch.cat([replay.sources[:, -DECODER_REACH_FRAMES:], following.sources], dim=1)

    def decode(heard: Tensor) -> Tensor:  # the input's last frames, then the prediction's
        return decode_replayed(
            model.decoder, heard, replay._replace(sources=sources[:, : heard.shape[-1]])
        )

    return Continued(future, model.decode_following(latent, future, frames, decode)), following

"""The styles the generator plays, one `Style` per module; STYLES names them in order.

The order matters: `song_spec` draws a style by its index, `write_library` cycles through
them, and every song makes every style's variant draws in this order (see `Band`).
"""

from __future__ import annotations

from segue.procedural.styles.ballad import BALLAD
from segue.procedural.styles.base import Style
from segue.procedural.styles.reggae import REGGAE
from segue.procedural.styles.rock import ROCK
from segue.procedural.styles.salsa import SALSA
from segue.procedural.styles.techno import TECHNO

BY_NAME: dict[str, Style] = {s.name: s for s in (ROCK, REGGAE, SALSA, TECHNO, BALLAD)}
STYLES: tuple[str, ...] = tuple(BY_NAME)


def style_named(name: str) -> Style:
    """The style called `name`, or a ValueError that lists the styles there are."""
    if name not in BY_NAME:
        raise ValueError(f"unknown style {name!r}; expected one of {STYLES}")
    return BY_NAME[name]

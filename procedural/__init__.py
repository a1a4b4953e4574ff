"""Seeded procedural music: multi-instrument songs in five styles, rendered with numpy.

Why: the test-suite and the model that ships with Segue need plenty of music whose tempo,
key and style are known, without committing audio or downloading data sets; `segue demo`
needs a clip to continue. Each song is built the way a band plays: a drum pattern per style
with fills and crashes at section changes, a bass line on the chord roots, a comping voice
on a chord progression in a key, and a lead line made of a motif that repeats with
variation over 8-bar phrases. Voices are cheap additive/subtractive synths with envelopes;
drum one-shots are synthesised once per sample rate and reused, and every note is mixed in
by slicing, so a minute renders in well under a second on one core.

The parts: `song` (the public API below), `styles` (one `Style` per style: its table values
and its drum, bass and comping patterns), `band` (plays a song's bars into buses),
`melody`, `harmony`, `synth` (voices), `drumkit` and `mixdown`; `seeds` keeps every part
on its own random stream.
"""

from segue.procedural.song import SongSpec, generate_song, song_spec, write_library
from segue.procedural.styles import STYLES

__all__ = ["STYLES", "SongSpec", "generate_song", "song_spec", "write_library"]

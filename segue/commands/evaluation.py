"""`segue eval`: models scored against honest baselines on held-out songs."""

from __future__ import annotations

from pathlib import Path

import click

from segue.engine.config import DEFAULT_TEMPERATURE, MAX_VARIATIONS
from segue.options import Failure, device_option, fail_clearly

EVAL_EXTRA = (
    "segue eval needs librosa, which the plain install leaves out (with numba, llvmlite and "
    "scikit-learn, about 280 MB that only evaluation uses): pip install 'segue[eval]'"
)


def _has_eval_extra() -> bool:
    try:
        import librosa  # noqa: F401  (what the measures need, and what the help lists them from)
    except ImportError:
        return False
    return True


class _EvalCommand(click.Command):
    """`segue eval`, whose help lists the measures from their one table (trainer/metrics.py's
    MEASURES), imported only when the help is shown: it brings librosa (the `eval` extra)."""

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        import inspect

        rows = [f"  ({EVAL_EXTRA}, and the measures are listed here.)"]
        if _has_eval_extra():
            from segue.trainer.metrics import MEASURES

            rows = []
            for measure in MEASURES:
                name = f"{measure.label} {measure.arrow}"
                only = "" if measure.per_continuation else "with --variations K: "
                unit = f" [{measure.unit}]" if measure.unit else ""
                rows.append(f"  {name:<12}{only}{measure.what}{unit}")
        formatter.write_paragraph()
        with formatter.indentation():
            formatter.write_text(inspect.cleandoc(self.help).replace("{measures}", "\n".join(rows)))


@click.command("eval", cls=_EvalCommand)
@click.argument("data", type=click.Path(exists=True, path_type=Path))
@click.option(
    "-m",
    "--model",
    "models",
    multiple=True,
    help="A model to evaluate: a shipped one (default, seed) or a model file; "
    "repeat to compare several in one table [default].",
)
@click.option(
    "--pairs",
    default=8,
    show_default=True,
    type=click.IntRange(min=1),
    help="Pairs to cut, spread over the songs.",
)
@click.option(
    "--variations",
    default=1,
    show_default=True,
    type=click.IntRange(1, MAX_VARIATIONS),
    help="Continuations per input; 2 or more also measures how different they are.",
)
@click.option(
    "--seconds", default=8.0, show_default=True, type=float, help="Length of each continuation."
)
@click.option(
    "--input-seconds",
    type=float,
    help="Input every system hears [the longest window of the models].",
)
@click.option(
    "--trained",
    default="refuse",
    show_default=True,
    type=click.Choice(["refuse", "skip", "flag"]),
    help="Songs a model trained on (listed in its file): refuse to run, leave them out, "
    "or keep them and flag their pairs.",
)
@click.option("--seed", default=0, show_default=True, type=int, help="Pair positions and draws.")
@click.option(
    "--temperature",
    default=DEFAULT_TEMPERATURE,
    show_default=True,
    type=float,
    help="The models' sampling temperature.",
)
@click.option(
    "--statistic",
    default="mean",
    show_default=True,
    type=click.Choice(["mean", "median"]),
    help="What the table shows of each measure's values over the pairs.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the results as JSON on stdout (the table then goes to stderr).",
)
@click.option(
    "--report",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write DIR/index.html (players and spectrograms per pair), DIR/distributions.png "
    "and DIR/results.json.",
)
@device_option
@fail_clearly
def eval_command(
    data, models, pairs, variations, seconds, input_seconds, trained, seed, temperature,
    statistic, as_json, report, device,
) -> None:  # fmt: skip
    """Score models against honest baselines on held-out songs.

    DATA (a folder of songs in any format, or one file) is cut into pairs: an input and the
    true continuation that followed it. Every model (-m, repeated) and six baselines
    (silence, noise, drone, loop, jukebox: the input's own beats rearranged, Infinite Jukebox
    style, and truth) continue each input; one table gives each system's mean (or --statistic
    median) over the pairs of phase-invariant measures (↓ lower is better, ↑ higher, ≈T
    closest to the truth's own score; "at the song's rate": measured at its own sample rate):

    \b
    {measures}

    A model file lists the songs it trained on; DATA songs among them are refused
    unless --trained says otherwise.

    \b
    segue eval songs/ -m default -m seed -m mine.safetensors --pairs 20 --variations 4
    """
    import json

    if not _has_eval_extra():
        raise Failure(EVAL_EXTRA)

    from segue.engine.device import resolve_device
    from segue.engine.modelfile import open_model
    from segue.trainer.eval_results import table
    from segue.trainer.evaluate import EvalOptions, model_names
    from segue.trainer.evaluate import run as run_evaluation

    given = list(models) or ["default"]
    where = resolve_device(device)
    loaded = {
        name: open_model(text, where) for name, text in zip(model_names(given), given, strict=True)
    }
    options = EvalOptions(pairs, variations, seconds, input_seconds, seed, temperature, trained)
    results = run_evaluation(data, loaded, options, report)
    click.echo(table(results, statistic), err=as_json)
    if as_json:
        click.echo(json.dumps(results.to_json(), indent=1, ensure_ascii=False))
    if report is not None:
        click.echo(f"report: {report / 'index.html'}", err=as_json)

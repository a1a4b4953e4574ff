"""The README is the front door: short, its links lead somewhere, its commands run as shown, and
it tells a newcomer what CI does (.ci/run)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from commands import segue_here

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCUMENTS = [README, ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]

FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.M | re.S)
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
OPTION = re.compile(r"(?<![\w/.~-])(--?[A-Za-z][\w-]*)")


def fenced_lines(text: str) -> list[str]:
    return [line for block in FENCE.findall(text) for line in block.splitlines()]


def anchors(path: Path) -> set[str]:
    """The ids GitHub gives a file's headings: lower case, punctuation out, spaces to hyphens,
    a repeated heading numbered."""
    seen: dict[str, int] = {}
    for heading in re.findall(r"^#{1,6} +(.+?) *$", FENCE.sub("", path.read_text()), re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        if count:
            seen[f"{slug}-{count}"] = 1
    return set(seen)


def readme_commands() -> list[str]:
    """Each `segue ...` command in the README's code blocks, its continuation lines (indented,
    or after a backslash) joined to it, comments dropped."""
    commands: list[str] = []
    for block in FENCE.findall(README.read_text()):
        current: list[str] | None = None
        for line in block.splitlines():
            continues = current is not None and (line[:1].isspace() or current[-1].endswith("\\"))
            if continues:
                current.append(line)
                continue
            if current:
                commands.append(" ".join(current))
            current = [line] if line.startswith("segue ") else None
        if current:
            commands.append(" ".join(current))
    return [re.sub(r"\s#.*", "", command).replace("\\", " ") for command in commands]


def used_options() -> dict[str, set[str]]:
    """Subcommand -> the options the README's commands give it."""
    used: dict[str, set[str]] = {}
    for command in readme_commands():
        subcommand = command.split()[1]
        used.setdefault(subcommand, set()).update(OPTION.findall(command))
    return used


def test_readme_is_a_front_door() -> None:
    lines = README.read_text().splitlines()
    assert len(lines) <= 300, f"README.md has {len(lines)} lines: move detail into docs/"


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_relative_links_resolve(document: Path) -> None:
    broken = []
    for target in LINK.findall(FENCE.sub("", document.read_text())):
        if re.match(r"[a-z][a-z+.-]*:", target):
            continue  # https:, mailto: ...
        file, _, anchor = target.partition("#")
        path = (document.parent / file).resolve() if file else document
        if not path.exists():
            broken.append(f"{target}: no such file")
        elif anchor and path.suffix == ".md" and anchor not in anchors(path):
            broken.append(f"{target}: no heading #{anchor}")
    assert not broken, broken


def test_the_readme_shows_the_ways_in() -> None:
    assert {"continue", "serve", "send", "midi", "train", "eval", "demo"} <= set(used_options())


@pytest.mark.parametrize("subcommand", sorted(used_options()))
def test_readme_commands_run_as_shown(subcommand: str) -> None:
    """`segue SUBCOMMAND --help` runs, and lists every option the README gives it."""
    listed = set(OPTION.findall(segue_here(subcommand, "--help").output))
    assert used_options()[subcommand] <= listed, (
        f"segue {subcommand} has no {sorted(used_options()[subcommand] - listed)}"
    )


def test_readme_tells_a_newcomer_what_ci_does() -> None:
    """.ci/run installs the README's system packages, then runs its set-up and test commands."""
    ci = (ROOT / ".ci" / "run").read_text()
    lines = [re.sub(r"\s+#.*", "", line) for line in fenced_lines(README.read_text())]
    readme = [part.strip() for line in lines for part in line.split("&&")]
    apt = next(shlex.split(part) for part in readme if part.startswith("sudo apt install"))
    ci_packages = re.search(r"for tool in ([^;]+);", ci).group(1).split()
    assert sorted(apt[3:]) == sorted(pair.split(":")[1] for pair in ci_packages)
    steps = ci[ci.index("/bin/activate") :].splitlines()[1:]
    steps = [re.sub(r"\s+#.*", "", step).replace(" -q ", " ", 1).strip() for step in steps]
    steps = [step for step in steps if step.startswith(("pip ", "ruff ", "pytest"))]
    assert steps, ".ci/run runs no pip, ruff or pytest"
    missing = [step for step in steps if step not in readme]
    assert not missing, f".ci/run runs what README.md does not show: {missing}"

"""The order of the suite, and how pytest-xdist shares it between workers, decided by marks.

A plugin (conftest.py's `pytest_plugins`). pyproject.toml runs `--dist loadfile
--no-loadscope-reorder`: each worker takes whole files, handed out in collection order. A file
says what it is with a module mark, `pytestmark = pytest.mark.engine` or `... .long`:

- the files marked `engine` use the shared `engine` fixture, and are one unit of work, so that
  one worker runs them all and starts one engine (each start loads torch and the model: minutes
  on a slow machine); a test that uses the engine in a file not so marked stops the run;
- the engine's files go first, then the files marked `long`, then the rest: the longest units
  start early and the last file a worker takes is a short one.

The scheduler runs in pytest-xdist's controller, which collects nothing and sees only node ids,
so it reads a file's module mark from the file itself.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path
from typing import Any

import pytest

ENGINE = "engine"
LONG = "long"


@functools.cache
def module_marks(path: Path) -> frozenset[str]:
    """The names of the marks in a test file's `pytestmark` (pytest.mark.NAME, alone or listed)."""
    marks = set()
    for node in ast.parse(Path(path).read_text()).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "pytestmark" for target in node.targets
        ):
            marks |= {
                part.attr
                for part in ast.walk(node.value)
                if isinstance(part, ast.Attribute) and ast.unparse(part.value) == "pytest.mark"
            }
    return frozenset(marks)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    unmarked = {
        item.path.name
        for item in items
        if ENGINE in item.fixturenames and ENGINE not in module_marks(item.path)
    }
    if unmarked:
        raise pytest.UsageError(f"mark {sorted(unmarked)} `pytestmark = pytest.mark.engine`")
    items.sort(  # stable: the tests of a file keep their order
        key=lambda item: (
            ENGINE not in module_marks(item.path),
            LONG not in module_marks(item.path),
        )
    )


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`--dist loadfile`, except that the files marked `engine` are one unit of work."""
    if config.getvalue("dist") != "loadfile":
        return None  # pytest-xdist's own scheduler for the --dist asked for
    from xdist.scheduler import LoadFileScheduling

    root = config.rootpath

    class EngineFilesTogether(LoadFileScheduling):
        # pytest-xdist's one private method used here. Its public way to keep tests together,
        # `--dist loadgroup` with `xdist_group` marks, groups nothing under pytest 9 (the worker
        # renames `item._nodeid`, and pytest 9 derives `nodeid` from the structured id), so each
        # engine test went to a worker of its own and both workers started an engine.
        # LoadFileScheduling itself is this same override of LoadScopeScheduling.
        def _split_scope(self, nodeid: str) -> str:
            file = super()._split_scope(nodeid)
            return ENGINE if ENGINE in module_marks(root / file) else file

    return EngineFilesTogether(config, log)

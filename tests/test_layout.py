"""The house rules that keep each room to one job: no import circle between Segue's modules
(an import inside a function counts: it hides a circle, it does not break it; one under `if
TYPE_CHECKING:` never runs, and names a type a style and the band it plays on share), and no
module much over 600 lines."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PARTS = {  # the folders, and the package each is installed as (pyproject.toml)
    "segue": "segue",
    "engine": "segue.engine",
    "bridge": "segue.bridge",
    "trainer": "segue.trainer",
    "procedural": "segue.procedural",
    "presets": "segue.presets",
}
MAX_LINES = 600  # a module longer than this holds more than one job, unless LONGER says why
LONGER = {  # module: (the most lines it may have, why it is one job all the same)
    "engine/audio.py": (650, "audio in and out at the edge: every format, and one refusal in "
                        "words for each way a file can be bad (empty, cut short, NaN, odd rates)"),
    "engine/watchfolder.py": (650, "the watch folder's whole contract, crash-safety and "
                              "journal included: split, its invariants would span two files"),
}  # fmt: skip


def _modules() -> dict[str, Path]:
    found = {}
    for folder, package in PARTS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            name = ".".join((package, *parts))
            found[name.removesuffix(".__init__")] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The Segue modules that `name` imports, wherever in it the import stands."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    tree = ast.parse(path.read_text())
    typing_only = {  # `if TYPE_CHECKING:` imports never run: a name in an annotation
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
        for inner in ast.walk(node)
    }
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name and not name.startswith(target + "."):
                found.add(target)  # a module's own parent packages are imported first anyway
    return found


def test_no_import_circle() -> None:
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    circles = []
    state: dict[str, int] = {}  # 1: on the path being walked, 2: done

    def walk(name: str, path: list[str]) -> None:
        state[name] = 1
        for target in sorted(graph[name]):
            if state.get(target) == 1:
                circles.append(" -> ".join([*path[path.index(target) :], target]))
            elif target not in state:
                walk(target, [*path, target])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            walk(name, [name])
    assert not circles, "\n".join(circles)


def _part(name: str) -> str:
    """The top-level part a module belongs to: `segue.engine.audio` -> `segue.engine`."""
    return ".".join(name.split(".")[:2])


def test_the_parts_depend_one_way() -> None:
    """Between the parts too (the command line, engine, bridge, trainer, presets, the
    procedural songs), dependencies go one way: the engine never needs the trainer, and a
    part that needs another is not needed by it."""
    modules = _modules()
    needs: dict[str, set[str]] = {}
    for name, path in modules.items():
        for target in _imports(name, path, modules):
            if _part(target) != _part(name):
                needs.setdefault(_part(name), set()).add(_part(target))
    both = sorted(
        f"{a} <-> {b}" for a in needs for b in needs[a] if a < b and a in needs.get(b, ())
    )
    assert not both, both
    assert "segue.trainer" not in needs.get("segue.engine", set())


def test_no_module_holds_more_than_one_job() -> None:
    long = {}
    for path in _modules().values():
        name, lines = str(path.relative_to(ROOT)), len(path.read_text().splitlines())
        if lines > LONGER.get(name, (MAX_LINES,))[0]:
            long[name] = lines
    assert not long, long

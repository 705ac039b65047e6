"""The layer rule of docs/ARCHITECTURE.md, checked on the source: imports only go down.

Every ``import`` counts, also those inside functions and under ``TYPE_CHECKING``: a lazy
import upward is still an upward dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "classifier"

# Rank of each top-level part of the package; a module may import its own part or lower ranks.
# Parts of equal rank (training, labelling) may not import each other.
RANKS = {
    "errors": 0, "text": 1, "features": 2, "summary": 3, "model": 4,
    "training": 5, "labelling": 5, "service": 6, "review": 7, "cli": 8,
}
HEAVY = ("numpy", "scipy", "sklearn")


def modules() -> dict[str, Path]:
    """Import name -> file of every module in the package."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def imports_of(path: Path, *, top_level_only: bool = False) -> list[str]:
    """Absolute names of the modules a file imports (``from x import y`` gives ``x`` and,
    where ``x.y`` is a module of the package, ``x.y``)."""
    tree = ast.parse(path.read_text("utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: list[str] = []
    known = set(modules())
    for node in nodes:
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
            found.extend(f"{node.module}.{a.name}" for a in node.names
                         if f"{node.module}.{a.name}" in known)
    return found


def part_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_every_part_has_a_rank() -> None:
    parts = {part_of(m) for m in modules()} - {"", "__main__"}
    assert parts <= set(RANKS), parts - set(RANKS)


def test_imports_only_go_down() -> None:
    bad = []
    for name, path in modules().items():
        mine = part_of(name)
        if mine in ("", "__main__"):
            continue
        for target in imports_of(path):
            theirs = part_of(target) if target.startswith("classifier.") else None
            if theirs is None or theirs == mine or theirs == "":
                continue
            if RANKS[theirs] > RANKS[mine] or (RANKS[theirs] == RANKS[mine]):
                bad.append(f"{name} imports {target}")
    assert not bad, "\n".join(bad)


def test_text_layer_is_pure_python() -> None:
    bad = [f"{name} imports {t}" for name, path in modules().items()
           if part_of(name) == "text" for t in imports_of(path) if t.split(".")[0] in HEAVY]
    assert not bad, "\n".join(bad)


def test_only_training_imports_scikit_learn() -> None:
    bad = [f"{name} imports {t}" for name, path in modules().items()
           if part_of(name) != "training" for t in imports_of(path)
           if t.split(".")[0] == "sklearn"]
    assert not bad, "\n".join(bad)


def test_no_import_cycles_at_module_level() -> None:
    graph = {name: [t for t in imports_of(path, top_level_only=True) if t in modules()]
             for name, path in modules().items()}
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            # A package's __init__ always runs before its modules: an edge to an ancestor
            # package is how Python loads the module, not a dependency.
            if nxt == node or node.startswith(nxt + "."):
                continue
            assert state.get(nxt) != 1, " -> ".join([*path, node, nxt])
            if nxt not in state:
                visit(nxt, [*path, node])
        state[node] = 2

    for name in graph:
        if name not in state:
            visit(name, [])

"""The module graph of r1lib: imports at module top, no circle, layers as the README draws them.

``lint-imports`` (in .ci/run) checks the layer contract of pyproject.toml; these tests check what
it does not: that no r1lib module is imported inside a function body, and that the graph of
r1lib modules (imports inside functions counted too) has no circle, within a layer included.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "r1lib"
MODULES = {".".join(p.relative_to(ROOT.parent).with_suffix("").parts).removesuffix(".__init__"): p
           for p in ROOT.rglob("*.py")}


def _imports(path: Path):
    """(imported r1lib module, inside a function?) for every import statement of a file."""
    tree = ast.parse(path.read_text())
    out = []

    def walk(node, in_func):
        for ch in ast.iter_child_nodes(node):
            f = in_func or isinstance(ch, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(ch, ast.ImportFrom) and (ch.module or "").startswith("r1lib"):
                for a in ch.names:
                    full = f"{ch.module}.{a.name}"
                    out.append((full if full in MODULES else ch.module, in_func))
            elif isinstance(ch, ast.Import):
                out.extend((a.name, in_func) for a in ch.names if a.name.startswith("r1lib"))
            walk(ch, f)

    walk(tree, False)
    return out


def _graph():
    return {m: {t for t, _ in _imports(p) if t in MODULES and t != m} for m, p in MODULES.items()}


def test_no_r1lib_import_inside_a_function():
    deferred = sorted((m, t) for m, p in MODULES.items() for t, inside in _imports(p) if inside)
    assert deferred == []


def _cycle(graph):
    colour, stack = {}, []

    def visit(v):
        colour[v] = 1
        stack.append(v)
        for w in sorted(graph[v]):
            if colour.get(w) == 1:
                return stack[stack.index(w):] + [w]
            if w not in colour and (c := visit(w)):
                return c
        colour[v] = 2
        stack.pop()
        return None

    for v in sorted(graph):
        if v not in colour and (c := visit(v)):
            return c
    return None


def test_the_module_graph_has_no_circle():
    assert _cycle(_graph()) is None


def test_the_circle_check_finds_a_planted_circle():
    g = _graph()
    g["r1lib.core.profile"] = g["r1lib.core.profile"] | {"r1lib.machinery.config"}
    cycle = _cycle(g)
    assert cycle is not None and cycle[0] == cycle[-1] and "r1lib.core.profile" in cycle


@pytest.mark.parametrize("layer,forbidden", [
    ("r1lib.core", ("r1lib.sources", "r1lib.engine", "r1lib.recipe", "r1lib.machinery")),
    ("r1lib.sources", ("r1lib.engine", "r1lib.recipe", "r1lib.machinery")),
    ("r1lib.engine", ("r1lib.sources", "r1lib.recipe", "r1lib.machinery")),
    ("r1lib.recipe", ("r1lib.machinery", "r1lib.sources.micro", "r1lib.sources.real")),
])
def test_layers_point_down(layer, forbidden):
    bad = sorted((m, t) for m, ts in _graph().items() if m.startswith(layer + ".")
                 for t in ts if t.startswith(forbidden))
    assert bad == []

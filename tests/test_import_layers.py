"""The engine's modules import each other one way: no circle, counting imports inside
functions too (a lazy import that closes a circle still ties two layers together)."""

import ast
from pathlib import Path

from distill.runs import PROJECT_DIR


def module_names(root: Path) -> dict[str, Path]:
    names = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        names[name] = path
    return names


def imported(name: str, path: Path, node: ast.AST, known: dict) -> list[str]:
    """The project modules one import statement names."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name in known]
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    if node.level:
        base = package.split(".")[:len(package.split(".")) - (node.level - 1)]
        module = ".".join(base + ([node.module] if node.module else []))
    else:
        module = node.module or ""
    out = []
    for alias in node.names:
        full = f"{module}.{alias.name}"
        out += [full] if full in known else [module] if module in known else []
    return out


def import_graph(root: Path) -> dict[str, set[str]]:
    known = module_names(root)
    graph = {m: set() for m in known}
    for name, path in known.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                # a package's own __init__ runs first anyway: importing a parent is no circle
                graph[name] |= {t for t in imported(name, path, node, known)
                                if t != name and not name.startswith(t + ".")}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every set of modules that reach each other (Tarjan's strongly connected parts)."""
    index, low, stack, on, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = []
            while not part or part[-1] != v:
                part.append(stack.pop())
                on.discard(part[-1])
            if len(part) > 1:
                found.append(sorted(part))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_check_finds_a_circle(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "jobs").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "jobs" / "__init__.py").write_text("")
    (pkg / "cluster.py").write_text("from .jobs.worker import run_job\n")
    (pkg / "jobs" / "worker.py").write_text("def f():\n    from ..cluster import RayPool\n")
    (pkg / "plain.py").write_text("from . import cluster\n")
    assert circles(import_graph(pkg)) == [["pkg.cluster", "pkg.jobs.worker"]]


def test_the_engine_has_no_import_circle():
    assert circles(import_graph(PROJECT_DIR / "distill")) == []

"""The layers import downward only, and optional heavy parts stay optional."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "clusterhub"
ORDER = ["classify", "stats", "scheduling", "store", "services", "web", "cli"]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)  # and what it names, which may be modules of a package:
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_layers_import_only_layers_below_them() -> None:
    offences = []
    for layer_index, layer in enumerate(ORDER):
        folder = PACKAGE / layer
        if not folder.exists():
            continue
        above = set(ORDER[layer_index + 1 :])
        if layer in ("web", "cli"):
            above.discard("cli" if layer == "web" else "web")
        for path in folder.rglob("*.py"):
            for module in _imports(path):
                parts = module.split(".")
                if parts[0] == "clusterhub" and len(parts) > 1 and parts[1] in above:
                    offences.append(f"{path.relative_to(PACKAGE)} imports {module}")
    assert not offences, "\n".join(offences)


def test_faces_are_not_imported_by_each_other() -> None:
    for face, other in (("web", "cli"), ("cli", "web")):
        folder = PACKAGE / face
        if not folder.exists():
            continue
        for path in folder.rglob("*.py"):
            assert not any(m.startswith(f"clusterhub.{other}") for m in _imports(path)), path


def test_importing_the_engine_loads_no_heavy_optional_library() -> None:
    code = (
        "import sys, clusterhub.stats, clusterhub.classify;"
        "heavy = {'pyspark', 'torch', 'duckdb', 'pandas', 'fastapi', 'plotly'} & set(sys.modules);"
        "print(sorted(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


SERVICES = PACKAGE / "services"
#: Top-level service modules that every domain may use: they import no domain.
SHARED = {
    "reference",
    "schemas",
    "audit",
    "mail",
    "outbox",
    "embeddings",
    "missing_sources",
    "dataset_cache",
    "uploads",
    # The compute engine configured from the settings (``stats.engines``).
    "engines",
}


def _service_unit(module: str) -> str | None:
    """The domain (subpackage) or top-level module of ``services`` a dotted name is in."""
    parts = module.split(".")
    if parts[:2] != ["clusterhub", "services"] or len(parts) < 3:
        return None
    return parts[2]


def _service_graph() -> dict[str, set[str]]:
    """Which domains and top-level service modules import which others (any import, also
    inside functions and ``TYPE_CHECKING`` blocks: a circle is a circle for the reader too)."""
    graph: dict[str, set[str]] = {}
    for path in SERVICES.rglob("*.py"):
        relative = path.relative_to(SERVICES).with_suffix("").parts
        if relative == ("__init__",):
            continue
        unit = relative[0]
        targets = {_service_unit(module) for module in _imports(path)}
        graph.setdefault(unit, set()).update(t for t in targets if t and t != unit)
    return graph


def _circle(graph: dict[str, set[str]]) -> list[str] | None:
    """One circle in ``graph`` as the path around it, or None."""
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = "open"
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return [*path[path.index(target) :], target] if target in path else [target]
            if target not in state and (found := visit(target, [*path, target])):
                return found
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start, [start])):
            return found
    return None


def test_services_are_split_by_domain() -> None:
    domains = {p.name for p in SERVICES.iterdir() if (p / "__init__.py").exists()}
    assert {"accounts", "directory", "observatory", "scoreboard", "search"} <= domains
    flat = {p.stem for p in SERVICES.glob("*.py")} - {"__init__"}
    # Orchestrators: they call several domains (start-up, backups, writes, cache warming).
    assert flat <= SHARED | {"bootstrap", "backup", "write_actions", "warmup"}, flat - SHARED


def test_no_circles_between_service_domains() -> None:
    circle = _circle(_service_graph())
    assert circle is None, " -> ".join(circle or [])


def test_shared_service_modules_import_no_domain() -> None:
    graph = _service_graph()
    offences = {unit: graph.get(unit, set()) - SHARED for unit in SHARED}
    assert not any(offences.values()), offences


def test_the_circle_finder_finds_circles() -> None:
    assert _circle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _circle({"a": {"b"}, "b": {"c"}, "c": set()}) is None

"""The layers import downward only, and optional heavy parts stay optional."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "clusterhub"
ORDER = ["classify", "stats", "store", "services", "web", "cli"]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
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

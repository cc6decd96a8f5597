"""``clusterhub --help`` loads what a bare Typer app loads, not the layers below the CLI.

Each help runs in a fresh interpreter (this test process has imported everything already), and
the walk covers every command and group, so a new command that imports Polars or SQLAlchemy at
module level, or an option whose help text needs an engine module, fails here. The yardstick
is a bare Typer app's own help: Typer itself loads Rich, and pydantic for a command's options.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any, get_args

from clusterhub.services.observatory.vocabulary import MEASURE_LABELS, Measure
from clusterhub.stats.ratings import STAR_PRESETS
from clusterhub.stats.vocabulary import STAR_PRESET_NAMES

#: Libraries no help text needs (each costs a tenth of a second or more to import).
HEAVY = {
    "alembic", "argon2", "fastapi", "httpx", "jinja2", "numpy", "openpyxl", "pandas", "plotly",
    "polars", "psycopg", "pyarrow", "sentence_transformers", "sqlalchemy", "starlette", "torch",
    "uvicorn", "yaml",
}  # fmt: skip

_REPORT = """
def _report(helped):
    import json, sys
    tops = {name.split(".")[0] for name in sys.modules}
    libraries = sorted(tops - set(sys.stdlib_module_names) - {"clusterhub"})
    print(json.dumps({"helped": helped, "libraries": libraries}))
"""

_WALK = (
    _REPORT
    + """
import contextlib, io
import typer.main
from clusterhub.cli import app

def paths(command, prefix):
    yield prefix
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from paths(sub, [*prefix, name])

helped = []
for path in paths(typer.main.get_command(app), []):
    text = io.StringIO()
    with contextlib.redirect_stdout(text), contextlib.suppress(SystemExit):
        app([*path, "--help"], prog_name="clusterhub")
    helped.append([" ".join(path), "Usage:" in text.getvalue()])
_report(helped)
"""
)

_BARE = (
    _REPORT
    + """
import contextlib, io
from pathlib import Path
import typer

app = typer.Typer()

@app.command()
def first(out: Path, count: int = 1, name: str = "x") -> None:
    "A command."

@app.command()
def second() -> None:
    "Another."

for path in ([], ["first"]):
    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
        app([*path, "--help"])
_report([])
"""
)


def _run(code: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    report: dict[str, Any] = json.loads(out.stdout)
    return report


def test_every_help_loads_only_what_a_bare_typer_app_loads() -> None:
    report = _run(_WALK)
    helped = dict(report["helped"])
    assert {"", "complexity", "map", "scoreboard show", "users create", "serve"} <= set(helped)
    assert all(helped.values()), [name for name, shown in helped.items() if not shown]
    loaded = set(report["libraries"])
    assert not loaded & HEAVY, sorted(loaded & HEAVY)
    bare = set(_run(_BARE)["libraries"])
    assert loaded <= bare, f"loaded beyond a bare Typer app: {sorted(loaded - bare)}"


def test_importing_the_cli_loads_no_heavy_library() -> None:
    code = "import sys, clusterhub.cli; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = {name.split(".")[0] for name in out.stdout.split()}
    assert not loaded & (HEAVY | {"pydantic"}), sorted(loaded & (HEAVY | {"pydantic"}))


def test_the_word_lists_in_help_texts_are_complete() -> None:
    assert tuple(STAR_PRESETS) == STAR_PRESET_NAMES
    assert set(MEASURE_LABELS) == set(get_args(Measure))

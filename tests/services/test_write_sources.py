"""Every function that writes to the database is in ``services.write_actions``.

The source of ``services`` and ``demo`` is read (not run): a function writes when it adds or
deletes through the session, runs an INSERT, UPDATE or DELETE, assigns a column of a mapped
table, or calls a function listed as a part of a use case. Each must be a use case of the table
(which ``test_write_actions.py`` runs, expecting one audit entry) or a part; so a new write
without an audit entry fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import clusterhub
from clusterhub.services.write_actions import PARTS, WRITE_ACTIONS, qualified_name
from clusterhub.store.models import Base

PACKAGE = Path(clusterhub.__file__).resolve().parent
#: Session methods that write.
SESSION_WRITES = frozenset({"add", "add_all", "delete", "merge", "bulk_save_objects"})
#: SQLAlchemy statements that write.
DML = frozenset({"insert", "update", "delete"})
#: Attributes of mapped tables: assigning one on a loaded row is a write.
MAPPED = frozenset(
    {column.key for table in Base.metadata.tables.values() for column in table.columns}
    | {r.key for mapper in Base.registry.mappers for r in mapper.relationships}
)


def _modules() -> dict[str, Path]:
    services = PACKAGE / "services"
    found = {
        "clusterhub.services." + ".".join(p.relative_to(services).with_suffix("").parts): p
        for p in services.rglob("*.py")
        if p.name != "__init__.py"
    }
    found["clusterhub.demo"] = PACKAGE / "demo.py"
    return found


def _imports(tree: ast.Module, module: str) -> dict[str, str]:
    """Local names → the dotted names they stand for (modules and functions)."""
    names: dict[str, str] = {}
    for node in tree.body:
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.startswith("clusterhub")
        ):
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.ImportFrom) and node.module == "sqlalchemy":
            for alias in node.names:
                if alias.name in DML:
                    names[alias.asname or alias.name] = f"sqlalchemy.{alias.name}"
        elif isinstance(node, ast.FunctionDef):
            names[node.name] = f"{module}.{node.name}"
    return names


def _callee(call: ast.Call, names: dict[str, str]) -> str | None:
    target = call.func
    if isinstance(target, ast.Name):
        return names.get(target.id)
    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
        base = names.get(target.value.id)
        return f"{base}.{target.attr}" if base else None
    return None


def _writes(function: ast.AST, names: dict[str, str], parts: set[str]) -> bool:
    """Whether the function's own body writes, or calls a part that does."""
    return any(
        _writing_call(node, names, parts) if isinstance(node, ast.Call) else _sets_column(node)
        for node in ast.walk(function)
    )


def _writing_call(call: ast.Call, names: dict[str, str], parts: set[str]) -> bool:
    callee = _callee(call, names) or ""
    method = call.func
    session_write = (
        isinstance(method, ast.Attribute)
        and method.attr in SESSION_WRITES
        and isinstance(method.value, ast.Name)
        and method.value.id == "session"
    )
    dynamic_set = isinstance(method, ast.Name) and method.id == "setattr"
    return (
        callee in parts
        or callee.removeprefix("sqlalchemy.") in DML
        or session_write
        or (dynamic_set)
    )


def _sets_column(node: ast.AST) -> bool:
    """An assignment to a mapped column of a local name (``org.label = ...``)."""
    if isinstance(node, ast.Assign):
        targets = [t for target in node.targets for t in _flat(target)]
    elif isinstance(node, ast.AugAssign | ast.AnnAssign):
        targets = _flat(node.target)
    else:
        return False
    return any(
        isinstance(t, ast.Attribute)
        and isinstance(t.value, ast.Name)
        and t.value.id not in ("self", "cls")
        and t.attr in MAPPED
        for t in targets
    )


def _flat(target: ast.expr) -> list[ast.expr]:
    return list(target.elts) if isinstance(target, ast.Tuple) else [target]


def _writers(parts: set[str]) -> set[str]:
    found: set[str] = set()
    for module, path in _modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = _imports(tree, module)
        for node in tree.body:
            functions = [(node.name, node)] if isinstance(node, ast.FunctionDef) else []
            if isinstance(node, ast.ClassDef):
                functions = [
                    (f"{node.name}.{item.name}", item)
                    for item in node.body
                    if isinstance(item, ast.FunctionDef)
                ]
            for name, function in functions:
                if _writes(function, names, parts - {f"{module}.{name}"}):
                    found.add(f"{module}.{name}")
    return found


def test_every_function_that_writes_is_in_the_table() -> None:
    parts = {qualified_name(p) for p in PARTS}
    use_cases = {entry.name for entry in WRITE_ACTIONS}
    writers = _writers(parts)
    unlisted = writers - use_cases - parts
    assert not unlisted, (
        f"{sorted(unlisted)} write to the database but are not in services/write_actions.py: "
        "record an audit entry and list the use case, or list the function as a part"
    )
    scanned = tuple(_modules())
    stale = {p for p in parts - writers if p.rsplit(".", 1)[0] in scanned}
    assert not stale, f"{sorted(stale)} are listed as parts but do not write"


def test_the_source_check_finds_writes() -> None:
    """The check itself: each kind of write it knows is found in a small example."""
    source = """
from clusterhub.services.directory import profiles
from sqlalchemy import update
def adds(session): session.add(object())
def sets_a_column(session, org): org.label_review = "verified"
def sets_other_things(session, report): report.extra = {}
def runs_dml(session, table): session.execute(update(table))
def calls_a_part(session): profiles.upsert_profiles(session)
def reads(session): return session.get(object, 1)
"""
    tree = ast.parse(source)
    names = _imports(tree, "example")
    parts = {"clusterhub.services.directory.profiles.upsert_profiles"}
    writing = {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and _writes(node, names, parts)
    }
    assert writing == {"adds", "sets_a_column", "runs_dml", "calls_a_part"}

"""User-defined cluster taxonomies and emerging industries, read from CSV or YAML files.

Policy users define their own categories (a regional specialisation, an emerging industry that
cuts across sectors), so the file format is the interface and its errors must be fixable
without reading code: every problem names the file, the line (CSV) or the path inside the YAML
document, the field and what was expected, and all problems are reported at once. Files are
read by the shared strict reader (``clusterhub.input_files``): a CSV row with a cell lost or
added, a CSV without its final line break, an empty file, deep nesting or YAML alias bombs are
refused rather than read with defaults.

CSV: one row per cluster x code, columns ``cluster_code, cluster_name, classification, code``
and optionally ``taxonomy`` (the key; default the file name), ``kind`` (default ``traded``),
``weight`` (default 1) and ``note`` (ignored).

YAML::

    key: blue-economy-example
    name: Blue economy (illustrative)
    classification: nace
    clusters:
      - code: BLUE
        name: Blue economy
        kind: emerging
        codes: ["03.11", "30.11"]      # weight 1 each, or a mapping {"50.10": 0.5}
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from clusterhub.classify.clusters import (
    CLASSIFICATIONS,
    CLUSTERS_SCHEMA,
    KINDS,
    MEMBERS_SCHEMA,
    Taxonomy,
)
from clusterhub.classify.nace import NaceHierarchy
from clusterhub.classify.naics import is_naics, naics_prefixes
from clusterhub.errors import InvalidInput, Problem
from clusterhub.input_files import ProblemList, load_yaml, read_rows

_CSV_REQUIRED = ("cluster_code", "cluster_name", "classification", "code")
_CSV_OPTIONAL = ("taxonomy", "kind", "weight", "note")
_YAML_KEYS = ("key", "name", "classification", "clusters")
_CLUSTER_KEYS = ("code", "name", "kind", "codes")
_DEFAULT_KIND = "traded"


@dataclass(frozen=True)
class _Cluster:
    """A cluster as first described, with where its kind was written."""

    name: str
    kind: str
    line: int | None
    kind_field: str


@dataclass(frozen=True)
class _Member:
    """One code of one cluster as written, with where it was written."""

    cluster: str
    code: Any
    weight: Any
    line: int | None
    code_field: str
    weight_field: str


@dataclass
class _Draft:
    """What a file says before validation; readers fill it, :func:`_finish` checks it."""

    path: Path
    key: str = ""
    name: str = ""
    classification: str = ""
    classification_line: int | None = None
    clusters: dict[str, _Cluster] = field(default_factory=dict)
    members: list[_Member] = field(default_factory=list)
    problems: ProblemList = field(default_factory=ProblemList)

    def problem(self, message: str, line: int | None, where: str | None, value: Any = None) -> None:
        shown = None if value is None else str(value)
        self.problems.append(Problem(message, str(self.path), line, where, shown))


def load_taxonomy_file(path: Path, nace: NaceHierarchy) -> Taxonomy:
    """Read and validate a taxonomy or emerging-industry definition from CSV or YAML.

    Parameters
    ----------
    path
        A ``.csv``, ``.yaml`` or ``.yml`` file in the formats described in this module.
    nace
        The NACE hierarchy: NACE codes are checked against it and normalised (``C20`` →
        ``20``), so the taxonomy joins with statistics whatever spelling the file used.

    Returns
    -------
    Taxonomy

    Raises
    ------
    InvalidInput
        With one :class:`~clusterhub.errors.Problem` per defect: unknown codes, weights outside
        (0, 1], unknown kinds or classifications, a code listed twice or inside another code
        of the same cluster, a cluster named differently on two rows, unknown columns or keys.
    """
    suffix = path.suffix.lower()
    if suffix == ".csv":
        draft = _read_csv(path)
    elif suffix in {".yaml", ".yml"}:
        draft = _read_yaml(path)
    else:
        raise InvalidInput.single(
            "expected a .csv, .yaml or .yml taxonomy file", file=str(path), value=path.suffix
        )
    return _finish(draft, nace)


def _read_csv(path: Path) -> _Draft:
    draft = _Draft(path, key=path.stem, name=path.stem)
    file = read_rows(
        path, problems=draft.problems, expected=", ".join(_CSV_REQUIRED + _CSV_OPTIONAL)
    )
    header = file.header
    missing = sorted(set(_CSV_REQUIRED) - set(header))
    unknown = [c for c in header if c not in _CSV_REQUIRED + _CSV_OPTIONAL]
    for column in missing:
        draft.problem(f"missing column; expected {', '.join(_CSV_REQUIRED)}", 1, column)
    for column in unknown:
        known = ", ".join(_CSV_REQUIRED + _CSV_OPTIONAL)
        draft.problem(f"unknown column; expected some of {known}", 1, column)
    if missing or unknown:
        raise draft.problems.error(f"{path}: not a taxonomy CSV")
    first: dict[str, tuple[int, str]] = {}
    for row in file.rows:
        line = row.line
        cells = {k: v.strip() for k, v in zip(header, row.cells, strict=True)}
        cells["classification"] = cells["classification"].lower()
        for column in ("taxonomy", "classification"):
            if column in cells:
                _same_everywhere(draft, first, column, cells[column], line)
        cluster = cells["cluster_code"]
        if not cluster:
            draft.problem("expected a cluster code", line, "cluster_code")
            continue
        kind = cells.get("kind") or _DEFAULT_KIND
        earlier = draft.clusters.setdefault(
            cluster, _Cluster(cells["cluster_name"], kind, line, "kind")
        )
        for column, was, now in (
            ("cluster_name", earlier.name, cells["cluster_name"]),
            ("kind", earlier.kind, kind),
        ):
            if was != now:
                message = f"expected {was!r}, as on the cluster's first row (line {earlier.line})"
                draft.problem(message, line, column, now)
        weight = cells.get("weight") or "1"
        draft.members.append(_Member(cluster, cells["code"], weight, line, "code", "weight"))
    if "taxonomy" in first:
        draft.key = draft.name = first["taxonomy"][1]
    draft.classification_line, draft.classification = first.get("classification", (None, ""))
    return draft


def _same_everywhere(
    draft: _Draft, first: dict[str, tuple[int, str]], column: str, value: str, line: int
) -> None:
    """A file holds one taxonomy, so file-level columns must repeat the first row's value."""
    seen_line, seen = first.setdefault(column, (line, value))
    if seen != value:
        draft.problem(
            f"expected {seen!r} as on line {seen_line}: one taxonomy per file", line, column, value
        )


def _read_yaml(path: Path) -> _Draft:
    draft = _Draft(path)
    document = load_yaml(path, expected=f"a mapping with keys {', '.join(_YAML_KEYS)}")
    if not isinstance(document, dict):
        raise InvalidInput.single(
            f"expected a mapping with keys {', '.join(_YAML_KEYS)}", file=str(path)
        )
    _unknown_keys(draft, document, _YAML_KEYS, "")
    if not isinstance(document.get("key"), str) or not document["key"].strip():
        draft.problem("expected a short identifier text", None, "key", document.get("key"))
    draft.key = str(document.get("key") or "").strip()
    draft.name = str(document.get("name") or draft.key).strip()
    draft.classification = str(document.get("classification") or "").strip().lower()
    clusters = document.get("clusters")
    if not isinstance(clusters, list) or not clusters:
        draft.problem("expected a non-empty list of clusters", None, "clusters")
        return draft
    for index, cluster in enumerate(clusters):
        _read_yaml_cluster(draft, cluster, f"clusters[{index}]")
    return draft


def _read_yaml_cluster(draft: _Draft, cluster: Any, where: str) -> None:
    if not isinstance(cluster, dict):
        draft.problem(f"expected a mapping with keys {', '.join(_CLUSTER_KEYS)}", None, where)
        return
    _unknown_keys(draft, cluster, _CLUSTER_KEYS, f"{where}.")
    code = cluster.get("code")
    if not isinstance(code, str | int) or isinstance(code, bool) or not str(code).strip():
        draft.problem("expected a cluster code", None, f"{where}.code", code)
        return
    code = str(code).strip()
    if code in draft.clusters:
        draft.problem("cluster code repeated", None, f"{where}.code", code)
        return
    name = cluster.get("name")
    if not isinstance(name, str) or not name.strip():
        draft.problem("expected a cluster name", None, f"{where}.name", name)
    kind = str(cluster.get("kind") or _DEFAULT_KIND)
    draft.clusters[code] = _Cluster(str(name or "").strip(), kind, None, f"{where}.kind")
    codes = cluster.get("codes")
    if isinstance(codes, list):
        pairs = [(item, 1.0, f"{where}.codes[{i}]") for i, item in enumerate(codes)]
    elif isinstance(codes, dict):
        pairs = [(item, weight, f"{where}.codes[{item!r}]") for item, weight in codes.items()]
    else:
        draft.problem("expected a list of codes or a mapping code: weight", None, f"{where}.codes")
        return
    if not pairs:
        draft.problem("expected at least one code", None, f"{where}.codes")
    for item, weight, path in pairs:
        draft.members.append(_Member(code, item, weight, None, path, path))


def _unknown_keys(
    draft: _Draft, mapping: dict[Any, Any], known: tuple[str, ...], prefix: str
) -> None:
    for key in mapping:
        if key not in known:
            draft.problem(
                f"unknown key; expected some of {', '.join(known)}", None, f"{prefix}{key}"
            )


def _finish(draft: _Draft, nace: NaceHierarchy) -> Taxonomy:
    """Check kinds, codes, weights and overlaps, then build the taxonomy or raise them all."""
    if draft.classification not in CLASSIFICATIONS:
        draft.problem(
            f"expected one of {', '.join(CLASSIFICATIONS)}",
            draft.classification_line,
            "classification",
            draft.classification,
        )
    for cluster_code, cluster in draft.clusters.items():
        if cluster.kind not in KINDS:
            message = f"expected one of {', '.join(KINDS)} (cluster {cluster_code})"
            draft.problem(message, cluster.line, cluster.kind_field, cluster.kind)
    if not draft.members and not draft.problems:
        draft.problem("no cluster members found", None, None)
    rows: list[tuple[_Member, str, float]] = []
    for member in draft.members:
        normal = _member_code(draft, member, nace)
        weight = _member_weight(draft, member)
        if normal is not None and weight is not None:
            rows.append((member, normal, weight))
    _overlaps(draft, rows, nace)
    draft.problems.raise_if_any(f"{draft.path}: the taxonomy file cannot be used")
    return Taxonomy(
        key=draft.key,
        name=draft.name,
        classification="nace" if draft.classification == "nace" else "naics",
        clusters=pl.DataFrame(
            [(code, c.name, c.kind) for code, c in draft.clusters.items()],
            schema=CLUSTERS_SCHEMA,
            orient="row",
        ),
        members=pl.DataFrame(
            [(m.cluster, code, weight) for m, code, weight in rows],
            schema=MEMBERS_SCHEMA,
            orient="row",
        ),
    )


def _member_code(draft: _Draft, member: _Member, nace: NaceHierarchy) -> str | None:
    """The normalised code, or ``None`` after recording why it cannot be used."""
    raw = member.code
    if isinstance(raw, float | bool) or not isinstance(raw, str | int):
        hint = "; quote codes in YAML, which reads 01.50 as the number 1.5"
        draft.problem(f"expected a code as text{hint}", member.line, member.code_field, raw)
        return None
    text = str(raw).strip()
    if draft.classification == "nace":
        try:
            return nace.normalise(text)
        except InvalidInput as exc:
            draft.problem(exc.problems[0].message, member.line, member.code_field, text)
            return None
    if draft.classification == "naics" and not is_naics(text):
        draft.problem(
            "expected a NAICS code of 2 to 6 digits", member.line, member.code_field, text
        )
        return None
    return text


def _member_weight(draft: _Draft, member: _Member) -> float | None:
    """The weight as a number in (0, 1], or ``None`` after recording the problem."""
    raw = member.weight
    try:
        weight = float(raw) if not isinstance(raw, bool) else math.nan
    except (TypeError, ValueError):
        weight = math.nan
    if not 0.0 < weight <= 1.0:
        message = "expected a weight in (0, 1]: the share of the code's activity in the cluster"
        draft.problem(message, member.line, member.weight_field, raw)
        return None
    return weight


def _overlaps(draft: _Draft, rows: list[tuple[_Member, str, float]], nace: NaceHierarchy) -> None:
    """A code listed twice, or inside another listed code, would count its jobs twice."""
    by_cluster: defaultdict[str, set[str]] = defaultdict(set)
    for member, code, _ in rows:
        codes = by_cluster[member.cluster]
        if code in codes:
            message = f"code listed twice in cluster {member.cluster}"
            draft.problem(message, member.line, member.code_field, code)
        codes.add(code)
    for member, code, _ in rows:
        codes = by_cluster[member.cluster]
        outer = [a for a in _ancestors(code, draft.classification, nace) if a in codes]
        if outer:
            message = (
                f"inside {outer[0]}, also listed in cluster {member.cluster}; keep one of them"
            )
            draft.problem(message, member.line, member.code_field, code)


def _ancestors(code: str, classification: str, nace: NaceHierarchy) -> list[str]:
    """Codes that contain ``code``: its NACE ancestors, or its NAICS prefixes."""
    if classification == "nace":
        return [nace.ancestor_at(code, level) for level in range(1, nace.level(code))]
    return naics_prefixes(code) if is_naics(code) else []

"""S3 strategies, priorities and thematic partnerships from CSV or XLSX files, all or nothing.

The layout is documented in ``docs/reference/s3-import.md``. In short: a *priorities* table
has one row per priority, its strategy's columns repeated on each row (``region, period,
strategy_title, source`` name the strategy, and must agree on every row of it); a
*partnerships* table has one row per thematic partnership. A CSV file holds one table, known by
its header (a ``priority`` or a ``partnership`` column); an XLSX workbook may hold both, one
per sheet. Lists (NACE codes, regions...) are separated by ``;``.

Every row is read and checked before anything is written, and every problem is reported at
once with its file, line (the line a text editor shows; in XLSX, Excel's row number), field
and what was expected. A strategy in the file replaces the stored strategy of the same region
and period (with all its priorities); a partnership replaces the one of the same name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from clusterhub.classify.regions import iso_country
from clusterhub.errors import InvalidInput, Problem
from clusterhub.input_files import ProblemList, check_size, read_rows, read_workbook
from clusterhub.services import audit
from clusterhub.services.accounts.users import Role, UserPublic, require
from clusterhub.services.audit import Actor
from clusterhub.services.s3.mapping import S3Codes, edited
from clusterhub.services.s3.schemas import CodingStatus, ImportSummary
from clusterhub.services.schemas import ImportReport
from clusterhub.services.uploads import saved_upload
from clusterhub.store.s3 import S3Partnership, S3PartnershipRegion, S3Priority, S3Strategy

PRIORITY_COLUMNS = (
    "region",
    "period",
    "strategy_title",
    "source",
    "priority",
    "description",
    "nace",
    "fos",
    "objectives",
    "clusters",
    "synthetic",
    "country",
)
PRIORITY_REQUIRED = PRIORITY_COLUMNS[:5]
PARTNERSHIP_COLUMNS = (
    "partnership",
    "platform",
    "thematic_area",
    "lead_regions",
    "member_regions",
    "description",
    "source",
    "synthetic",
)
PARTNERSHIP_REQUIRED = ("partnership", "platform", "thematic_area", "source")
LIST_SEPARATOR = ";"
MAX_FILE_BYTES = 20 * 1024 * 1024
#: Who may import through the web (the command line is the server's operator).
IMPORT_ROLE = Role.PROGRAMME_OFFICER
_PERIOD = re.compile(r"^(\d{4})-(\d{4})$")
_TRUE, _FALSE = {"true", "yes", "1", "y"}, {"false", "no", "0", "n", ""}
_LIMITS = {
    "strategy_title": 300,
    "priority": 300,
    "partnership": 300,
    "platform": 200,
    "thematic_area": 300,
}


@dataclass
class StrategyPriority:
    """A priority as read (``line`` 0: generated); ``clusters`` None: derive from NACE."""

    line: int
    title: str
    description: str
    nace: list[str]
    fos: list[str]
    objectives: list[str]
    clusters: list[str] | None


@dataclass
class Strategy:
    """A strategy as read, with its priorities in file order."""

    line: int
    region: str
    country: str
    period: str
    title: str
    source: str
    synthetic: bool
    priorities: list[StrategyPriority] = field(default_factory=list)


@dataclass
class ThematicPartnership:
    """A partnership as read; ``regions`` maps each region to ``lead`` or ``member``."""

    line: int
    name: str
    platform: str
    thematic_area: str
    description: str
    source: str
    synthetic: bool
    regions: dict[str, str]


@dataclass
class S3File:
    """What a file holds, validated: strategies by (region, period), partnerships by name."""

    strategies: dict[tuple[str, str], Strategy] = field(default_factory=dict)
    partnerships: dict[str, ThematicPartnership] = field(default_factory=dict)


class _Row:
    """One row's cells by column, and the problems found in it (with file, line, field)."""

    def __init__(self, file: str, line: int, cells: dict[str, str], problems: ProblemList):
        self.file, self.line, self.cells, self.problems = file, line, cells, problems

    def problem(self, column: str, message: str, value: str | None = None) -> None:
        self.problems.append(Problem(message, self.file, self.line, column, value))

    def text(self, column: str, *, required: bool = False) -> str:
        value = self.cells.get(column, "").strip()
        if required and not value:
            self.problem(column, "expected a value; this column may not be empty")
        limit = _LIMITS.get(column)
        if limit and len(value) > limit:
            self.problem(column, f"expected at most {limit} characters", value)
        return value

    def items(self, column: str) -> list[str]:
        return [p.strip() for p in self.cells.get(column, "").split(LIST_SEPARATOR) if p.strip()]

    def codes(self, column: str, normalise: Callable[[str], str]) -> list[str]:
        found: list[str] = []
        for item in self.items(column):
            try:
                code = normalise(item)
            except InvalidInput as error:
                self.problem(column, error.problems[0].message, item)
                continue
            if code not in found:
                found.append(code)
        return found

    def flag(self, column: str) -> bool:
        value = self.cells.get(column, "").strip().lower()
        if value not in _TRUE | _FALSE:
            self.problem(column, "expected true or false (or nothing: false)", value)
        return value in _TRUE


def read_s3_file(path: Path, *, codes: S3Codes, name: str | None = None) -> S3File:
    """Every strategy and partnership of a CSV or XLSX file, checked; ``InvalidInput`` lists
    every problem (file, line, field, value, what was expected) when there is any."""
    file = name or path.name
    check_size(path, MAX_FILE_BYTES, file)
    problems = ProblemList()
    result = S3File()
    for header, rows in _tables(path, file, problems):
        kind = _kind(header, file)
        for line, cells in rows:
            row = _Row(file, line, dict(zip(header, cells, strict=True)), problems)
            if kind == "priorities":
                _read_priority(row, codes, result)
            else:
                _read_partnership(row, codes, result)
    problems.raise_if_any(f"{file}: nothing was imported")
    return result


def _tables(
    path: Path, file: str, problems: ProblemList
) -> list[tuple[list[str], list[tuple[int, list[str]]]]]:
    """The file's tables: a CSV's one, or each sheet of a workbook; cells as text."""
    if path.suffix.lower() == ".xlsx":
        return [
            (s.header, [(r.line, ["" if c is None else str(c) for c in r.cells]) for r in s.rows])
            for s in read_workbook(path, name=file, problems=problems)
        ]
    if path.suffix.lower() != ".csv":
        raise InvalidInput.single(
            "expected a .csv or .xlsx file", file=file, field="format", value=path.suffix or None
        )
    table = read_rows(
        path,
        problems=problems,
        name=file,
        expected="an S3 priorities or partnerships table (docs/reference/s3-import.md)",
    )
    return [([h.strip() for h in table.header], [(r.line, r.cells) for r in table.rows])]


def _kind(header: Sequence[str], file: str) -> str:
    """``priorities`` or ``partnerships`` by the header; unknown or missing columns refused."""
    kind, columns, required = (
        ("priorities", PRIORITY_COLUMNS, PRIORITY_REQUIRED)
        if "priority" in header
        else ("partnerships", PARTNERSHIP_COLUMNS, PARTNERSHIP_REQUIRED)
        if "partnership" in header
        else ("", (), ())
    )
    if not kind:
        raise InvalidInput.single(
            "expected a priorities table (columns " + ", ".join(PRIORITY_COLUMNS) + ") or a "
            "partnerships table (columns " + ", ".join(PARTNERSHIP_COLUMNS) + ")",
            file=file,
            line=1,
            value=",".join(header),
        )
    unknown = [h for h in header if h not in columns]
    missing = [c for c in required if c not in header]
    twice = sorted({h for h in header if header.count(h) > 1})
    if unknown or missing or twice:
        parts = [
            f"unknown column(s) {', '.join(unknown)}" if unknown else "",
            f"missing column(s) {', '.join(missing)}" if missing else "",
            f"column(s) named twice: {', '.join(twice)}" if twice else "",
        ]
        raise InvalidInput.single(
            "; ".join(p for p in parts if p)
            + f"; a {kind} table has the columns "
            + ", ".join(columns)
            + f" (required: {', '.join(required)})",
            file=file,
            line=1,
        )
    return kind


def _region(row: _Row, column: str, value: str, codes: S3Codes) -> str | None:
    code = value.strip().upper()
    if code and code not in codes.catalogues.nuts:
        row.problem(
            column,
            "expected a NUTS 2021 code (a country such as DE, or a region such as DE11)",
            value,
        )
        return None
    return code or None


def _read_priority(row: _Row, codes: S3Codes, result: S3File) -> None:
    region = _region(row, "region", row.text("region", required=True), codes)
    period = row.text("period", required=True)
    found = _PERIOD.match(period)
    if period and (found is None or int(found.group(1)) >= int(found.group(2))):
        row.problem("period", "expected a programming period such as 2014-2020", period)
    country = iso_country(region[:2]) if region else ""
    stated = row.text("country").upper()
    if stated and country and stated != country:
        row.problem("country", f"expected {country}, the country of region {region}", stated)
    # An empty cell derives the categories from the NACE codes; a filled one is the final list.
    given = row.cells.get("clusters", "").strip()
    clusters = row.codes("clusters", codes.cluster_code) if given else None
    priority = StrategyPriority(
        row.line,
        row.text("priority", required=True),
        row.text("description"),
        row.codes("nace", codes.catalogues.nace.normalise),
        row.codes("fos", codes.vocabularies.fields_of_science.normalise),
        row.codes("objectives", codes.vocabularies.policy_objectives.normalise),
        clusters,
    )
    strategy = Strategy(
        row.line,
        region or "",
        country,
        period,
        row.text("strategy_title", required=True),
        row.text("source", required=True),
        row.flag("synthetic"),
    )
    if region is None or not period:
        return
    known = result.strategies.setdefault((region, period), strategy)
    for column, ours, theirs in (
        ("strategy_title", strategy.title, known.title),
        ("source", strategy.source, known.source),
        ("synthetic", strategy.synthetic, known.synthetic),
    ):
        if ours != theirs:
            row.problem(
                column,
                f"expected {theirs!r}, as on line {known.line} for the same region and period",
                str(ours),
            )
    earlier = next((p for p in known.priorities if p.title == priority.title), None)
    if earlier is not None:
        row.problem("priority", f"priority repeated: also on line {earlier.line}", priority.title)
    known.priorities.append(priority)


def _read_partnership(row: _Row, codes: S3Codes, result: S3File) -> None:
    name = row.text("partnership", required=True)
    regions: dict[str, str] = {}
    for column, role in (("lead_regions", "lead"), ("member_regions", "member")):
        for item in row.items(column):
            code = _region(row, column, item, codes)
            if code is not None and code in regions:
                row.problem(column, "region named twice in this partnership", item)
            elif code is not None:
                regions[code] = role
    partnership = ThematicPartnership(
        row.line,
        name,
        row.text("platform", required=True),
        row.text("thematic_area", required=True),
        row.text("description"),
        row.text("source", required=True),
        row.flag("synthetic"),
        regions,
    )
    earlier = result.partnerships.get(name)
    if earlier is not None:
        row.problem("partnership", f"partnership repeated: also on line {earlier.line}", name)
    elif name:
        result.partnerships[name] = partnership


# --- importing --------------------------------------------------------------------------------


def import_file(
    session: Session, *, path: Path, codes: S3Codes, by: Actor, name: str | None = None
) -> ImportSummary:
    """Store every strategy and partnership of the file in the caller's transaction, one audit
    entry ``by`` whoever ran it; nothing is written unless the whole file is valid."""
    data = read_s3_file(path, codes=codes, name=name)
    return store_file(session, data, codes=codes, by=by, file=name or path.name)


def import_upload(
    session: Session, *, actor: UserPublic | None, name: str, content: bytes, codes: S3Codes
) -> ImportSummary:
    """Import a file sent over the web: programme officers and site admins only.

    Raises
    ------
    PermissionDenied
        Not logged in, or below the programme officer role.
    InvalidInput
        An empty or too large file, or any problem of its rows (naming the sent file).
    """
    by = Actor.of_user(require(session, actor=actor, minimum=IMPORT_ROLE).id)
    with saved_upload(name, content, limit=MAX_FILE_BYTES) as (path, safe):
        return import_file(session, path=path, codes=codes, by=by, name=safe)


def store_file(
    session: Session, data: S3File, *, codes: S3Codes, by: Actor, file: str
) -> ImportSummary:
    """Write what :func:`read_s3_file` read: each strategy and partnership replaces the stored
    one of the same key (region and period; name)."""
    replaced = created = priorities = 0
    for (region, period), strategy in data.strategies.items():
        old = session.scalar(
            select(S3Strategy).where(S3Strategy.region_code == region, S3Strategy.period == period)
        )
        if old is not None:
            session.delete(old)
            session.flush()
        replaced, created = replaced + (old is not None), created + (old is None)
        stored = S3Strategy(
            region_code=region,
            country=strategy.country,
            title=strategy.title,
            period=period,
            source=strategy.source,
            synthetic=strategy.synthetic,
        )
        stored.priorities = [
            _stored_priority(p, n, codes) for n, p in enumerate(strategy.priorities, start=1)
        ]
        priorities += len(stored.priorities)
        session.add(stored)
    p_replaced = p_created = 0
    for name, partnership in data.partnerships.items():
        old_partnership = session.scalar(select(S3Partnership).where(S3Partnership.name == name))
        if old_partnership is not None:
            session.delete(old_partnership)
            session.flush()
        p_replaced += old_partnership is not None
        p_created += old_partnership is None
        session.add(
            S3Partnership(
                name=name,
                platform=partnership.platform,
                thematic_area=partnership.thematic_area,
                description=partnership.description,
                source=partnership.source,
                synthetic=partnership.synthetic,
                regions=[
                    S3PartnershipRegion(region_code=code, role=role)
                    for code, role in sorted(partnership.regions.items())
                ],
            )
        )
    session.flush()
    report = ImportReport(
        source="file",
        rows=priorities + len(data.partnerships),
        created=created + p_created,
        updated=replaced + p_replaced,
        unchanged=0,
        extra={"priorities": priorities, "partnerships": len(data.partnerships)},
    )
    audit.record_import(
        session, by=by, action="s3.import", entity_type="s3_strategy", report=report, file=file
    )
    return ImportSummary(
        file=file,
        strategies_created=created,
        strategies_replaced=replaced,
        priorities=priorities,
        partnerships_created=p_created,
        partnerships_replaced=p_replaced,
    )


def _stored_priority(priority: StrategyPriority, position: int, codes: S3Codes) -> S3Priority:
    """A priority row: clusters derived from its NACE codes, and the file's own list (when it
    has one) kept as the additions to and removals from them."""
    derived = [link.code for link in codes.mapping.for_codes(priority.nace)]
    wanted = derived if priority.clusters is None else priority.clusters
    coded = bool(priority.nace or priority.fos or priority.objectives or priority.clusters)
    return S3Priority(
        position=position,
        title=priority.title,
        description=priority.description,
        nace_codes=priority.nace,
        fos_codes=priority.fos,
        objectives=priority.objectives,
        cluster_codes=edited(derived, wanted, set(derived) - set(wanted)),
        cluster_edits={
            "added": sorted(set(wanted) - set(derived)),
            "removed": sorted(set(derived) - set(wanted)),
        },
        coding_status=(CodingStatus.IMPORTED if coded else CodingStatus.UNCODED).value,
        proposal={},
    )

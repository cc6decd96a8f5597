"""From establishments to region x industry cells, in one streaming pass, rows accounted for.

Each establishment is placed (its location's NUTS 3 region, cut to the requested level) and
classed (its activity code), its employment taken from its head count or its size band's
midpoint, and the rows are summed per region x industry. A valid row that cannot be placed is
not an error: it is counted under its reason and reported (a closed establishment, a
location missing from the correspondence, ...). A malformed value (an activity code that is
not one, an unknown band) is an error naming file, line, field and what was expected. The
row formulas are written against ``stats.dialect``; ``stats.spark.registers`` runs them on
Spark.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import polars as pl

from clusterhub.errors import InvalidInput, Problem
from clusterhub.stats.dialect import POLARS, Dialect, Expr
from clusterhub.stats.registers.bands import INSEE_BANDS, band_table
from clusterhub.stats.registers.layouts import (
    GENERIC_COLUMNS,
    SIRENE_COLUMNS,
    SIRENE_OPTIONAL,
    GenericLayout,
    generic_band_midpoint,
    generic_establishments,
    sirene_establishments,
)
from clusterhub.stats.schema import INDUSTRY_CELLS, conform

LayoutName = Literal["sirene", "generic"]
#: Errors are reasons too while rows are counted; they are raised once the pass is done.
BAD_ACTIVITY = "error: malformed activity code"
BAD_BAND = "error: unknown size band"
NO_LOCATION = "no location code"
NOT_PLACED = "location not in the correspondence"
NO_ACTIVITY = "no activity code"
#: The grouped counts every engine returns, one row per (reason, region, industry).
GROUPED = {
    "reason": pl.String,
    "region_code": pl.String,
    "industry_code": pl.String,
    "establishments": pl.Int64,
    "employment": pl.Float64,
    "employment_known": pl.Int64,
    "estimated": pl.Float64,
    "wages": pl.Float64,
    "wages_known": pl.Int64,
    "first_line": pl.Int64,
}


@dataclass(frozen=True)
class Register:
    """A register file, its layout, and the columns it has."""

    path: Path
    layout: LayoutName
    generic: GenericLayout = field(default_factory=GenericLayout)

    @property
    def is_parquet(self) -> bool:
        """Parquet, a file or a folder of files (rows numbered from 1), or delimited text
        (lines, the header on line 1)."""
        return self.path.is_dir() or self.path.suffix.lower() in (".parquet", ".pq")


@dataclass(frozen=True)
class Placement:
    """What happened to every row: placed, or not and why; how many lack employment."""

    rows: int
    placed: int
    not_placed: dict[str, int]
    unknown_employment: int

    def lines(self) -> list[str]:
        """The report, one line per fact, for a person to read."""
        lines = [f"{self.rows:,} establishment rows read; {self.placed:,} placed in a region"]
        lines.extend(f"{n:,} not counted: {reason}" for reason, n in self.not_placed.items())
        if self.unknown_employment:
            lines.append(
                f"{self.unknown_employment:,} placed establishments have no size band or head "
                "count: counted as establishments, not in employment"
            )
        return lines


@dataclass(frozen=True)
class RegisterCells:
    """The cells the mapping engine reads, and the placement report."""

    cells: pl.DataFrame
    placement: Placement


def scan_register(register: Register) -> tuple[pl.LazyFrame, frozenset[str]]:
    """The file as a lazy frame of text columns with ``line``, and its optional columns."""
    path = register.path
    if register.is_parquet:
        files = path / "*.parquet" if path.is_dir() else path
        frame = pl.scan_parquet(files).with_row_index("line", offset=1)
    else:
        frame = pl.scan_csv(path, infer_schema=False).with_row_index("line", offset=2)
    header = set(frame.collect_schema().names())
    wanted = layout_columns(register)
    required = [name for key, name in wanted.items() if key not in _optional(register)]
    missing = [name for name in required if name not in header]
    if register.layout == "generic" and not {"employees", "band"} & header:
        missing.append("employees or band")
    if missing:
        raise InvalidInput.single(
            f"missing column(s) {', '.join(missing)}; the {register.layout} layout has "
            + ", ".join(wanted.values()),
            file=str(path),
            line=1,
        )
    present = frozenset(key for key, name in wanted.items() if name in header)
    columns = ["line", *(name for key, name in wanted.items() if key in present)]
    return frame.select(
        pl.col(c).cast(pl.String) if c != "line" else pl.col(c) for c in columns
    ), present


def layout_columns(register: Register) -> dict[str, str]:
    """The layout's columns: our name for each, and the file's."""
    if register.layout == "sirene":
        return SIRENE_COLUMNS
    return {name: name for name in GENERIC_COLUMNS}


def _optional(register: Register) -> frozenset[str]:
    if register.layout == "sirene":
        return SIRENE_OPTIONAL
    return frozenset({"employees", "band", "wages"})


def establishment_columns(
    d: Dialect, register: Register, present: frozenset[str]
) -> dict[str, Expr]:
    """The layout's columns as the common establishment columns (``stats.registers.layouts``)."""
    if register.layout == "sirene":
        return sirene_establishments(d, present)
    return generic_establishments(d, register.generic, present)


def classified(d: Dialect, level: int) -> dict[str, Expr]:
    """Per establishment (joined to ``nuts3`` and the band's ``midpoint``): why it is not
    counted (null when it is), its region and industry, employment and its estimated part."""
    known_band = d.is_null(d.col("band")) | ~d.is_null(d.col("midpoint"))
    reason = d.coalesce(
        d.when(~d.is_null(d.col("bad_activity")), d.lit(BAD_ACTIVITY)),
        d.when(~known_band & d.is_null(d.col("employees")), d.lit(BAD_BAND)),
        d.col("excluded"),
        d.when(d.is_null(d.col("location")), d.lit(NO_LOCATION)),
        d.when(d.is_null(d.col("nuts3")), d.lit(NOT_PLACED)),
        d.when(d.is_null(d.col("activity")), d.lit(NO_ACTIVITY)),
    )
    counted = d.is_null(reason)
    employees = d.col("employees")
    return {
        "reason": reason,
        "region_code": d.when(counted, d.extract(d.col("nuts3"), f"^(.{{{2 + level}}})")),
        "industry_code": d.when(counted, d.col("activity")),
        "employment": d.coalesce(employees, d.col("midpoint")),
        "estimated": d.when(d.is_null(employees), d.col("midpoint"), d.lit(0.0)),
    }


def midpoints(d: Dialect, register: Register) -> Expr | None:
    """The generic layout's band midpoint by formula; None where a band table is joined."""
    return generic_band_midpoint(d) if register.layout == "generic" else None


def register_cells(
    register: Register, places: pl.DataFrame, *, level: int = 3, year: int
) -> RegisterCells:
    """Cells of ``register`` placed by ``places`` (``location, nuts3``), in one pass."""
    check_level(level)
    frame, present = scan_register(register)
    rows = frame.with_columns(**establishment_columns(POLARS, register, present)).join(
        places.lazy(), on="location", how="left"
    )
    formula = midpoints(POLARS, register)
    rows = (
        rows.join(band_table().lazy(), on="band", how="left")
        if formula is None
        else rows.with_columns(midpoint=formula)
    )
    rows = rows.with_columns(**classified(POLARS, level))
    grouped = (
        rows.group_by("reason", "region_code", "industry_code")
        .agg(
            pl.len().alias("establishments"),
            pl.col("employment").sum(),
            pl.col("employment").count().alias("employment_known"),
            pl.col("estimated").sum(),
            pl.col("wages").cast(pl.Float64).sum(),
            pl.col("wages").count().alias("wages_known"),
            pl.col("line").min().cast(pl.Int64).alias("first_line"),
        )
        .collect(engine="streaming")
    )
    return finish(grouped.cast(GROUPED), register, year)  # type: ignore[arg-type]


def check_level(level: int) -> None:
    """NUTS levels 0 to 3."""
    if level not in (0, 1, 2, 3):
        raise InvalidInput.single("expected a NUTS level 0 to 3", field="level", value=str(level))


def finish(grouped: pl.DataFrame, register: Register, year: int) -> RegisterCells:
    """Raise the errors found, else the cells and the report (shared by every engine)."""
    errors = grouped.filter(pl.col("reason").str.starts_with("error:"))
    if errors.height:
        raise _errors(errors, register)
    counted = grouped.filter(pl.col("reason").is_null())
    cells = counted.select(
        "region_code",
        "industry_code",
        year=pl.lit(year, pl.Int32),
        employment=pl.when(pl.col("employment_known") > 0).then("employment"),
        establishments=pl.col("establishments").cast(pl.Float64),
        wages=pl.when(pl.col("wages_known") > 0).then("wages"),
        imputed=pl.when(pl.col("estimated") > 0).then(pl.lit("size-class")),
        estimated_employment=pl.col("estimated"),
    ).sort("region_code", "industry_code")
    others = grouped.filter(pl.col("reason").is_not_null())
    by_reason = others.group_by("reason").agg(pl.col("establishments").sum()).sort("reason")
    placement = Placement(
        rows=int(grouped.get_column("establishments").sum()),
        placed=int(counted.get_column("establishments").sum()),
        not_placed=dict(by_reason.iter_rows()),
        unknown_employment=int(
            (counted.get_column("establishments") - counted.get_column("employment_known")).sum()
        ),
    )
    return RegisterCells(conform(cells, INDUSTRY_CELLS, what="register cells"), placement)


def _errors(errors: pl.DataFrame, register: Register) -> InvalidInput:
    """One problem per kind of error, at its first line, with the value found there."""
    where = "line" if not register.is_parquet else "row"
    problems = []
    for reason, count, line in (
        errors.group_by("reason")
        .agg(pl.col("establishments").sum(), pl.col("first_line").min())
        .sort("reason")
        .iter_rows()
    ):
        field, expected = _ERROR_FIELDS[reason]
        name = _column_name(register, field)
        value = _value_at(register, name, int(line))
        problems.append(
            Problem(
                f"{value!r}: {expected} ({count:,} row(s) like this; first at {where} {line})",
                file=str(register.path),
                line=int(line),
                field=name,
            )
        )
    return InvalidInput(problems, summary=f"cannot read the register {register.path.name}")


_ERROR_FIELDS = {
    BAD_ACTIVITY: ("activity", "expected an activity code of the register's classification"),
    BAD_BAND: (
        "band",
        "expected a size band: "
        + ", ".join(b.code for b in INSEE_BANDS)
        + " (SIRENE) or a range such as 10-19 or 1000+ (generic)",
    ),
}


def _column_name(register: Register, key: str) -> str:
    return SIRENE_COLUMNS[key] if register.layout == "sirene" else key


def _value_at(register: Register, column: str, line: int) -> str:
    """The raw value at one line (an error path: a second, filtered pass is acceptable)."""
    frame, _ = scan_register(register)
    found = frame.filter(pl.col("line") == line).select(column).collect()
    return "" if found.is_empty() else str(found.item())

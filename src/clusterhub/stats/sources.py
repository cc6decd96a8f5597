"""Read published statistics into ``INDUSTRY_CELLS`` / ``CLUSTER_CELLS`` frames, validating all.

A reader either returns numbers it can vouch for, with a ``ReadReport`` saying what was
missing or flagged, or raises ``InvalidInput`` listing every defect with its file, line
(1-based, the header is line 1), field and what was expected. Blank, ``NA`` and Eurostat's
``:`` mean *missing* (null employment, counted); Eurostat flag letters after a number
(``123 p``) keep the number and are counted; everything else that is not a non-negative
number is an error, because a silently wrong number is worse than no number.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from clusterhub.errors import InvalidInput, Problem
from clusterhub.stats._cmp import CmpStates, read_cmp
from clusterhub.stats._tables import (
    EUROSTAT_FLAGS,
    ReadReport,
    Table,
    build_report,
    check,
    duplicates,
    parse_values,
    raise_if,
    read_long,
    read_table,
    record,
    require,
    value_problems,
)
from clusterhub.stats.schema import INDUSTRY_CELLS, conform
from clusterhub.stats.vocabulary import FILL_METHODS

__all__ = [
    "EMPLOYMENT_INDICATOR",
    "EUROSTAT_FLAGS",
    "SIZE_CLASSES",
    "CmpStates",
    "ReadReport",
    "normalise_nace",
    "read_cmp_states",
    "read_eurostat_tsv",
    "read_long_table",
    "read_sbs_csv",
    "read_sdmx_csv",
    "read_value_table",
]

#: Eurostat SBS indicator code of "persons employed - number" (indic_sb dimension).
EMPLOYMENT_INDICATOR = "V16110"
#: County Business Patterns employment size classes (letters of suppressed cells).
SIZE_CLASSES = frozenset("ABCEFGHIJKLM")
#: What a long table's ``imputed`` may say: the marks of the fill methods (``stats.cells``).
ESTIMATE_MARKS: tuple[str, ...] = tuple(m for m in FILL_METHODS if m != "none")
_SBS_NACE = re.compile(r"([A-U])(?:(\d{2})(\d{1,2})?)?")
_NACE_AGGREGATE = re.compile(r"[A-U](?:\d{2})?(?:[-_][A-Z0-9]+)+|TOTAL")
_NUTS = r"^[A-Z]{2}[A-Z0-9]{0,3}$"
_GEO_AGGREGATE = r"^(?:E[AU]\d|EFTA)|_"
_CODE = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"


def normalise_nace(raw: str) -> str | None:
    """Turn an SBS-style NACE code into the normalised form, or None if it is not one.

    ``"B"`` stays ``"B"`` (section), ``"C20"`` becomes ``"20"`` (division), ``"G451"``
    ``"45.1"`` (group), ``"C1011"`` ``"10.11"`` (class); normalised codes pass unchanged.
    Whether the code exists in NACE is checked later against the classification.
    """
    code = raw.strip()
    if match := _SBS_NACE.fullmatch(code):
        section, division, rest = match.groups()
        if division is None:
            return str(section)
        return str(division) if rest is None else f"{division}.{rest}"
    return code if re.fullmatch(r"\d{2}(?:\.\d{1,2})?", code) else None


def read_sbs_csv(path: str | Path) -> tuple[pl.DataFrame, ReadReport]:
    """Read the Eurostat SBS extract ``nace_r2;geo;nYYYY[;nYYYY...]`` into industry cells.

    A blank value is a confidential or missing cell (null employment, counted). A value a
    spreadsheet turned into a time of day (``12:00 AM``) has lost its number: it is read
    as missing with a warning naming the line.

    Parameters
    ----------
    path
        The semicolon-separated file, plain or gzipped.

    Returns
    -------
    tuple[pl.DataFrame, ReadReport]
        ``INDUSTRY_CELLS`` with ``region_code`` = geo, normalised NACE ``industry_code``
        and ``year`` from the column name; and what was read.

    Raises
    ------
    InvalidInput
        Wrong separator, missing columns, malformed codes, negative or non-numeric values,
        duplicate region x industry x year keys.
    """
    path = Path(path)
    table = read_table(path, ";", "nace_r2;geo;nYYYY")
    years = [c for c in table.header if re.fullmatch(r"n\d{4}", c)]
    require(table, ["nace_r2", "geo"], "nace_r2;geo;nYYYY", extra=None if years else "nYYYY")
    long = table.frame.unpivot(
        index=["_line", "nace_r2", "geo"], on=years, variable_name="_field", value_name="_raw"
    ).with_columns(year=pl.col("_field").str.slice(1).cast(pl.Int32))
    return _eurostat_cells(long, table)


def read_eurostat_tsv(
    path: str | Path, *, indicator: str | None = EMPLOYMENT_INDICATOR, dimension: str = "indic_sb"
) -> tuple[pl.DataFrame, ReadReport]:
    """Read Eurostat's bulk TSV (``freq,indic_sb,nace_r2,geo\\TIME_PERIOD`` then years).

    ``:`` (with or without a flag, e.g. ``: c``) is a missing cell, counted, and counted as
    confidential when flagged ``c``; flags after a number are kept as counts. Aggregate
    codes (``B-N_S95_X_K``, ``EU28``) are skipped with a warning: they are sums of the
    cells read, not cells.

    A further breakdown (a size class, a unit) with several values keeps its total
    (``TOTAL`` or ``_T``), with a warning: its other values are parts of the total, and
    reading them as well would count the same persons twice.

    Parameters
    ----------
    path
        The tab-separated file, plain or gzipped (as the API serves it).
    indicator
        Value of ``dimension`` to keep; V16110 is persons employed in sbs_r_nuts06_r2,
        EMP_LOC_NR persons employed in local units in sbs_r_nuts2021 (``indic_sbs``).
        None keeps every row, for files that hold one indicator only.
    dimension
        The indicator dimension of the data set (``indic_sb`` for sbs_r_nuts06_r2,
        ``indic_sbs`` for sbs_r_nuts2021).

    Returns
    -------
    tuple[pl.DataFrame, ReadReport]
        ``INDUSTRY_CELLS`` (normalised NACE ``industry_code``, ``region_code`` = geo) and
        what was read, left missing, flagged or skipped.

    Raises
    ------
    InvalidInput
        Every defect found, each with file, line, field and what was expected; a further
        breakdown with several values and no total.
    """
    path = Path(path)
    expected = f"freq,{dimension},nace_r2,geo\\TIME_PERIOD followed by year columns"
    table = read_table(path, "\t", expected)
    first, periods = table.header[0], [p.strip() for p in table.header[1:]]
    head = re.fullmatch(r"([\w,]+)[\\/](?:TIME_PERIOD|time)", first, re.IGNORECASE)
    dims = [d.lower() for d in head.group(1).split(",")] if head else []
    problems = [] if head else [_header_problem(table, first, f"expected {expected}")]
    problems += [
        _header_problem(table, p, "expected an annual period YYYY")
        for p in periods
        if not re.fullmatch(r"\d{4}", p)
    ]
    problems += [
        _header_problem(table, first, f"expected a dimension {d!r}")
        for d in ("nace_r2", "geo", *([dimension] if indicator else []))
        if head and d not in dims
    ]
    if problems:
        raise InvalidInput(problems, summary=f"cannot read {table.name}: bad header")
    parts = pl.col(first).str.split(",")
    frame = table.frame.with_columns(parts.list.len().alias("_dims"))
    message = f"expected {len(dims)} comma-separated codes {','.join(dims)}"
    record(
        table,
        frame.filter(pl.col("_dims") != len(dims)).select("_line"),
        lambda line: Problem(message, table.name, line),
    )
    frame = frame.filter(pl.col("_dims") == len(dims)).with_columns(
        parts.list.get(i).str.strip_chars().alias(d) for i, d in enumerate(dims)
    )
    frame = _select_indicator(frame, table.name, dimension, indicator)
    keys = ("nace_r2", "geo", *([dimension] if indicator else []))
    frame = _totals_only(frame, table, [d for d in dims if d not in keys])
    renamed = dict(zip(table.header[1:], periods, strict=True))
    long = (
        frame.rename(renamed)
        .unpivot(index=["_line", "nace_r2", "geo"], on=periods, variable_name="_field")
        .rename({"value": "_raw"})
        .with_columns(year=pl.col("_field").cast(pl.Int32))
    )
    return _eurostat_cells(long, table)


def read_sdmx_csv(
    path: str | Path, *, indicator: str | None = EMPLOYMENT_INDICATOR, dimension: str = "indic_sb"
) -> tuple[pl.DataFrame, ReadReport]:
    """Read Eurostat SDMX-CSV (``DATAFLOW,LAST UPDATE,freq,indic_sb,nace_r2,geo,...``).

    One observation per line: ``OBS_VALUE`` blank means missing, ``OBS_FLAG`` carries the
    flag letters (``c`` confidential). Rules otherwise as in ``read_eurostat_tsv``.

    Parameters
    ----------
    path
        The comma-separated file, plain or gzipped.
    indicator
        Value of ``dimension`` to keep (None keeps every row).
    dimension
        The indicator column (``indic_sb``).

    Returns
    -------
    tuple[pl.DataFrame, ReadReport]
        ``INDUSTRY_CELLS`` (normalised NACE ``industry_code``, ``region_code`` = geo) and
        what was read, left missing, flagged or skipped.

    Raises
    ------
    InvalidInput
        Every defect found, each with file, line, field and what was expected.
    """
    path = Path(path)
    expected = "DATAFLOW,LAST UPDATE,freq,indic_sb,nace_r2,geo,TIME_PERIOD,OBS_VALUE,OBS_FLAG"
    table = read_table(path, ",", expected)
    table.frame = table.frame.rename({c: c.lower() for c in table.header})
    table.header = [c.lower() for c in table.header]
    wanted = ["nace_r2", "geo", "time_period", "obs_value", *([dimension] if indicator else [])]
    require(table, wanted, expected)
    frame = _select_indicator(table.frame, table.name, dimension, indicator)
    bad_years = frame.filter(~pl.col("time_period").str.contains(r"^\s*\d{4}\s*$"))
    record(
        table,
        bad_years.select("_line", "time_period"),
        lambda line, value: Problem(
            "expected an annual period YYYY", table.name, line, "TIME_PERIOD", value
        ),
    )
    long = frame.filter(pl.col("time_period").str.contains(r"^\s*\d{4}\s*$")).select(
        "_line",
        "nace_r2",
        "geo",
        _raw=pl.col("obs_value"),
        _field=pl.lit("OBS_VALUE"),
        year=pl.col("time_period").str.strip_chars().cast(pl.Int32),
        _flag=pl.col("obs_flag") if "obs_flag" in frame.columns else pl.lit(None, pl.String),
    )
    return _eurostat_cells(long, table)


def read_long_table(path: str | Path) -> tuple[pl.DataFrame, ReadReport]:
    """Read a long table: ``region,industry,year,employment[,establishments][,wages][,size_class]``
    ``[,imputed][,estimated_employment]``.

    CSV (comma, semicolon or tab) or Parquet (``.parquet``); ``region_code`` and
    ``industry_code`` are accepted as column names too. Blank or ``NA`` values are missing;
    ``size_class`` must be a County Business Patterns letter (A-C, E-M). ``imputed`` and
    ``estimated_employment`` carry estimates made before the table was written (the cells of
    an establishment register, whose band midpoints are estimates: ``clusterhub register
    --cells-out``), so that a map read from the table withholds their stars as the register's
    own map does; ``imputed`` is blank or a fill method's mark (``size-class``,
    ``parent-residual``), ``estimated_employment`` the estimated part of ``employment``, never
    more (``imputed_key`` and ``nuts_recode`` are kept as written). For Parquet, ``line`` in
    problems is the row number plus one, as if the table were a CSV.

    Parameters
    ----------
    path
        ``.parquet`` / ``.pq`` for Parquet, anything else is read as delimited text.

    Returns
    -------
    tuple[pl.DataFrame, ReadReport]
        ``INDUSTRY_CELLS`` with codes kept as text (``06`` stays ``06``) and the report.

    Raises
    ------
    InvalidInput
        Every defect found, each with file, line, field and what was expected.
    """
    path = Path(path)
    expected = (
        "region,industry,year,employment[,establishments][,wages][,size_class]"
        "[,imputed][,estimated_employment]"
    )
    table = read_long(path, expected)
    aliases = {"region_code": "region", "industry_code": "industry"}
    table.frame = table.frame.rename({k: v for k, v in aliases.items() if k in table.header})
    table.header = [aliases.get(c, c) for c in table.header]
    require(table, ["region", "industry", "year", "employment"], expected)
    frame = _checked_keys(table)
    measures = ("employment", "establishments", "wages", "estimated_employment")
    numbers = [c for c in measures if c in table.header]
    for column in numbers:
        frame = parse_values(frame, column, f"_{column}")
        value_problems(table, frame, column, f"_{column}", column, flags_allowed=False)
    frame = _estimate_marks(table, frame)
    if "size_class" in table.header:
        size = pl.col("size_class").str.strip_chars().str.to_uppercase()
        frame = frame.with_columns(size_class=pl.when(size != "").then(size))
        known = pl.col("size_class").is_in(sorted(SIZE_CLASSES)) | pl.col("size_class").is_null()
        check(
            table,
            frame,
            ~known,
            "size_class",
            "unknown size class; expected one of " + ", ".join(sorted(SIZE_CLASSES)),
        )
    frame = frame.rename({"region": "region_code", "industry": "industry_code"})
    duplicates(table, frame, "industry_code", "industry")
    raise_if(table)
    frame = frame.with_columns(
        year=pl.col("year").cast(pl.Int32), **{c: pl.col(f"_{c}") for c in numbers}
    )
    cells = conform(frame, INDUSTRY_CELLS, what=table.name)
    return cells, build_report(table, cells, frame)


def _estimate_marks(table: Table, frame: pl.DataFrame) -> pl.DataFrame:
    """Check a long table's ``imputed`` marks and that no estimate exceeds its employment;
    blank marks (as a CSV writes nulls) are none."""
    marks = [c for c in ("imputed", "imputed_key", "nuts_recode") if c in table.header]
    stripped = [pl.col(c).str.strip_chars() for c in marks]
    frame = frame.with_columns(pl.when(c != "").then(c) for c in stripped)
    if "imputed" in table.header:
        known = pl.col("imputed").is_in(ESTIMATE_MARKS) | pl.col("imputed").is_null()
        message = "unknown estimate mark; expected blank or " + ", ".join(ESTIMATE_MARKS)
        check(table, frame, ~known, "imputed", message)
    if "estimated_employment" in table.header:
        # Both sums come from the same rows; the tolerance absorbs their order of addition.
        above = pl.col("_estimated_employment") > pl.col("_employment") * (1 + 1e-9)
        message = "more than the cell's employment; expected the estimated part of employment"
        check(table, frame, above.fill_null(False), "estimated_employment", message)
    return frame


def read_cmp_states(path: str | Path, *, tolerance: float = 1e-5) -> CmpStates:
    """Read a U.S. Cluster Mapping Project region file: states (``clustermapping_states_2016.csv``),
    counties, metropolitan/micropolitan statistical areas or economic areas.

    All four share one layout; ``region_type`` is the file's ``region_type_t`` (``state``,
    ``county``, ``msa``, ``economic``), one type per file, and each ``region_code_t`` must be
    shaped as that type's codes (``_cmp.REGION_CODES``).

    ``wages`` is ``ap_tl`` (annual payroll in $1000s) times 1000; ``imputed_share`` is
    the part of ``emp_tl`` the project imputed for suppressed cells,
    ``1 - emp_reported_tl / emp_tl``. Blank or ``NA`` in a numeric column is missing; in
    ``strong_b`` / ``strong10_b`` it is an unrated cell (null); ``traded_b`` must be TRUE
    or FALSE and agree with the cluster code (traded 1-51, local 101-116).

    The national denominators of the published LQ include DC and areas outside the 50
    states, so they cannot be summed from this file; they are recovered per cell instead:
    national cluster employment ``emp_tl / cluster_emp_per_tf`` and the national traded
    (or local) total ``lq_tf * emp_tl / (region_emp_per_tf * cluster_emp_per_tf)``.
    Every cell must agree within ``tolerance`` (relative), or the file is refused.

    Parameters
    ----------
    path
        The region file (one year, one region type).
    tolerance
        Largest relative deviation of one cell's recovered national figures from the
        median of all cells; the published values agree to about 2e-7.

    Returns
    -------
    CmpStates
        Cluster cells, the national benchmark, the published LQ and ratings, T and L.

    Raises
    ------
    InvalidInput
        Malformed values, inconsistent codes, several years, or cells that disagree on the
        national denominators, each with file, line and field.
    """
    return read_cmp(Path(path), tolerance)


def _header_problem(table: Table, column: str, message: str) -> Problem:
    return Problem(message, table.name, 1, column)


def _select_indicator(
    frame: pl.DataFrame, name: str, dimension: str, indicator: str | None
) -> pl.DataFrame:
    """Keep one indicator's rows; an absent indicator is an error, not an empty result."""
    if indicator is None:
        return frame
    kept = frame.filter(pl.col(dimension).str.strip_chars() == indicator)
    if kept.is_empty():
        found = sorted(frame[dimension].drop_nulls().unique().to_list())[:20]
        raise InvalidInput.single(
            f"indicator {indicator!r} not found; the file has {', '.join(found) or 'no rows'}",
            file=name,
            field=dimension,
        )
    return kept


#: The codes under which Eurostat publishes the total of a breakdown (size classes, ...).
_TOTALS = ("TOTAL", "_T")


def _totals_only(frame: pl.DataFrame, table: Table, breakdowns: list[str]) -> pl.DataFrame:
    """Keep, of each further breakdown of a bulk file (frequency, size class, unit), its one
    value or else its total, saying what was left out; without a total the parts cannot be
    told from each other and the file is refused, naming the breakdown."""
    for dim in breakdowns:
        values = sorted(frame.get_column(dim).drop_nulls().unique().to_list())
        if len(values) <= 1:
            continue
        total = next((code for code in _TOTALS if code in values), None)
        listed = ", ".join(values[:8]) + (", ..." if len(values) > 8 else "")
        if total is None:
            raise InvalidInput.single(
                f"several {dim} values ({listed}) and no total ({' or '.join(_TOTALS)}); "
                "expected one value, or their total",
                file=table.name,
                field=dim,
            )
        frame = frame.filter(pl.col(dim) == total)
        table.warnings.append(
            Problem(
                f"{dim}: the total {total} kept, the other {len(values) - 1} value(s) of "
                f"{listed} left out (parts of the total)",
                table.name,
            )
        )
    return frame


def _eurostat_cells(long: pl.DataFrame, table: Table) -> tuple[pl.DataFrame, ReadReport]:
    """Validate codes and values of a long Eurostat frame and shape it as industry cells."""
    raw_codes = long["nace_r2"].unique().to_list()
    mapping = {code: normalise_nace(code or "") for code in raw_codes}
    long = long.with_columns(
        industry_code=pl.col("nace_r2").replace_strict(mapping, return_dtype=pl.String),
        region_code=pl.col("geo").str.strip_chars(),
    )
    nace_total = (
        pl.col("nace_r2").str.strip_chars().str.contains(f"^(?:{_NACE_AGGREGATE.pattern})$")
    )
    geo_total = pl.col("region_code").str.contains(_GEO_AGGREGATE)
    aggregate = nace_total | geo_total
    skipped = long.filter(aggregate)
    if skipped.height:
        codes = {*skipped.filter(nace_total)["nace_r2"], *skipped.filter(geo_total)["region_code"]}
        table.warnings.append(
            Problem(
                f"{skipped.height} cells of aggregates skipped ({', '.join(sorted(codes)[:6])}): "
                "they are sums of other cells",
                table.name,
            )
        )
    long = long.filter(~aggregate)
    check(
        table,
        long,
        pl.col("industry_code").is_null(),
        "nace_r2",
        "unknown NACE code; expected a section letter with 0, 2, 3 or 4 digits (B, C20, G451)",
    )
    check(
        table,
        long,
        ~pl.col("region_code").str.contains(_NUTS),
        "geo",
        "malformed region code; expected a NUTS code (2 letters, then up to 3 letters/digits)",
    )
    long = parse_values(
        long, "_raw", "employment", flag="_flag" if "_flag" in long.columns else None
    )
    value_problems(table, long, "_raw", "employment", pl.col("_field"))
    duplicates(table, long, "industry_code", "nace_r2")
    raise_if(table)
    cells = conform(long, INDUSTRY_CELLS, what=table.name)
    listed = cells.group_by("region_code").agg(pl.col("employment").is_not_null().any())
    empty = sorted(listed.filter(~pl.col("employment"))["region_code"])
    if empty:
        shown = ", ".join(empty[:12]) + (", ..." if len(empty) > 12 else "")
        table.warnings.append(
            Problem(
                f"{len(empty)} region codes have no value at all ({shown}): codes of an older "
                "NUTS version or extra-regio codes, not suppressed cells",
                table.name,
            )
        )
    return cells, build_report(table, cells, long)


def _checked_keys(table: Table) -> pl.DataFrame:
    """The frame with region, industry and year stripped of surrounding spaces, every cell
    that is not a code or a year recorded as a problem.

    One pass over the three columns as they stand; only when a cell fails (it may just need
    its spaces stripped) are they stripped and the failing cells named.
    """
    patterns = {"region": _CODE, "industry": _CODE, "year": r"^[0-9]{4}$"}
    frame = table.frame
    every = pl.all_horizontal(pl.col(c).str.contains(p) for c, p in patterns.items())
    if frame.select(every.fill_null(False)).to_series().all():
        return frame
    frame = frame.with_columns(pl.col(c).str.strip_chars() for c in patterns)
    for column, pattern in patterns.items():
        message = "expected YYYY" if column == "year" else "expected a code"
        check(table, frame, ~pl.col(column).str.contains(pattern), column, message)
    return frame


def read_value_table(path: str | Path, *, blank_as_zero: bool = False) -> pl.DataFrame:
    """Read ``region,industry,year,value``: the input of the complexity engine.

    ``value`` is any non-negative quantity (employment, exports, patents). A blank or ``NA``
    value is refused unless ``blank_as_zero``: complexity has no notion of a missing cell,
    and reading a confidential cell as zero changes RCA, so the user must choose it.
    CSV (comma, semicolon or tab, gzip allowed) or Parquet.

    Raises
    ------
    InvalidInput
        Every defect, each with file, line, field and what was expected.
    """
    path = Path(path)
    expected = "region,industry,year,value"
    table = read_long(path, expected)
    require(table, ["region", "industry", "year", "value"], expected)
    frame = _checked_keys(table)
    frame = parse_values(frame, "value", "_value")
    value_problems(table, frame, "value", "_value", "value", flags_allowed=False)
    if not blank_as_zero:
        blank = pl.col("_value_kind").is_in(["blank", "not-available", "sheet-time"])
        check(
            table,
            frame,
            blank,
            "value",
            "missing value; expected a number (or pass blank-as-zero to read blanks as 0)",
        )
    frame = frame.rename({"region": "region_code"})
    duplicates(table, frame, "industry", "industry")
    raise_if(table)
    return frame.select(
        region="region_code",
        industry="industry",
        year=pl.col("year").cast(pl.Int32),
        value=pl.col("_value").fill_null(0.0),
    )

"""Read scoreboard indicator values: user files (``region,indicator,year,value``) and official
Eurostat downloads (bulk TSV or SDMX-CSV) of a catalogue data set.

Both readers return ``INDICATOR_VALUES`` frames or raise ``InvalidInput`` with every problem
(file, line, field, value, what was expected), so an import is all-or-nothing. Unlike the
employment readers in ``sources``, values may be negative (an index centred on 0, a growth
rate), so the number rule is the signed one here.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from clusterhub.classify import is_extra_regio
from clusterhub.errors import InvalidInput, Problem
from clusterhub.input_files import TextLines
from clusterhub.stats._tables import (
    NOT_AVAILABLE,
    Table,
    check,
    raise_if,
    read_long,
    read_table,
    record,
)

#: One indicator value of one region (or, with ``country_level``, of a whole country).
INDICATOR_VALUES: dict[str, type[pl.DataType] | pl.DataType] = {
    "region_code": pl.String,
    "indicator": pl.String,
    "year": pl.Int32,
    "value": pl.Float64,
    "country_level": pl.Boolean,
}
_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
#: A user file's value: a plain signed number, nothing after it.
_PLAIN = rf"^\s*({_NUMBER})\s*$"
#: A Eurostat value: a number, then optionally its flags (Eurostat's observation status and
#: confidentiality letters: b break, c confidential, d definition differs, e estimated, f
#: forecast, i see metadata, n not significant, p provisional, r revised, s Eurostat estimate,
#: u low reliability, z not applicable), which are dropped.
_FLAGGED = rf"^\s*({_NUMBER})\s*[bcdefinprsuz]*\s*$"
#: Largest magnitude accepted: beyond it a value is a unit or typing error, and min-max or
#: z-score arithmetic on such numbers would overflow.
MAX_MAGNITUDE = 1e15
#: Eurostat aggregates of several countries (EU27_2020, EA19, EFTA, EEA30_2007), not regions.
AGGREGATE = r"^(?:EU|EA|EEA|EFTA)(?:\d.*|_.*)?$"
#: The form of a NUTS code (country + up to three characters); the one definition.
NUTS_CODE = r"^[A-Z]{2}[A-Z0-9]{0,3}$"
_USER_COLUMNS = "region,indicator,year,value"


def read_indicator_csv(
    path: str | Path,
    *,
    levels: Mapping[str, str],
    regions: Collection[str] | None = None,
) -> pl.DataFrame:
    """Read a user indicator file: ``region,indicator,year,value`` (comma, semicolon or tab).

    Parameters
    ----------
    path
        The file; a blank, ``NA`` or ``:`` value is a row without a value and is skipped.
    levels
        Indicator code -> ``"region"`` or ``"country"`` (the catalogue). A country-level
        indicator must be given for a country code (``DE``); it is applied to the country's
        regions when scored.
    regions
        Region codes that exist (NUTS catalogue and loaded data sets); None checks the form only.

    Raises
    ------
    InvalidInput
        Unknown indicators or regions, a region where a country is expected, malformed years
        or values, duplicate region x indicator x year rows, each with line and field.
    """
    table = read_long(Path(path), _USER_COLUMNS)
    missing = [c for c in ("region", "indicator", "year", "value") if c not in table.header]
    if missing:
        raise InvalidInput(
            [
                Problem(f"missing column; expected {_USER_COLUMNS}", table.name, 1, c)
                for c in missing
            ],
            summary=f"cannot read {table.name}: missing {', '.join(missing)}",
        )
    frame = table.frame.with_columns(
        pl.col("indicator", "year").str.strip_chars(),
        pl.col("region").str.strip_chars().str.to_uppercase(),
    )
    known = list(levels)
    check(
        table,
        frame,
        ~pl.col("indicator").is_in(known),
        "indicator",
        "unknown indicator; expected a code of the catalogue that is not computed by clusterhub",
    )
    country_level = (
        pl.col("indicator")
        .replace_strict(dict(levels), default=None, return_dtype=pl.String)
        .eq("country")
    )
    frame = frame.with_columns(country_level=country_level)
    check(
        table,
        frame.filter(pl.col("indicator").is_in(known)),
        ~pl.col("region").str.contains(NUTS_CODE)
        | (pl.col("country_level") & (pl.col("region").str.len_chars() != 2)),
        "region",
        "expected a NUTS code; a country-level indicator needs a country code (e.g. DE)",
    )
    _known_regions(table, frame, "region", regions)
    check(table, frame, ~pl.col("year").str.contains(r"^[0-9]{4}$"), "year", "expected YYYY")
    frame = _values(table, frame, "value", pl.lit("value"), _PLAIN)
    frame = frame.rename({"region": "region_code"})
    _duplicates(table, frame)
    raise_if(table)
    return _shaped(frame.filter(pl.col("_value").is_not_null()))


@dataclass(frozen=True)
class EurostatRead:
    """An indicator read from a Eurostat download, and the rows left out on purpose."""

    values: pl.DataFrame
    #: Rows of aggregates (EU27_2020, EA20, EFTA...) skipped.
    aggregates: int
    #: Rows of Extra-Regio codes (DEZZ...) skipped: they are no region.
    extra_regio: int


def read_eurostat_indicator(
    path: str | Path,
    *,
    filters: Mapping[str, str],
    country_level: bool = False,
    regions: Collection[str] | None = None,
) -> EurostatRead:
    """Read one indicator from an official Eurostat download of its data set.

    The bulk TSV (``freq,unit,...,geo\\TIME_PERIOD`` then year columns) and SDMX-CSV
    (``DATAFLOW,LAST UPDATE,freq,...,geo,TIME_PERIOD,OBS_VALUE,OBS_FLAG``) are accepted.
    ``filters`` (from the catalogue) pick the slice; every other dimension except ``freq``
    and ``geo`` must then have one value only, or the slice is ambiguous and refused.
    Aggregates (``EU27_2020``, ``EA20``, ``EFTA``) and Extra-Regio codes are skipped and
    counted; ``:`` is a missing value; the flags ``bcdefinprsuz`` after a number are dropped.

    Parameters
    ----------
    regions
        Region and country codes that exist (NUTS catalogue and loaded data sets), as for user
        files; None checks the form only.

    Raises
    ------
    InvalidInput
        A filter dimension or value absent (naming the values the file has), an ambiguous
        slice, unknown or malformed geo codes, malformed periods or values, each with file,
        line and field.
    """
    path = Path(path)
    with TextLines(path) as lines:
        head = lines.first_line()
    long, table = _sdmx(path) if head.upper().startswith("DATAFLOW") else _tsv(path)
    long = _slice(long, table, filters).with_columns(pl.col("geo").str.to_uppercase())
    aggregate = pl.col("geo").str.contains(AGGREGATE)
    extra = pl.col("geo").map_elements(is_extra_regio, return_dtype=pl.Boolean)
    aggregates = long.filter(aggregate).height
    long = long.filter(~aggregate)
    extra_regio = long.filter(extra).height
    long = long.filter(~extra)
    check(table, long, ~pl.col("geo").str.contains(NUTS_CODE), "geo", "expected a NUTS code")
    _known_regions(table, long, "geo", regions)
    long = _values(table, long, "_raw", pl.col("_field"), _FLAGGED)
    long = long.rename({"geo": "region_code"}).with_columns(
        indicator=pl.lit(""), country_level=pl.lit(country_level)
    )
    _duplicates(table, long)
    raise_if(table)
    values = _shaped(long.filter(pl.col("_value").is_not_null()))
    return EurostatRead(values, aggregates, extra_regio)


def _tsv(path: Path) -> tuple[pl.DataFrame, Table]:
    table = read_table(path, "\t", "freq,...,geo\\TIME_PERIOD followed by year columns")
    first = table.header[0]
    head = re.fullmatch(r"([\w,]+)[\\/](?:TIME_PERIOD|time)", first, re.IGNORECASE)
    dims = [d.lower() for d in head.group(1).split(",")] if head else []
    if not head or "geo" not in dims:
        raise InvalidInput.single(
            "expected a first column like freq,unit,geo\\TIME_PERIOD",
            file=table.name,
            line=1,
            field=first,
        )
    periods = list(table.header[1:])
    bad = [p for p in periods if not re.fullmatch(r"\s*\d{4}\s*", p)]
    if bad:
        raise InvalidInput(
            [Problem("expected an annual period YYYY", table.name, 1, p) for p in bad],
            summary=f"cannot read {table.name}: bad header",
        )
    parts = pl.col(first).str.split(",")
    frame = table.frame.with_columns(parts.list.len().alias("_dims"))
    record(
        table,
        frame.filter(pl.col("_dims") != len(dims)).select("_line"),
        lambda line: Problem(
            f"expected {len(dims)} comma-separated codes", table.name, line, first
        ),
    )
    frame = frame.filter(pl.col("_dims") == len(dims)).with_columns(
        parts.list.get(i).str.strip_chars().alias(d) for i, d in enumerate(dims)
    )
    long = frame.unpivot(
        index=["_line", *dims], on=periods, variable_name="_field", value_name="_raw"
    ).with_columns(year=pl.col("_field").str.strip_chars().cast(pl.Int32))
    return long, table


def _sdmx(path: Path) -> tuple[pl.DataFrame, Table]:
    table = read_table(path, ",", "DATAFLOW,LAST UPDATE,freq,...,geo,TIME_PERIOD,OBS_VALUE")
    table.frame = table.frame.rename({c: c.lower() for c in table.header})
    table.header = [c.lower() for c in table.header]
    missing = [c for c in ("geo", "time_period", "obs_value") if c not in table.header]
    if missing:
        raise InvalidInput(
            [Problem("missing column", table.name, 1, c) for c in missing],
            summary=f"cannot read {table.name}: missing {', '.join(missing)}",
        )
    frame = table.frame
    check(
        table,
        frame,
        ~pl.col("time_period").str.contains(r"^\s*[0-9]{4}\s*$"),
        "time_period",
        "expected an annual period YYYY",
    )
    long = frame.filter(pl.col("time_period").str.contains(r"^\s*[0-9]{4}\s*$")).with_columns(
        _raw=pl.col("obs_value"),
        _field=pl.lit("OBS_VALUE"),
        year=pl.col("time_period").str.strip_chars().cast(pl.Int32),
    )
    dims = [
        c
        for c in table.header
        if c
        not in ("dataflow", "last update", "time_period", "obs_value", "obs_flag", "conf_status")
    ]
    return long.select("_line", *dims, "_raw", "_field", "year"), table


def _slice(long: pl.DataFrame, table: Table, filters: Mapping[str, str]) -> pl.DataFrame:
    """Keep the catalogue's slice; refuse absent filters and dimensions left ambiguous."""
    for dimension, wanted in filters.items():
        if dimension not in long.columns:
            raise InvalidInput.single(
                f"the file has no dimension {dimension!r} (it has "
                f"{', '.join(c for c in long.columns if not c.startswith('_') and c != 'year')})",
                file=table.name,
                line=1,
                field=dimension,
            )
        kept = long.filter(pl.col(dimension) == wanted)
        if kept.is_empty():
            found = sorted(long[dimension].unique().to_list())[:20]
            raise InvalidInput.single(
                f"no rows with {dimension}={wanted}; the file has {', '.join(found)}",
                file=table.name,
                field=dimension,
                value=wanted,
            )
        long = kept
    others = [
        c
        for c in long.columns
        if not c.startswith("_") and c not in ("year", "geo", "freq", *filters)
    ]
    ambiguous = [c for c in others if long[c].n_unique() > 1]
    if ambiguous:
        raise InvalidInput(
            [
                Problem(
                    "several values left after filtering ("
                    + ", ".join(sorted(long[c].unique().to_list())[:10])
                    + "); add a filter for this dimension to the catalogue",
                    table.name,
                    field=c,
                )
                for c in ambiguous
            ],
            summary=f"cannot read {table.name}: the catalogue's filters leave several series",
        )
    return long


def _values(
    table: Table, frame: pl.DataFrame, raw: str, field: pl.Expr, pattern: str
) -> pl.DataFrame:
    """Parse numbers of ``pattern`` into ``_value``; blank, NA and ``:`` are missing; record
    the rest, and numbers beyond ``MAX_MAGNITUDE``, as problems."""
    text = pl.col(raw).fill_null("")
    missing = text.str.strip_chars().is_in(["", "NA"]) | text.str.contains(NOT_AVAILABLE)
    number = text.str.extract(pattern, 1).cast(pl.Float64)
    frame = frame.with_columns(_value=number, _missing=missing)
    bad = frame.filter(pl.col("_value").is_null() & ~pl.col("_missing"))
    record(
        table,
        bad.select("_line", field.alias("_f"), raw),
        lambda line, f, v: Problem(
            "not a number; expected a number, blank, NA or ':'", table.name, line, f, v
        ),
    )
    huge = frame.filter(pl.col("_value").abs() > MAX_MAGNITUDE)
    record(
        table,
        huge.select("_line", field.alias("_f"), raw),
        lambda line, f, v: Problem(
            f"expected a number of magnitude at most {MAX_MAGNITUDE:g}", table.name, line, f, v
        ),
    )
    return frame


def _duplicates(table: Table, frame: pl.DataFrame) -> None:
    keys = ["region_code", "indicator", "year"]
    keyed = frame.filter(pl.col("year").cast(pl.Int32, strict=False).is_not_null())
    repeats = keyed.with_columns(_first=pl.col("_line").min().over(keys)).filter(
        pl.col("_line") != pl.col("_first")
    )
    record(
        table,
        repeats.select("_line", "_first", *keys),
        lambda line, first, region, indicator, year: Problem(
            f"duplicate region x indicator x year, first on line {first}",
            table.name,
            line,
            "region",
            f"{region} x {indicator} x {year}",
        ),
    )


def _shaped(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(
        pl.col("region_code").cast(pl.String),
        pl.col("indicator").cast(pl.String),
        pl.col("year").cast(pl.Int32),
        pl.col("_value").alias("value"),
        pl.col("country_level").cast(pl.Boolean),
    )


def _known_regions(
    table: Table, frame: pl.DataFrame, column: str, regions: Collection[str] | None
) -> None:
    """Record NUTS-shaped codes that are neither NUTS 2021 nor in a loaded data set."""
    if regions is None:
        return
    check(
        table,
        frame.filter(pl.col(column).str.contains(NUTS_CODE)),
        ~pl.col(column).is_in(list(regions)),
        column,
        "unknown region code (not in NUTS 2021, an earlier NUTS version or a loaded data set)",
    )

"""Shared machinery of the readers: delimited text in, validated Polars columns out.

Kept apart from ``sources`` so that each reader there reads as the rules of its format.
Everything here records problems on a ``Table`` instead of raising at the first one, so a
refused file comes back with *all* its defects (file, line, field, value, expectation); the
table's ``ProblemList`` keeps the first of them and counts the rest. Files are read by the
shared strict reader of ``clusterhub.input_files``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from clusterhub.errors import InvalidInput, Problem
from clusterhub.input_files import ProblemList, TextLines, read_frame

_FLAG = "[bcdefinprsuz]"
#: A non-negative number (decimal or scientific, ASCII digits: the only ones a cast reads),
#: optionally followed by Eurostat flags.
NUMBER = rf"^\s*((?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)\s*({_FLAG}*)\s*$"
#: A plain number, as the typed cast reads it and ``NUMBER`` would (no spaces, flags or sign).
PLAIN = r"^[0-9.][0-9.eE+-]*$"
#: Eurostat's "not available" (``:``, ``: c``) or a bare Eurostat flag without a number.
NOT_AVAILABLE = rf"^\s*(?::\s*{_FLAG}*|{_FLAG}+)\s*$"
#: What a spreadsheet shows for a number formatted as a time of day (``12:00 AM``).
SHEET_TIME = r"^\s*\d{1,2}:\d{2}(?::\d{2})?\s*[AP]M\s*$"

#: Meanings of the Eurostat flag letters, for the warnings.
EUROSTAT_FLAGS: Mapping[str, str] = {
    "b": "break in time series",
    "c": "confidential",
    "d": "definition differs",
    "e": "estimated",
    "f": "forecast",
    "i": "see metadata",
    "n": "not significant",
    "p": "provisional",
    "r": "revised",
    "s": "Eurostat estimate",
    "u": "low reliability",
    "z": "not applicable",
}


@dataclass(frozen=True)
class ReadReport:
    """What a reader did: rows read, cells produced, cells left missing, values flagged.

    ``missing`` counts every cell with null employment; ``confidential`` is the part of
    it the source marked confidential explicitly (Eurostat flag ``c``). ``warnings`` are
    problems that were handled by documented rules rather than refused.
    """

    file: str
    rows_read: int
    cells: int
    missing: int
    confidential: int = 0
    flags: Mapping[str, int] = field(default_factory=dict)
    warnings: tuple[Problem, ...] = ()


@dataclass
class Table:
    """A file read as strings, with each row's line number and what was found wrong so far."""

    name: str
    header: list[str]
    frame: pl.DataFrame
    problems: ProblemList
    warnings: list[Problem] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        """Data rows read (blank lines and rows refused for their field count excluded)."""
        return self.frame.height


def read_table(path: Path, separator: str, expected: str) -> Table:
    """Read a delimited file as strings, keeping the line of every row for error messages.

    The shared strict reader (``clusterhub.input_files``) refuses damaged files; rows with the
    wrong number of fields are recorded on the table and left out, so the reader's own checks
    still run on the others and the file is refused with all its problems.
    """
    name = str(path)
    problems = ProblemList()
    frame = read_frame(path, separator=separator, problems=problems, expected=expected)
    header = frame.columns[:-1]
    _check_header(name, header, separator, expected)
    return Table(name, header, frame, problems)


def _check_header(name: str, header: list[str], separator: str, expected: str) -> None:
    """Refuse a file read with the wrong separator (one column only), naming line 1."""
    if len(header) == 1:
        others = [s for s in (",", ";", "\t", "|") if s != separator]
        found = max(others, key=header[0].count)
        found_text = repr(found) if found in header[0] else "a single column"
        raise InvalidInput.single(
            f"expected {separator!r} separated columns {expected}, found {found_text}",
            file=name,
            line=1,
            value=header[0][:80],
        )


def read_long(path: Path, expected: str) -> Table:
    """Read a long table from Parquet, or from CSV with its separator sniffed from line 1."""
    if path.suffix.lower() not in (".parquet", ".pq"):
        with TextLines(path) as lines:
            first = lines.first_line()
        separator = max((",", ";", "\t"), key=first.count)
        return read_table(path, separator, expected)
    try:
        raw = pl.read_parquet(path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise InvalidInput.single(f"cannot read as Parquet: {exc}", file=str(path)) from exc
    frame = raw.select(pl.all().cast(pl.String)).with_columns(
        _line=pl.int_range(2, raw.height + 2, dtype=pl.Int64)
    )
    return Table(str(path), raw.columns, frame, ProblemList())


def require(table: Table, columns: Sequence[str], expected: str, extra: str | None = None) -> None:
    """Stop at once when required columns are absent: nothing else can be checked then."""
    missing = [c for c in columns if c not in table.header] + ([extra] if extra else [])
    if missing:
        problems = [
            Problem(f"missing column; expected columns {expected}", table.name, 1, c)
            for c in missing
        ]
        raise InvalidInput(
            problems, summary=f"cannot read {table.name}: missing {', '.join(missing)}"
        )


def parse_values(frame: pl.DataFrame, raw: str, out: str, flag: str | None = None) -> pl.DataFrame:
    """Add ``out`` (Float64), ``out_flag`` and ``out_kind`` parsed from the string column ``raw``.

    Kinds: value, blank (also ``NA``), not-available (``:``), sheet-time (a number a
    spreadsheet displayed as a time), negative, too-large (beyond double precision: ``1e309``),
    invalid (also ``inf`` and ``nan``, which would otherwise read as Eurostat flag letters).

    Most cells of most files are plain numbers (``PLAIN``): they are parsed by one typed cast.
    Only the other cells go through the classification by patterns, which costs a regular
    expression pass per kind; the rows keep their order.
    """
    quick = pl.col(raw).cast(pl.Float64, strict=False)
    plain = quick.is_finite().fill_null(False) & (quick >= 0) & pl.col(raw).str.contains(PLAIN)
    marked = frame.with_columns(plain.alias("_plain"))
    if marked.get_column("_plain").all():
        return _plain_values(frame, raw, out, flag)
    marked = marked.with_row_index("_row")
    parts = [
        _plain_values(marked.filter("_plain"), raw, out, flag),
        _classify(marked.filter(~pl.col("_plain")), raw, out, flag),
    ]
    return pl.concat(parts).sort("_row").drop("_row", "_plain")


def _plain_values(frame: pl.DataFrame, raw: str, out: str, flag: str | None) -> pl.DataFrame:
    """``parse_values`` of cells that are all plain numbers: one typed cast."""
    letters = pl.lit(None, dtype=pl.String)
    if flag is not None:
        letters = pl.coalesce(pl.col(flag).str.strip_chars(), letters)
    return frame.with_columns(
        pl.col(raw).cast(pl.Float64).alias(out),
        pl.when(letters != "").then(letters).alias(f"{out}_flag"),
        pl.lit("value").alias(f"{out}_kind"),
    )


def _classify(frame: pl.DataFrame, raw: str, out: str, flag: str | None) -> pl.DataFrame:
    """``parse_values`` by patterns: every kind of cell, at a regular expression pass each."""
    value = pl.col(raw).fill_null("")
    number = value.str.extract(NUMBER, 1)
    kind = (
        pl.when(value.str.strip_chars().is_in(["", "NA"]))
        .then(pl.lit("blank"))
        .when(value.str.contains(r"(?i)^\s*[-+]?(?:inf|infinity|nan)\s*$"))
        .then(pl.lit("invalid"))
        .when(number.cast(pl.Float64).is_infinite())
        .then(pl.lit("too-large"))
        .when(number.is_not_null())
        .then(pl.lit("value"))
        .when(value.str.contains(NOT_AVAILABLE))
        .then(pl.lit("not-available"))
        .when(value.str.contains(SHEET_TIME))
        .then(pl.lit("sheet-time"))
        .when(value.str.contains(r"^\s*-\s*\d"))
        .then(pl.lit("negative"))
        .otherwise(pl.lit("invalid"))
    )
    letters: pl.Expr = (
        pl.when(kind == "value")
        .then(value.str.extract(NUMBER, 2))
        .when(kind == "not-available")
        .then(value.str.replace_all(r"[\s:]", ""))
    )
    if flag is not None:
        letters = pl.coalesce(pl.col(flag).str.strip_chars(), letters)
    return frame.with_columns(
        number.cast(pl.Float64).alias(out),
        pl.when(letters != "").then(letters).alias(f"{out}_flag"),
        kind.alias(f"{out}_kind"),
    )


def value_problems(
    table: Table,
    frame: pl.DataFrame,
    raw: str,
    out: str,
    field: str | pl.Expr,
    *,
    flags_allowed: bool = True,
) -> None:
    """Record refused values as problems and spreadsheet-mangled ones as warnings."""
    kind, flags = pl.col(f"{out}_kind"), pl.col(f"{out}_flag")
    refused = kind.is_in(["negative", "invalid", "too-large"])
    if not flags_allowed:
        refused = refused | flags.is_not_null()
    field_expr = pl.lit(field) if isinstance(field, str) else field
    messages = {
        "negative": "negative value; expected a non-negative number",
        "invalid": "not a number; expected a non-negative number, blank, NA or ':' (with flags)",
        "too-large": "number too large to represent; expected a finite number",
    }
    rows = frame.filter(refused).select("_line", field_expr.alias("_f"), raw, f"{out}_kind")
    record(
        table,
        rows,
        lambda line, f, v, k: Problem(
            messages.get(k, "flag letters are not allowed here"), table.name, line, f, v
        ),
    )
    mangled = frame.filter(kind == "sheet-time").select("_line", field_expr.alias("_f"), raw)
    table.warnings.extend(
        Problem(
            "a spreadsheet displayed this number as a time of day; the number is lost, "
            "read as missing",
            table.name,
            line,
            f,
            v,
        )
        for line, f, v in mangled.iter_rows()
    )


def record(table: Table, rows: pl.DataFrame, problem: Callable[..., Problem]) -> None:
    """Record one problem per row of ``rows`` (``problem`` makes it from the row's values):
    all are counted, only as many as the table keeps are made."""
    made = (problem(*row) for row in rows.head(table.problems.room).iter_rows())
    table.problems.extend(made, total=rows.height)


def check(table: Table, frame: pl.DataFrame, bad: pl.Expr, column: str, message: str) -> None:
    """Record one problem per line where ``bad`` holds (or is null), naming ``column``."""
    rows = frame.filter(bad.fill_null(True)).unique("_line", keep="first", maintain_order=True)
    record(
        table,
        rows.select("_line", column),
        lambda line, value: Problem(message, table.name, line, column, value),
    )


def duplicates(table: Table, frame: pl.DataFrame, code: str, column: str) -> None:
    """Record every repeat of a region x code x year key, pointing at its first line."""
    keys = ["region_code", code, "year"]
    # Equal keys hash alike, so distinct hashes prove distinct keys in one cheap pass; only
    # otherwise (a repeat, or a rare collision) are the repeats and their lines looked for.
    if frame.select(pl.struct(keys).hash()).to_series().n_unique() == frame.height:
        return
    repeats = frame.with_columns(_first=pl.col("_line").min().over(keys)).filter(
        pl.col("_line") != pl.col("_first")
    )
    rows = repeats.unique("_line", maintain_order=True).select("_line", "_first", *keys)
    record(
        table,
        rows,
        lambda line, first, region, key, year: Problem(
            f"duplicate key (region, code, year), first on line {first}",
            table.name,
            line,
            column,
            f"{region} x {key} x {year}",
        ),
    )


def raise_if(table: Table) -> None:
    """Refuse the file with every problem recorded so far, if there is any."""
    table.problems.raise_if_any(f"cannot read {table.name}")


def build_report(table: Table, cells: pl.DataFrame, frame: pl.DataFrame) -> ReadReport:
    """Summarise a successful read: missing cells, confidential ones, flag counts, warnings."""
    flags: dict[str, int] = {}
    flag_rows: list[tuple[str, int, int]] = []
    confidential = 0
    if "employment_flag" in frame.columns:
        flagged = frame.filter(pl.col("employment_flag").is_not_null())
        counts = flagged.group_by("employment_flag").agg(
            pl.len(), pl.col("employment").is_not_null().sum().alias("kept")
        )
        flag_rows = list(counts.sort("employment_flag").iter_rows())
        flags = {f: n for f, n, _ in flag_rows}
        confidential = flagged.filter(
            pl.col("employment").is_null() & pl.col("employment_flag").str.contains("c")
        ).height
    notes = [
        Problem(
            f"{n} cells flagged {f!r} ({EUROSTAT_FLAGS.get(f, 'unknown flag')}): "
            f"{k} with a number (kept), {n - k} without (missing)",
            table.name,
        )
        for f, n, k in flag_rows
    ]
    return ReadReport(
        file=table.name,
        rows_read=table.rows_read,
        cells=cells.height,
        missing=cells["employment"].null_count(),
        confidential=confidential,
        flags=flags,
        warnings=(*table.warnings, *notes),
    )

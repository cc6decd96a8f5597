"""Location-to-NUTS 3 correspondences as Eurostat publishes them.

* LAU to NUTS (``EU-27-LAU-2021-NUTS-2021.xlsx``: a sheet per country with columns
  ``NUTS 3 CODE`` and ``LAU CODE``; or a CSV export of a sheet). French LAU codes are INSEE
  commune codes, SIRENE's ``codeCommuneEtablissement``.
* Postcodes to NUTS (TERCET, ``pc2020_FR_NUTS-2021_v1.0.csv``: ``CODE;NUTS3`` with values in
  single quotes, ``'75001';'FR101'``).
* Any CSV with one column naming NUTS 3 and one naming the location code.

Either way the result is ``location, nuts3``: one NUTS 3 region per location code. A code
placed in two different regions is refused (the file would make the map depend on row order).
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from clusterhub.errors import MAX_PROBLEMS, InvalidInput, Problem

#: A column holding NUTS 3 codes, and one holding location codes (LAU, postcode, commune).
NUTS_HEADER = re.compile(r"^nuts[ _-]?3([ _-]?code)?$", re.IGNORECASE)
LOCATION_HEADER = re.compile(r"^(lau[ _-]?code|code|pc|pc_[a-z]{2}|postcode|location)$", re.I)
NUTS3_CODE = r"^[A-Z]{2}[A-Z0-9]{3}$"
EXPECTED = "a NUTS 3 column (NUTS 3 CODE, NUTS3) and a location column (LAU CODE, CODE, PC_FR)"


def read_places(path: Path) -> pl.DataFrame:
    """``location, nuts3`` from a correspondence file (``.xlsx`` or delimited text)."""
    if path.suffix.lower() == ".xlsx":
        sheets = pl.read_excel(
            path, sheet_id=0, engine="openpyxl", infer_schema_length=0, raise_if_empty=False
        )
        parts = [_columns(frame, path, sheet) for sheet, frame in sheets.items()]
        usable = [p for p in parts if p is not None]
        if not usable:
            raise InvalidInput.single(f"no sheet has {EXPECTED}", file=str(path))
        frame = pl.concat(usable)
    else:
        raw = pl.read_csv(path, separator=_separator(path), infer_schema=False, quote_char='"')
        found = _columns(raw, path, None)
        if found is None:
            raise InvalidInput.single(
                f"expected {EXPECTED}; found {', '.join(raw.columns)}", file=str(path), line=1
            )
        frame = found
    return _checked(frame, path)


def _separator(path: Path) -> str:
    with path.open(encoding="utf-8-sig") as handle:
        header = handle.readline()
    return max((";", ",", "\t"), key=header.count)


def _columns(frame: pl.DataFrame, path: Path, sheet: str | None) -> pl.DataFrame | None:
    """The sheet's two columns, cleaned (TERCET quotes, spaces), with the line of each row."""
    names = [c.strip().strip("'\"") for c in frame.columns]
    nuts = next(
        (c for c, n in zip(frame.columns, names, strict=True) if NUTS_HEADER.match(n)), None
    )
    where = next(
        (c for c, n in zip(frame.columns, names, strict=True) if LOCATION_HEADER.match(n)), None
    )
    if nuts is None or where is None:
        return None
    clean = [pl.col(c).cast(pl.String).str.strip_chars(" '\"") for c in (where, nuts)]
    return frame.select(
        pl.lit(sheet or path.name).alias("_source"),
        (pl.int_range(pl.len(), dtype=pl.Int64) + 2).alias("_line"),
        clean[0].alias("location"),
        clean[1].str.to_uppercase().alias("nuts3"),
    ).filter(pl.col("location").is_not_null() & (pl.col("location") != ""))


def _checked(frame: pl.DataFrame, path: Path) -> pl.DataFrame:
    """Refuse malformed NUTS 3 codes and locations placed in two regions, naming lines."""
    problems: list[Problem] = []
    bad = frame.filter(~pl.col("nuts3").fill_null("").str.contains(NUTS3_CODE))
    problems.extend(
        Problem(
            f"'{nuts}' is not a NUTS 3 code; expected two letters and three letters or digits"
            + (f" (sheet {source})" if source != path.name else ""),
            file=str(path),
            line=int(line),
            field="NUTS 3",
        )
        for source, line, nuts in bad.select("_source", "_line", "nuts3").head(MAX_PROBLEMS).rows()
    )
    unique = frame.unique(["location", "nuts3"])
    clashes = unique.filter(pl.col("location").is_duplicated()).sort("location", "_line")
    problems.extend(
        Problem(
            f"location '{loc}' is placed in {', '.join(group.get_column('nuts3').to_list())}; "
            "expected one NUTS 3 region per location code",
            file=str(path),
            line=int(group.get_column("_line").max()),  # type: ignore[arg-type]
            field="location",
        )
        for (loc,), group in clashes.group_by("location", maintain_order=True)
    )
    if problems:
        raise InvalidInput(
            problems[:MAX_PROBLEMS],
            summary=f"cannot use the correspondence {path.name}",
            total=bad.height + clashes.get_column("location").n_unique(),
        )
    return unique.select("location", "nuts3").sort("location")

"""Region and cluster profiles read off a rated cluster map, and the map's file formats."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from clusterhub.errors import InvalidInput, NotFound
from clusterhub.input_files import check_delimited, load_json

TABLE_FORMATS = (".csv", ".parquet", ".json")
#: Strongest first: more stars, then the U.S. flags, then specialisation.
STRENGTH_ORDER = ["stars", "strong10", "strong", "lq"]


@dataclass(frozen=True)
class RegionProfile:
    """A region's clusters in one year, strongest first."""

    region_code: str
    region_name: str | None
    region_type: str
    year: int
    total_employment: float | None
    clusters: pl.DataFrame
    #: Every year the map has for the region, oldest first.
    years: tuple[int, ...] = ()


@dataclass(frozen=True)
class ClusterProfile:
    """A cluster's regions of one type in one year, strongest first."""

    cluster_code: str
    cluster_name: str | None
    region_type: str
    year: int
    star_counts: dict[int, int]
    regions: pl.DataFrame
    #: Every year the map has for the cluster, oldest first.
    years: tuple[int, ...] = ()


def region_profile(
    table: pl.DataFrame, code: str, *, year: int | None = None, top: int = 10
) -> RegionProfile:
    """The region's ``top`` clusters, ranked by stars, U.S. flags and LQ."""
    rows = table.filter(pl.col("region_code") == code)
    if rows.is_empty():
        raise NotFound(_not_found("region", code, table.get_column("region_code")))
    chosen, years = _year(rows, year)
    rows = rows.filter(pl.col("year") == chosen)
    first = rows.row(0, named=True)
    ranked = rows.sort(STRENGTH_ORDER, descending=True, nulls_last=True).head(top)
    return RegionProfile(
        region_code=code,
        region_name=first.get("region_name"),
        region_type=str(first["region_type"]),
        year=chosen,
        total_employment=first.get("region_total"),
        clusters=ranked,
        years=years,
    )


def cluster_profile(
    table: pl.DataFrame,
    code: str,
    *,
    year: int | None = None,
    region_type: str | None = None,
    top: int = 10,
) -> ClusterProfile:
    """The cluster's ``top`` regions of one type (default: the most detailed one present)."""
    rows = table.filter(pl.col("cluster_code") == code)
    if rows.is_empty():
        raise NotFound(_not_found("cluster", code, table.get_column("cluster_code")))
    chosen, years = _year(rows, year)
    kinds = sorted(rows.get_column("region_type").unique().to_list())
    kind = region_type or kinds[-1]
    if kind not in kinds:
        raise InvalidInput.single(
            f"expected one of {', '.join(kinds)}", field="region_type", value=kind
        )
    rows = rows.filter((pl.col("year") == chosen) & (pl.col("region_type") == kind))
    counts = rows.group_by("stars").len().sort("stars")
    return ClusterProfile(
        cluster_code=code,
        cluster_name=rows.row(0, named=True).get("cluster_name"),
        region_type=kind,
        year=chosen,
        star_counts=dict(zip(counts["stars"].to_list(), counts["len"].to_list(), strict=True)),
        regions=rows.sort([*STRENGTH_ORDER, "employment"], descending=True, nulls_last=True).head(
            top
        ),
        years=years,
    )


def _year(rows: pl.DataFrame, year: int | None) -> tuple[int, tuple[int, ...]]:
    """The year asked for (the latest when None) and every year of ``rows``."""
    years = tuple(sorted(int(y) for y in rows.get_column("year").unique().to_list()))
    if year is None:
        return years[-1], years
    if year not in years:
        raise NotFound(f"no data for {year}; years available: {', '.join(map(str, years))}")
    return year, years


def _not_found(what: str, code: str, codes: pl.Series) -> str:
    close = difflib.get_close_matches(code, codes.unique().cast(pl.String).to_list(), n=5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return f"no {what} with code {code!r} in this cluster map{hint}"


def write_table(frame: pl.DataFrame, path: Path) -> Path:
    """Write CSV, Parquet or JSON (a list of records), chosen by the file suffix."""
    suffix = path.suffix.lower()
    if suffix not in TABLE_FORMATS:
        raise InvalidInput.single(
            f"expected a file ending in {', '.join(TABLE_FORMATS)}", field="out", value=str(path)
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        frame.write_csv(path)
    elif suffix == ".parquet":
        frame.write_parquet(path)
    else:
        frame.write_json(path)
    return path


def read_table(path: Path) -> pl.DataFrame:
    """Read a cluster map written by ``write_table``."""
    suffix = path.suffix.lower()
    if not path.exists():
        raise NotFound(f"cluster map {path} does not exist")
    if suffix not in TABLE_FORMATS:
        raise InvalidInput.single(
            f"expected a file ending in {', '.join(TABLE_FORMATS)}", field="map", value=str(path)
        )
    # The text formats are checked by the shared strict reader first (a map cut short is
    # refused, not read short); Parquet carries its own checksums.
    if suffix == ".csv":
        check_delimited(path)
    elif suffix == ".json":
        load_json(path, limit=1024**3, expected="a cluster map")
    try:
        if suffix == ".csv":
            # Types from every row: a measure null in the first rows (growth before the first
            # year with a start year) must not be read as text.
            return pl.read_csv(
                path,
                schema_overrides={"region_code": pl.String, "cluster_code": pl.String},
                infer_schema_length=None,
            )
        return pl.read_json(path) if suffix == ".json" else pl.read_parquet(path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise InvalidInput.single(f"not a readable cluster map: {exc}", file=str(path)) from exc

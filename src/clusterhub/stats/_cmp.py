"""The U.S. Cluster Mapping Project region files: validation and the national benchmark.

Private to ``sources`` (``read_cmp_states`` is the public entry); kept apart because
recovering the national denominators is a small method of its own, not file parsing.

The project publishes the same layout for every region type it maps; the type is read from
the file's ``region_type_t`` (one type per file) and its codes are checked against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from clusterhub.errors import Problem
from clusterhub.stats._tables import (
    ReadReport,
    Table,
    build_report,
    check,
    duplicates,
    parse_values,
    raise_if,
    read_table,
    record,
    require,
    value_problems,
)
from clusterhub.stats.schema import CLUSTER_CELLS, conform

_CMP_TEXT = (
    "region_type_t",
    "region_code_t",
    "region_name_t",
    "cluster_code_t",
    "cluster_name_t",
    "year_t",
)
_CMP_NUMBERS = ("emp_tl", "est_tl", "ap_tl", "lq_tf", "region_emp_per_tf", "cluster_emp_per_tf")
_CMP_FLAGS = ("traded_b", "strong_b", "strong10_b")
#: The project's region types (``region_type_t``, as its data API names them) and the shape of
#: their codes: state FIPS, county FIPS (state + county), CBSA code of a metropolitan or
#: micropolitan statistical area, BEA economic area number (1-179).
REGION_CODES = {
    "state": (r"^[0-9]{2}$", "a 2-digit state FIPS code"),
    "county": (r"^[0-9]{5}$", "a 5-digit county FIPS code"),
    "msa": (r"^[0-9]{5}$", "a 5-digit CBSA code"),
    "economic": (r"^[0-9]{1,3}$", "a BEA economic area number"),
}


@dataclass(frozen=True)
class CmpStates:
    """A U.S. Cluster Mapping Project region file (states, counties, MSAs or economic areas),
    split by use.

    ``cells`` is a ``CLUSTER_CELLS`` frame plus ``traded``, ``cluster_name`` and
    ``region_name``;
    ``benchmark`` holds the national employment per cluster recovered from the published
    shares; ``published`` keeps the project's own ``lq``, ``strong`` and ``strong10``
    (null where the project published NA: local clusters are not rated).
    """

    cells: pl.DataFrame
    benchmark: pl.DataFrame
    published: pl.DataFrame
    traded_total: float
    local_total: float
    report: ReadReport


def read_cmp(path: Path, tolerance: float) -> CmpStates:
    """Read, validate and split a region file; see ``sources.read_cmp_states``."""
    table = read_table(Path(path), ",", "region_code_t,cluster_code_t,year_t,emp_tl,...")
    require(table, [*_CMP_TEXT, *_CMP_NUMBERS, *_CMP_FLAGS], "the CMP state file columns")
    frame = _validate(table)
    raise_if(table)
    return _split(table, frame, tolerance)


def _validate(table: Table) -> pl.DataFrame:
    """Check codes, booleans and numbers of a CMP region file; returns the parsed frame."""
    frame = table.frame.with_columns(pl.col(c).str.strip_chars() for c in _CMP_TEXT + _CMP_FLAGS)
    _check_regions(table, frame)
    check(
        table,
        frame,
        ~pl.col("cluster_code_t").str.contains(r"^[0-9]{1,3}$"),
        "cluster_code_t",
        "expected a cluster code (1-51 traded, 101-116 local)",
    )
    check(table, frame, ~pl.col("year_t").str.contains(r"^[0-9]{4}$"), "year_t", "expected YYYY")
    check(
        table,
        frame,
        ~pl.col("traded_b").is_in(["TRUE", "FALSE"]),
        "traded_b",
        "expected TRUE or FALSE",
    )
    for column in _CMP_FLAGS[1:]:
        check(
            table,
            frame,
            ~pl.col(column).is_in(["TRUE", "FALSE", "NA", ""]),
            column,
            "expected TRUE, FALSE or NA",
        )
    numbers = [*_CMP_NUMBERS, *(["emp_reported_tl"] if "emp_reported_tl" in table.header else [])]
    for column in numbers:
        frame = parse_values(frame, column, f"_{column}")
        value_problems(table, frame, column, f"_{column}", column, flags_allowed=False)
    code = pl.col("cluster_code_t").cast(pl.Int32, strict=False)
    traded = pl.col("traded_b") == "TRUE"
    check(
        table,
        frame,
        (traded & (code > 51)) | (~traded & (code < 101)),
        "traded_b",
        "disagrees with the cluster code (traded 1-51, local 101-116)",
    )
    years = sorted(frame["year_t"].unique().to_list())
    if len(years) > 1:
        table.problems.append(
            Problem(
                f"expected one year per file, found {', '.join(years)}", table.name, None, "year_t"
            )
        )
    frame = frame.with_columns(
        region_code=pl.col("region_code_t"),
        cluster_code=code.cast(pl.String),
        year=pl.col("year_t").cast(pl.Int32, strict=False),
    )
    duplicates(table, frame, "cluster_code", "cluster_code_t")
    return frame


def _check_regions(table: Table, frame: pl.DataFrame) -> None:
    """One known region type per file, and codes shaped as that type's codes."""
    kinds = pl.col("region_type_t")
    check(
        table,
        frame,
        ~kinds.is_in(list(REGION_CODES)),
        "region_type_t",
        f"expected a CMP region type ({', '.join(REGION_CODES)})",
    )
    found = sorted(k for k in frame["region_type_t"].unique().to_list() if k in REGION_CODES)
    if len(found) > 1:
        counts = frame.group_by("region_type_t").len().sort("len", descending=True)
        first = str(counts["region_type_t"][0])
        table.problems.append(
            Problem(
                f"expected one region type per file, found {', '.join(found)}: give each "
                f"region type its own file (most rows are {first})",
                table.name,
                None,
                "region_type_t",
            )
        )
    for kind, (pattern, what) in REGION_CODES.items():
        check(
            table,
            frame,
            (kinds == kind).fill_null(value=False) & ~pl.col("region_code_t").str.contains(pattern),
            "region_code_t",
            f"expected {what} (region type {kind})",
        )


def _split(table: Table, frame: pl.DataFrame, tolerance: float) -> CmpStates:
    """Shape the validated CMP frame into cells, the national benchmark and published flags."""
    employment = pl.col("_emp_tl")
    reported = pl.col("_emp_reported_tl") if "_emp_reported_tl" in frame.columns else None
    share = (
        pl.lit(None, pl.Float64)
        if reported is None
        else (pl.when(employment > 0).then(1 - reported / employment).otherwise(0.0))
    )
    frame = frame.with_columns(
        region_type=pl.col("region_type_t"),
        traded=pl.col("traded_b") == "TRUE",
        cluster_name=pl.col("cluster_name_t"),
        region_name=pl.col("region_name_t"),
        employment=employment,
        establishments=pl.col("_est_tl"),
        wages=pl.col("_ap_tl") * 1000,
        imputed_share=share,
    )
    cells = conform(frame, CLUSTER_CELLS, what=table.name).with_columns(
        frame.select("traded", "cluster_name", "region_name")
    )
    published = frame.select(
        "region_code",
        "cluster_code",
        "year",
        lq=pl.col("_lq_tf"),
        strong=pl.col("strong_b").replace_strict({"TRUE": True, "FALSE": False}, default=None),
        strong10=pl.col("strong10_b").replace_strict({"TRUE": True, "FALSE": False}, default=None),
    )
    benchmark, totals = _benchmark(table, frame, tolerance)
    raise_if(table)
    return CmpStates(
        cells=cells,
        benchmark=benchmark,
        published=published,
        traded_total=totals.get(True, float("nan")),
        local_total=totals.get(False, float("nan")),
        report=build_report(table, cells, frame),
    )


def _benchmark(
    table: Table, frame: pl.DataFrame, tolerance: float
) -> tuple[pl.DataFrame, dict[bool, float]]:
    """Recover national employment per cluster and the national traded/local totals.

    Each cell with employment gives its own estimate; the median is kept, and any cell
    further than ``tolerance`` (relative) from it is a problem: the published shares would
    then not describe one economy, and every metric benchmarked on them would be wrong.
    """
    emp, lq = pl.col("_emp_tl"), pl.col("_lq_tf")
    region_share, cluster_share = pl.col("_region_emp_per_tf"), pl.col("_cluster_emp_per_tf")
    usable = frame.filter((emp > 0) & (lq > 0) & (region_share > 0) & (cluster_share > 0))
    usable = usable.with_columns(
        _national=emp / cluster_share, _total=lq * emp / (region_share * cluster_share)
    )
    estimates = {
        "cluster_code": ("_national", "cluster_emp_per_tf", "national cluster employment"),
        "traded": ("_total", "lq_tf", "national traded (or local) total"),
    }
    medians: dict[str, pl.DataFrame] = {}
    for key, (column, field_name, what) in estimates.items():
        median = usable.group_by(key).agg(pl.col(column).median().alias("_median"))
        medians[key] = median
        off = usable.join(median, on=key).filter(
            (pl.col(column) / pl.col("_median") - 1).abs() > tolerance
        )
        record(
            table,
            off.select("_line", column, "_median"),
            lambda line, value, mid, what=what, field_name=field_name: Problem(
                f"{what} recovered from this row is {value:,.1f}, the other states give "
                f"{mid:,.1f} (relative tolerance {tolerance:g})",
                table.name,
                line,
                field_name,
            ),
        )
    clusters = frame.unique("cluster_code", maintain_order=True).select(
        "cluster_code", "cluster_name", "traded", "year"
    )
    totals = {bool(t): round(float(m)) for t, m in medians["traded"].iter_rows()}
    benchmark = clusters.join(medians["cluster_code"], on="cluster_code", how="left").select(
        "cluster_code",
        "cluster_name",
        "traded",
        "year",
        national_employment=pl.col("_median").round(0),
        national_total=pl.col("traded").replace_strict(
            totals, default=None, return_dtype=pl.Float64
        ),
    )
    unknown = benchmark.filter(pl.col("national_employment").is_null())["cluster_code"]
    if unknown.len():
        table.warnings.append(
            Problem(
                f"no state has employment in cluster(s) {', '.join(unknown)}: national employment "
                "unknown",
                table.name,
            )
        )
    return benchmark, {t: float(v) for t, v in totals.items()}

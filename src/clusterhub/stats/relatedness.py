"""Cluster-to-cluster relatedness from data, and how it compares with published related pairs.

The U.S. Cluster Mapping Project publishes, for every pair of its 51 traded clusters,
co-location, input-output and occupation relatedness scores and a flag (``rel_all_90_v3``)
for the pairs it calls related. clusterhub measures relatedness from co-specialisation across
regions (the engine's proximity, ``stats.complexity``); comparing the two says how far a
strategist can trust the data-driven pairs where no published list exists (e.g. for Europe).
The comparison is stated with what chance alone would give, so a reader can judge it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from clusterhub.classify import is_extra_regio
from clusterhub.errors import InvalidInput, Problem
from clusterhub.input_files import ProblemList, load_json
from clusterhub.stats.complexity import YearComplexity

#: Published fields read from each record, with the column each becomes.
PUBLISHED_SCORES = {
    "cr_lc": "colocation",
    "cr_io": "input_output",
    "cr_occ": "occupation",
    "cr_all": "combined",
}
PUBLISHED_PERCENTILES = {
    "cr_lc_pc": "colocation_pct",
    "cr_io_pc": "input_output_pct",
    "cr_occ_pc": "occupation_pct",
    "cr_all_pc": "combined_pct",
}
RELATED_FLAG = "rel_all_90_v3"
_TEXT = ("clustera", "clusterb", "cluster_name", "cluster_name_2", RELATED_FLAG)
_CODE = re.compile(r"^[1-9]\d{0,2}$")
_NUMBER = re.compile(r"^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$")


def code_key(code: str) -> tuple[int, str]:
    """Cluster codes sort as numbers (2 before 10), other codes after them as text."""
    return (int(code), code) if code.isdigit() else (1 << 30, code)


@dataclass(frozen=True)
class EngineInput:
    """The engine's long frame (``region, industry, year, value``) and what was changed to
    get it, for the notes a reader needs: ``extra_regio`` codes dropped, ``suppressed``
    (null) cells counted as 0."""

    cells: pl.DataFrame
    extra_regio: tuple[str, ...]
    suppressed: int

    @property
    def notes(self) -> tuple[str, ...]:
        """What was left out or filled in, in words."""
        extra = self.extra_regio
        return (
            *([f"{len(extra)} Extra-Regio code(s) left out: {', '.join(extra)}"] if extra else []),
            *([f"{self.suppressed} suppressed cell(s) counted as 0"] if self.suppressed else []),
        )


def engine_input(cells: pl.DataFrame, region_type: str) -> EngineInput:
    """The regions x clusters matrix, as the engine reads it, from a long frame with columns
    ``region, region_type, industry, year, value`` (value null when suppressed).

    The one place the rule lives, so that related clusters (a freshly built map) and
    diversification paths (the stored map) compare the same regions:

    - only regions of ``region_type``: relatedness among NUTS 2 regions says nothing about
      a country, so levels are never mixed;
    - no Extra-Regio codes (``ELZZ``, ``FRZZ``): they collect what belongs to no region
      (offshore platforms, embassies), so they are neither a region to specialise nor a
      partner to search;
    - a suppressed (null) cell counts as 0, the engine's rule for an absent cell.
    """
    typed = cells.filter(pl.col("region_type") == region_type)
    codes = typed.get_column("region").unique().to_list()
    extra = tuple(sorted(c for c in codes if is_extra_regio(c)))
    kept = typed.filter(~pl.col("region").is_in(extra))
    return EngineInput(
        cells=kept.select(
            pl.col("region").cast(pl.String),
            pl.col("industry").cast(pl.String),
            pl.col("year").cast(pl.Int32),
            pl.col("value").cast(pl.Float64).fill_null(0.0),
        ),
        extra_regio=extra,
        suppressed=kept.get_column("value").null_count(),
    )


def read_cmp_related(path: str | Path) -> pl.DataFrame:
    """Read and validate the CMP related-cluster pairs (``cmp_related_clusters.json``).

    The file is a JSON list with one record per *ordered* pair of clusters (51 x 51 = 2,601),
    every value a string: ``clustera``, ``clusterb``, the names, the scores ``cr_*`` and their
    percentiles ``cr_*_pc``, and the flag ``rel_all_90_v3`` ("1" = related).

    Returns
    -------
    pl.DataFrame
        ``cluster_a, cluster_b, name_a, name_b, related`` and the score and percentile
        columns named in ``PUBLISHED_SCORES`` / ``PUBLISHED_PERCENTILES``, one row per record.

    Raises
    ------
    InvalidInput
        Not JSON, not a list of records, a missing field, a malformed code, number or flag,
        a repeated pair, or pairs missing from the square: each problem names the record
        (1-based) and the field.
    """
    name = str(path)
    records = load_json(Path(path), expected="a JSON list of pair records")
    if not isinstance(records, list) or not records:
        raise InvalidInput.single("expected a non-empty JSON list of pair records", file=name)
    problems = ProblemList()
    rows = [_record(name, i, record, problems) for i, record in enumerate(records, start=1)]
    if not problems:
        _check_square(name, rows, problems)
    problems.raise_if_any(f"{name}: cannot read the related-cluster pairs")
    return pl.DataFrame(rows).sort(
        pl.col("cluster_a").cast(pl.Int32), pl.col("cluster_b").cast(pl.Int32)
    )


def _record(name: str, number: int, record: Any, problems: ProblemList) -> dict[str, Any]:
    """One record as a row; its defects are added to ``problems``."""

    def problem(field: str, value: object, message: str) -> None:
        shown = None if value is None else str(value)
        problems.append(Problem(f"record {number}: {message}", file=name, field=field, value=shown))

    if not isinstance(record, dict):
        problem("(record)", type(record).__name__, "expected a JSON object")
        return {}
    row: dict[str, Any] = {}
    for field in (*_TEXT, *PUBLISHED_SCORES, *PUBLISHED_PERCENTILES):
        if field not in record:
            problem(field, None, "missing field")
    for field, column in (("clustera", "cluster_a"), ("clusterb", "cluster_b")):
        value = str(record.get(field, "")).strip()
        if field in record and not _CODE.match(value):
            problem(field, value, "expected a cluster code (a whole number from 1)")
        row[column] = value
    row["name_a"] = str(record.get("cluster_name", ""))
    row["name_b"] = str(record.get("cluster_name_2", ""))
    flag = str(record.get(RELATED_FLAG, "")).strip()
    if RELATED_FLAG in record and flag not in ("0", "1"):
        problem(RELATED_FLAG, flag, 'expected "0" or "1"')
    row["related"] = flag == "1"
    for field, column in {**PUBLISHED_SCORES, **PUBLISHED_PERCENTILES}.items():
        value = str(record.get(field, "")).strip()
        if field in record and not _NUMBER.match(value):
            problem(field, value, "expected a number")
            value = ""
        row[column] = float(value) if value else None
    return row


def _check_square(name: str, rows: list[dict[str, Any]], problems: ProblemList) -> None:
    """One record per ordered pair of the clusters named, no more, no fewer."""
    pairs = [(r["cluster_a"], r["cluster_b"]) for r in rows]
    seen: set[tuple[str, str]] = set()
    for number, pair in enumerate(pairs, start=1):
        if pair in seen:
            problems.append(
                Problem(f"record {number}: pair repeated", file=name, field="clustera,clusterb",
                        value="_".join(pair))
            )  # fmt: skip
        seen.add(pair)
    clusters = {c for pair in pairs for c in pair}
    missing = len(clusters) ** 2 - len(seen)
    if missing > 0:
        problems.append(
            Problem(
                f"{len(clusters)} clusters need {len(clusters) ** 2} ordered pairs; "
                f"{missing} are missing",
                file=name,
                field="clustera,clusterb",
            )
        )


def published_pairs(records: pl.DataFrame) -> pl.DataFrame:
    """Unordered pairs (``cluster_a`` before ``cluster_b`` by code), self-pairs excluded.

    A pair is related when either ordered record flags it (the file is symmetric; this
    keeps the rule defined if it were not); scores are the mean of the two directions,
    which differ only by rounding in the last published digit.
    """
    a, b = pl.col("cluster_a"), pl.col("cluster_b")
    first = pl.when(a.cast(pl.Int32) < b.cast(pl.Int32))
    columns = [*PUBLISHED_SCORES.values(), *PUBLISHED_PERCENTILES.values()]
    return (
        records.filter(a != b)
        .with_columns(
            _a=first.then(a).otherwise(b),
            _b=first.then(b).otherwise(a),
            _name_a=first.then("name_a").otherwise("name_b"),
            _name_b=first.then("name_b").otherwise("name_a"),
        )
        .group_by("_a", "_b")
        .agg(
            pl.col("_name_a").first().alias("name_a"),
            pl.col("_name_b").first().alias("name_b"),
            pl.col("related").any(),
            *(pl.col(c).mean() for c in columns),
        )
        .rename({"_a": "cluster_a", "_b": "cluster_b"})
    )


def proximity_pairs(year: YearComplexity) -> pl.DataFrame:
    """The upper triangle of the engine's proximity: one row per unordered pair of industries
    (``cluster_a`` before ``cluster_b`` by code)."""
    codes = year.industries
    order = sorted(range(len(codes)), key=lambda k: code_key(codes[k]))
    upper_i, upper_j = np.triu_indices(len(codes), k=1)
    first, second = np.asarray(order)[upper_i], np.asarray(order)[upper_j]
    return pl.DataFrame(
        {
            "cluster_a": [codes[k] for k in first],
            "cluster_b": [codes[k] for k in second],
            "proximity": year.proximity[first, second],
        }
    )


@dataclass(frozen=True)
class Overlap:
    """How our top pairs by proximity meet the published related pairs.

    ``expected_by_chance`` is the overlap of ``top_n`` pairs drawn at random,
    ``top_n * published / all_pairs`` (the mean of the hypergeometric distribution);
    ``tied_at_cut`` counts the pairs whose proximity equals the last one taken (ties at the
    cut are broken by cluster codes, so a few of them are in the top N only by that rule).
    """

    clusters: int
    all_pairs: int
    published: int
    top_n: int
    overlap: int
    precision: float
    recall: float
    jaccard: float
    expected_by_chance: float
    spearman_colocation: float
    cut_proximity: float
    tied_at_cut: int


def compare_pairs(ours: pl.DataFrame, published: pl.DataFrame) -> tuple[Overlap, pl.DataFrame]:
    """Our pairs (``proximity_pairs``) against the published ones (``published_pairs``) on
    the clusters both have.

    Returns the overlap statistics and the joined table, strongest proximity first, with
    ``rank`` (1 = most proximate), ``top_n`` (in our top N) and the published columns.
    """
    table = (
        ours.join(published, on=["cluster_a", "cluster_b"], how="inner")
        .sort(
            pl.col("proximity"),
            pl.col("cluster_a").cast(pl.Int32),
            pl.col("cluster_b").cast(pl.Int32),
            descending=[True, False, False],
        )
        .with_row_index("rank", offset=1)
    )
    if table.height == 0:
        raise InvalidInput.single("no cluster pair is both in the data and in the published file")
    n = int(table.get_column("related").sum())
    table = table.with_columns(top_n=pl.col("rank") <= n)
    both = int(table.filter(pl.col("top_n") & pl.col("related")).height)
    cut = float(table.get_column("proximity")[max(n, 1) - 1])
    overlap = Overlap(
        clusters=len(set(table.get_column("cluster_a")) | set(table.get_column("cluster_b"))),
        all_pairs=table.height,
        published=n,
        top_n=n,
        overlap=both,
        precision=both / n if n else 0.0,
        recall=both / n if n else 0.0,
        jaccard=both / (2 * n - both) if n else 0.0,
        expected_by_chance=n * n / table.height,
        spearman_colocation=spearman(table, "proximity", "colocation"),
        cut_proximity=cut,
        tied_at_cut=int((table.get_column("proximity") == cut).sum()),
    )
    return overlap, table.with_columns(pl.col("rank").cast(pl.Int32))


def spearman(frame: pl.DataFrame, x: str, y: str) -> float:
    """Spearman's rank correlation: Pearson's on average ranks (ties share their mean rank),
    over the rows where both are known."""
    known = frame.select(x, y).drop_nulls()
    if known.height < 3:
        raise InvalidInput.single(
            f"rank correlation needs 3 or more pairs with both {x} and {y}", field=y
        )
    ranked = known.select(pl.col(x).rank("average"), pl.col(y).rank("average"))
    value = ranked.select(pl.corr(x, y)).item()
    if value is None or not np.isfinite(value):
        raise InvalidInput.single(f"{x} or {y} does not vary, so no rank correlation", field=y)
    return float(value)

"""Column contracts of the frames that flow through the observatory engine.

Every reader produces one of these shapes and every computation consumes them, so the
names live in one place. Values are Float64 so that suppressed cells can be null and
imputed values fractional; ``year`` is Int32.
"""

from __future__ import annotations

import polars as pl

from clusterhub.errors import InvalidInput

#: One row per region x industry x year, as read from statistics (industry codes are
#: normalised: NACE "20", "45.1", "C"; NAICS "336411").
INDUSTRY_CELLS: dict[str, type[pl.DataType] | pl.DataType] = {
    "region_code": pl.String,
    "industry_code": pl.String,
    "year": pl.Int32,
    "employment": pl.Float64,
    "establishments": pl.Float64,
    "wages": pl.Float64,
    "size_class": pl.String,
    "imputed": pl.String,
    # Which reference structure split a filled cell's residual (``stats.cells``): country,
    # all-countries, region-size or equal; null for cells not filled.
    "imputed_key": pl.String,
    # How the region was carried to the current NUTS version (``stats.nuts_recode``), and the
    # part of ``employment`` that is an estimate (split pieces and filled parts); null for cells
    # not recoded, whose estimate is all of ``employment`` when ``imputed`` is set, else none.
    "nuts_recode": pl.String,
    "estimated_employment": pl.Float64,
}

#: One row per region x cluster x year: the input of metrics and ratings.
CLUSTER_CELLS: dict[str, type[pl.DataType] | pl.DataType] = {
    "region_code": pl.String,
    "region_type": pl.String,
    "cluster_code": pl.String,
    "year": pl.Int32,
    "employment": pl.Float64,
    "establishments": pl.Float64,
    "wages": pl.Float64,
    "imputed_share": pl.Float64,
    "apportioned_share": pl.Float64,
    "estimated_share": pl.Float64,
}

#: One row per region x year: the denominators of focus and the location quotient.
REGION_TOTALS: dict[str, type[pl.DataType] | pl.DataType] = {
    "region_code": pl.String,
    "region_type": pl.String,
    "year": pl.Int32,
    "total_employment": pl.Float64,
    "traded_employment": pl.Float64,
}


KEYS = frozenset({"region_code", "industry_code", "cluster_code", "year"})


def require_keys(
    columns: list[str], schema: dict[str, type[pl.DataType] | pl.DataType], *, what: str
) -> None:
    """Refuse a frame (of any engine) that lacks one of the schema's key columns, by name."""
    missing = [c for c in schema if c in KEYS and c not in columns]
    if missing:
        raise InvalidInput.single(
            f"{what} lacks required column(s) {', '.join(missing)}; expected {', '.join(schema)}"
        )


def conform(
    frame: pl.DataFrame, schema: dict[str, type[pl.DataType] | pl.DataType], *, what: str
) -> pl.DataFrame:
    """Return ``frame`` with exactly the schema's columns, adding absent optional ones as null.

    The key columns (``region_code``, ``year`` and the industry or cluster code) must be
    present; a frame without them is a programming or input error worth naming.
    """
    require_keys(frame.columns, schema, what=what)
    return frame.select(
        [
            (pl.col(name) if name in frame.columns else pl.lit(None)).cast(dtype).alias(name)
            for name, dtype in schema.items()
        ]
    )

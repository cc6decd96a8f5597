"""Keys that share a coarse industry code (a NACE division) among the classes of the clusters.

Regional statistics such as Eurostat SBS publish divisions; the 51 clusters are defined on
classes, so a division's employment must be shared among its classes. With no information,
each class gets an equal share (the *fixed* key of ``classify.clusters.aggregate_to_level``).
National statistics by class (Eurostat ``sbs_na_*_r2``) say how a country's employment in a
division is really spread over its classes; measured on the groups SBS does publish, the
country structure misplaces 7.2 % of a division against 32.9 % for the fixed key
(BENCHMARKS.md, "Apportioning keys").

For country ``k``, division ``d`` and cluster ``c`` with class weights ``w(c, j)``:

    weight_k(c, d) = sum_j in d  w(c, j) * E(k, j)  /  sum_j in d  E(k, j)

using the country's own structure where every class of ``d`` is published for ``k``
(``country``), else the summed structure of the countries where it is (``all-countries``),
else the fixed key. The key used is kept with each weight, so a reader can be told.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import polars as pl

#: The keys, best first; ``fixed`` is the taxonomy's own equal split.
KEYS = ("country", "all-countries", "fixed")
KEYED_SCHEMA = {
    "country": pl.String,
    "cluster_code": pl.String,
    "code": pl.String,
    "weight": pl.Float64,
    "key": pl.String,
}


def class_structure(
    national: pl.DataFrame, classes_of: Mapping[str, Collection[str]]
) -> pl.DataFrame:
    """Each class's share of its coarse code, per country and for all countries together.

    Parameters
    ----------
    national
        ``region_code`` (a country), ``industry_code`` (NACE, normalised), ``employment``
        (null = confidential or missing) for one year.
    classes_of
        The classes of each coarse code to be shared (e.g. the divisions of the data).

    Returns
    -------
    pl.DataFrame
        ``country`` (null for all countries), ``coarse``, ``class``, ``share`` (summing to 1
        over a coarse code), ``key``: rows only where every class of the coarse code has a
        value for that country and their sum is positive; the all-countries structure sums
        those complete countries.
    """
    wanted = pl.DataFrame(
        [(coarse, cls) for coarse, classes in classes_of.items() for cls in classes],
        schema={"coarse": pl.String, "class": pl.String},
        orient="row",
    )
    values = national.select(
        pl.col("region_code").alias("country"),
        pl.col("industry_code").alias("class"),
        pl.col("employment").cast(pl.Float64),
    ).filter(pl.col("country").str.len_chars() == 2)
    sizes = wanted.group_by("coarse").agg(pl.len().alias("_classes"))
    cells = values.join(wanted, on="class", how="inner").filter(pl.col("employment").is_not_null())
    complete = (
        cells.group_by("country", "coarse")
        .agg(pl.len().alias("_known"), pl.col("employment").sum().alias("_total"))
        .join(sizes, on="coarse")
        .filter((pl.col("_known") == pl.col("_classes")) & (pl.col("_total") > 0))
        .select("country", "coarse")
    )
    kept = cells.join(complete, on=["country", "coarse"], how="semi")
    countries = kept.with_columns(
        share=pl.col("employment") / pl.col("employment").sum().over("country", "coarse"),
        key=pl.lit("country"),
    )
    pooled = (
        kept.group_by("coarse", "class")
        .agg(pl.col("employment").sum())
        .with_columns(
            share=pl.col("employment") / pl.col("employment").sum().over("coarse"),
            key=pl.lit("all-countries"),
            country=pl.lit(None, dtype=pl.String),
        )
        .filter(pl.col("share").is_finite())
    )
    columns = ["country", "coarse", "class", "share", "key"]
    return pl.concat([countries.select(columns), pooled.select(columns)])


def keyed_weights(
    class_members: pl.DataFrame,
    structure: pl.DataFrame,
    coarse_of: Mapping[str, str],
    countries: Collection[str],
) -> pl.DataFrame:
    """Per country, each cluster's weight on each coarse code by the best key available.

    Parameters
    ----------
    class_members
        ``cluster_code, code, weight``: the taxonomy spread over classes.
    structure
        :func:`class_structure`.
    coarse_of
        The coarse code of each class to be shared (classes of other codes are ignored).
    countries
        The countries of the regions to be rated.

    Returns
    -------
    pl.DataFrame
        ``KEYED_SCHEMA``: one row per country x cluster x coarse code that has a country or
        all-countries structure (the fixed key, the taxonomy's weight, applies to the rest).
    """
    members = class_members.filter(pl.col("code").is_in(list(coarse_of))).select(
        "cluster_code",
        pl.col("code").alias("class"),
        "weight",
        coarse=pl.col("code").replace_strict(dict(coarse_of), return_dtype=pl.String),
    )
    own = structure.filter(pl.col("key") == "country").select("country", "coarse").unique()
    pooled = structure.filter(pl.col("key") == "all-countries")["coarse"].unique().to_list()
    wanted = pl.DataFrame({"country": sorted(set(countries))}, schema={"country": pl.String})
    key = (
        pl.when(pl.col("_own"))
        .then(pl.lit("country"))
        .when(pl.col("coarse").is_in(pooled))
        .then(pl.lit("all-countries"))
    )
    pairs = (
        wanted.join(members.select("coarse").unique(), how="cross")
        .join(own.with_columns(_own=pl.lit(True)), on=["country", "coarse"], how="left")
        .with_columns(key=key)
        .filter(pl.col("key").is_not_null())
        .with_columns(
            _lookup=pl.when(pl.col("key") == "country").then("country").otherwise(pl.lit("*"))
        )
    )
    shares = structure.select(
        pl.col("country").fill_null("*").alias("_lookup"), "coarse", "class", "share", "key"
    )
    # Every cluster reaching the coarse code, times every class of the structure: a cluster
    # whose classes hold none of the division's employment gets weight 0, not the fixed share.
    return (
        pairs.join(members.select("cluster_code", "coarse").unique(), on="coarse")
        .join(shares, on=["_lookup", "coarse", "key"], how="inner")
        .join(
            members.select("cluster_code", "class", "weight"),
            on=["cluster_code", "class"],
            how="left",
        )
        .group_by("country", "cluster_code", "coarse", "key")
        .agg((pl.col("weight").fill_null(0.0) * pl.col("share")).sum().alias("weight"))
        .select("country", "cluster_code", pl.col("coarse").alias("code"), "weight", "key")
        .cast(KEYED_SCHEMA)  # type: ignore[arg-type]
        .sort("country", "code", "cluster_code")
    )

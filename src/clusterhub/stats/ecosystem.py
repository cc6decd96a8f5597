"""Scoreboard indicators computed from the data clusterhub holds: Horizon 2020 participations
(collaboration and internationalisation, per country) and the SBS sector structure (per region).

Pure functions over frames; reading the files and choosing the denominators' year is the
caller's job (``services.scoreboard.data``). Output frames have the ``INDICATOR_VALUES`` shape.
"""

from __future__ import annotations

import polars as pl

from clusterhub.classify import is_extra_regio
from clusterhub.stats.indicator_sources import INDICATOR_VALUES

#: High-technology (21, 26) and medium-high-technology (20, 27-30) manufacturing at NACE
#: division level: Eurostat's aggregate C_HTC_MH as used in its regional tables
#: (htec_emp_reg2). Finer splits (30.3 high-tech, 32.5 medium-high) are not visible in SBS.
HIGH_TECH_MANUFACTURING = ("20", "21", "26", "27", "28", "29", "30")
#: Eurostat's knowledge-intensive services (KIS: 50-51, 58-66, 69-75, 78, 80, 84-93) restricted
#: to the divisions SBS covers (sections H-N without K): 50, 51, 58-63, 69-75, 78, 80.
KNOWLEDGE_INTENSIVE_SERVICES = (
    "50", "51", "58", "59", "60", "61", "62", "63",
    "69", "70", "71", "72", "73", "74", "75", "78", "80",
)  # fmt: skip
PRIVATE_COMPANY = "PRC"


#: Least estimated share of a region's business economy its known SBS cells must cover for the
#: sector shares to be computed (docs/methodology/scoreboard.md, section 2).
MIN_COVERAGE = 0.95
_KEYS = ["region_code", "year"]


def business_totals(divisions: pl.DataFrame, sections: pl.DataFrame) -> pl.DataFrame:
    """Each region's published SBS business-economy total and the share of it that is known.

    SBS publishes no total cell: the total is the sum of the top cells that partition the
    business economy (sections B-N without K, and division 95). A top cell counts as known when
    it is published, or when every one of its divisions is known after the fill (then it is
    their sum). An unknown top cell is weighted by its share of the country's known top cells;
    ``coverage`` is 1 minus the weights of the region's unknown cells, null when a weight is
    itself unknown (the country did not publish the cell either).

    Parameters
    ----------
    divisions
        ``region_code, year, section, employment``: division cells after the fill (null:
        unknown), ``section`` the top cell they belong to.
    sections
        ``region_code, year, section, employment``: the published top cells (null: blank).

    Returns
    -------
    pl.DataFrame
        ``region_code, year, total, coverage`` for every region of ``sections`` except
        Extra-Regio codes (they are no region).
    """
    sections = sections.filter(~_extra_regio())
    grid = (
        sections.select(*_KEYS)
        .unique()
        .join(sections.select("section").unique(), how="cross")
        .join(sections, on=[*_KEYS, "section"], how="left")
    )
    parts = divisions.group_by(*_KEYS, "section").agg(
        pl.col("employment").sum().alias("_sum"),
        pl.col("employment").is_not_null().all().alias("_complete"),
    )
    cells = grid.join(parts, on=[*_KEYS, "section"], how="left").with_columns(
        _value=pl.coalesce("employment", pl.when(pl.col("_complete")).then(pl.col("_sum"))),
        country=pl.col("region_code").str.slice(0, 2),
    )
    country = cells.filter(pl.col("region_code").str.len_chars() == 2).select(
        "year", "section", "country", _national="_value"
    )
    weighted = cells.join(country, on=["country", "year", "section"], how="left").with_columns(
        _weight=pl.col("_national") / pl.col("_national").sum().over("country", "year")
    )
    missing = pl.col("_value").is_null()
    return weighted.group_by(*_KEYS).agg(
        pl.col("_value").sum().alias("total"),
        pl.when(pl.col("_weight").filter(missing).null_count() == 0)
        .then(1.0 - pl.col("_weight").filter(missing).sum())
        .alias("coverage"),
    )


def sector_shares(
    divisions: pl.DataFrame, totals: pl.DataFrame, *, min_coverage: float = MIN_COVERAGE
) -> pl.DataFrame:
    """Share (%) of business-economy employment in high/medium-high-tech manufacturing and in
    knowledge-intensive services, per region and year.

    Parameters
    ----------
    divisions
        Industry cells at NACE division level (``region_code, industry_code, year,
        employment``), missing cells already filled by the engine's rule; cells still
        missing are unknown.
    totals
        ``business_totals``: the published total (the denominator) and its known coverage.
    min_coverage
        Least ``coverage`` for a value: below it (or unknown) the denominator is too unsure.

    Returns
    -------
    pl.DataFrame
        ``INDICATOR_VALUES`` rows ``sbs_hightech_mfg_share`` and ``sbs_kis_share``. A share is
        unknown (no row, never a zero) when none of its numerator's divisions is known, when
        the coverage is below ``min_coverage`` or unknown, or when the total is not positive.
        Extra-Regio codes get no row.
    """
    trusted = totals.filter((pl.col("coverage") >= min_coverage) & (pl.col("total") > 0))
    numerators = (
        divisions.filter(~_extra_regio())
        .group_by(*_KEYS)
        .agg(
            _numerator(HIGH_TECH_MANUFACTURING).alias("sbs_hightech_mfg_share"),
            _numerator(KNOWLEDGE_INTENSIVE_SERVICES).alias("sbs_kis_share"),
        )
        .join(trusted, on=_KEYS, how="inner")
    )
    long = (
        numerators.with_columns(
            (100.0 * pl.col(name) / pl.col("total")).alias(name)
            for name in ("sbs_hightech_mfg_share", "sbs_kis_share")
        )
        .unpivot(
            index=_KEYS,
            on=["sbs_hightech_mfg_share", "sbs_kis_share"],
            variable_name="indicator",
            value_name="value",
        )
        .filter(pl.col("value").is_not_null())
    )
    return _conform(long.with_columns(country_level=pl.lit(value=False)))


def _numerator(codes: tuple[str, ...]) -> pl.Expr:
    """Known employment of ``codes``; null when none of them is known (unknown, not zero)."""
    inside = pl.col("employment").filter(pl.col("industry_code").is_in(list(codes)))
    return pl.when(inside.is_not_null().any()).then(inside.sum())


def _extra_regio() -> pl.Expr:
    return pl.col("region_code").map_elements(is_extra_regio, return_dtype=pl.Boolean)


def cordis_country_indicators(
    participations: pl.DataFrame, employment: pl.DataFrame, *, year: int
) -> pl.DataFrame:
    """Horizon 2020 intensity of each country, against its SBS business-economy employment.

    Parameters
    ----------
    participations
        One row per participation: ``country`` (Eurostat spelling, EL / UK), ``type`` (CORDIS
        organisation type, PRC = private for-profit company) and ``contribution`` (EUR,
        null when CORDIS states none: such a participation counts, its money does not).
    employment
        ``country, employment``: persons employed in the SBS business economy.
    year
        The year the values are filed under (the programme's last year in the data).

    Returns
    -------
    pl.DataFrame
        ``INDICATOR_VALUES`` with ``country_level`` true and ``region_code`` = the country:
        ``h2020_participations_per_1000`` (participations per 1,000 persons employed),
        ``h2020_contribution_per_employed`` (EUR per person employed) and
        ``h2020_private_share`` (% of the country's participations by PRC). Countries without
        a positive employment figure get no row.
    """
    per_country = participations.group_by("country").agg(
        pl.len().alias("_n"),
        pl.col("contribution").sum().alias("_eur"),
        (pl.col("type") == PRIVATE_COMPANY).sum().alias("_private"),
    )
    joined = per_country.join(
        employment.filter(pl.col("employment") > 0), on="country", how="inner"
    ).select(
        pl.col("country").alias("region_code"),
        (1000.0 * pl.col("_n") / pl.col("employment")).alias("h2020_participations_per_1000"),
        (pl.col("_eur") / pl.col("employment")).alias("h2020_contribution_per_employed"),
        (100.0 * pl.col("_private") / pl.col("_n")).alias("h2020_private_share"),
    )
    long = joined.unpivot(index="region_code", variable_name="indicator", value_name="value")
    return _conform(long.with_columns(year=pl.lit(year), country_level=pl.lit(value=True)))


def _conform(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(
        [pl.col(name).cast(dtype) for name, dtype in INDICATOR_VALUES.items()]
    ).sort("indicator", "region_code", "year")

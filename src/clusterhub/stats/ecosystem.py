"""Scoreboard indicators computed from the data clusterhub holds: Horizon 2020 participations
(collaboration and internationalisation, per country) and the SBS sector structure (per region).

Pure functions over frames; reading the files and choosing the denominators' year is the
caller's job (``services.scoreboard_data``). Output frames have the ``INDICATOR_VALUES`` shape.
"""

from __future__ import annotations

import polars as pl

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


def sector_shares(divisions: pl.DataFrame) -> pl.DataFrame:
    """Share (%) of business-economy employment in high/medium-high-tech manufacturing and in
    knowledge-intensive services, per region and year.

    Parameters
    ----------
    divisions
        Industry cells at NACE division level (``region_code, industry_code, year,
        employment``), missing cells already filled by the engine's rule; cells still missing
        count as absent from numerator and denominator alike.

    Returns
    -------
    pl.DataFrame
        ``INDICATOR_VALUES`` rows ``sbs_hightech_mfg_share`` and ``sbs_kis_share`` for every
        region whose known division employment is positive (regions of older NUTS versions
        without any value get no row, not a zero).
    """
    totals = (
        divisions.filter(pl.col("employment").is_not_null())
        .group_by("region_code", "year")
        .agg(
            pl.col("employment").sum().alias("_total"),
            _share("employment", HIGH_TECH_MANUFACTURING).alias("sbs_hightech_mfg_share"),
            _share("employment", KNOWLEDGE_INTENSIVE_SERVICES).alias("sbs_kis_share"),
        )
        .filter(pl.col("_total") > 0)
    )
    long = totals.unpivot(
        index=["region_code", "year"],
        on=["sbs_hightech_mfg_share", "sbs_kis_share"],
        variable_name="indicator",
        value_name="value",
    )
    return _conform(long.with_columns(country_level=pl.lit(value=False)))


def _share(column: str, codes: tuple[str, ...]) -> pl.Expr:
    inside = pl.col(column).filter(pl.col("industry_code").is_in(list(codes))).sum()
    return 100.0 * inside / pl.col(column).sum()


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

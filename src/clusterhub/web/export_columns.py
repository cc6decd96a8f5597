"""What a person reads at the top of a downloaded spreadsheet column: a header with its unit,
an Excel number format and a width. CSV downloads keep the raw names (for programs).

Shares are stored as fractions (0.25) and shown as percentages by their number format, so the
cells keep the exact value and a spreadsheet still computes with it.
"""

from __future__ import annotations

from dataclasses import dataclass

PERSONS = "#,##0"
SHARE = "0.0%"
RATIO = "0.00"
SCORE = "0.0"


@dataclass(frozen=True)
class Column:
    """A column of an XLSX download: header, number format (None: as stored), width."""

    label: str
    number_format: str | None = None
    width: float = 14.0
    description: str = ""


COLUMNS: dict[str, Column] = {
    # --- observatory --------------------------------------------------------------------------
    "dataset": Column("Data set", None, 12, "Key of the loaded data set (see /api/v1/datasets)."),
    "region_code": Column("Region code", None, 11, "NUTS code (EU) or FIPS code (U.S. state)."),
    "region_name": Column("Region", None, 30),
    "region_type": Column("Region type", None, 11, "nuts0..nuts3 or state."),
    "cluster_code": Column("Cluster code", None, 11),
    "cluster_name": Column("Cluster", None, 34),
    "year": Column("Year", "0", 7),
    "employment": Column("Employment (persons)", PERSONS, 15, "Persons employed in the cell."),
    "size_share": Column(
        "Share of cluster (%)", SHARE, 12, "The region's share of the cluster's employment."
    ),
    "focus": Column("Share of region (%)", SHARE, 12, "The cluster's share of the region's jobs."),
    "lq": Column("Location quotient", RATIO, 11, "Specialisation; 1 = the average of regions."),
    "wage_per_employee": Column(
        "Wage per employee (USD)", PERSONS, 14, "Annual payroll per employee (U.S. CMP only)."
    ),
    "growth": Column(
        "Growth (% per year)",
        SHARE,
        12,
        "Compound annual employment growth (CAGR) from the year of Growth from to Year.",
    ),
    "growth_from": Column(
        "Growth from (year)", "0", 9, "The year growth is measured from; empty: no growth."
    ),
    "emp_rank": Column("Rank by employment", "0", 10),
    "lq_rank": Column("Rank by LQ", "0", 10),
    "strong": Column("Strong (U.S. rule)", None, 11, "TRUE/FALSE; empty when not rated."),
    "strong10": Column("Strong, top 10 % (U.S. rule)", None, 13),
    "stars": Column("Stars", "0", 7, "Star tests met (European Cluster Observatory rules)."),
    "stars_possible": Column("Stars possible", "0", 9, "Star tests the data allowed to run."),
    "stars_withheld": Column(
        "Stars withheld", None, 10, "TRUE where stars were earned on mostly estimated employment."
    ),
    "imputed_share": Column(
        "Filled share (%)", "0%", 11, "Part of the employment from filled confidential cells."
    ),
    "apportioned_share": Column(
        "Apportioned share (%)",
        "0%",
        12,
        "Part of the employment from divisions shared among the clusters' classes by a key.",
    ),
    "estimated_share": Column(
        "Estimated share (%)",
        "0%",
        11,
        "Part of the employment that is estimated, not published; above 50 %: mostly estimated.",
    ),
    "code": Column("Code", None, 11),
    "name": Column("Name", None, 34),
    "country": Column("Country", None, 9),
    "total_employment": Column("Employment (persons)", PERSONS, 15),
    "kind": Column("Kind", None, 11),
    "visible_share": Column(
        "Visible in the data (%)", "0%", 12, "Share of the cluster's industries the data see."
    ),
    # --- scoreboard ---------------------------------------------------------------------------
    "region": Column("Region code", None, 11),
    "dimension": Column("Dimension", None, 22),
    "value": Column("Value", "#,##0.00", 12, "In the unit of the next column."),
    "unit": Column("Unit", None, 16),
    "method": Column("Normalisation", None, 12),
    "score": Column("Score", "0.00", 9),
    "peer_median": Column("Peer median", SCORE, 10),
    "country_level": Column("Country-level value", None, 11),
    "country_level_share": Column("Country-level share (%)", "0%", 11),
    "bottleneck": Column("Bottleneck", None, 10),
    "drivers": Column("Drivers", None, 20),
    "note": Column("Note", None, 40),
    # --- directory ----------------------------------------------------------------------------
    "rank": Column("Rank", "0", 6),
    "id": Column("Id", "0", 8),
    "key": Column("Key", None, 16),
    "name_published": Column("Name published", None, 10),
    "acronym": Column("Acronym", None, 12),
    "profile_type": Column("Profile type", None, 16),
    "nuts_code": Column("NUTS code", None, 10),
    "city": Column("City", None, 16),
    "cluster_codes": Column("Cluster codes", None, 16),
    "label": Column("Label", None, 12),
    "label_status": Column("Label status", None, 12),
    "label_review": Column("Label review", None, 12),
    "members_total": Column("Members", "#,##0", 9),
    "size_band": Column("Size band", None, 10),
    "is_synthetic": Column("Synthetic (demo)", None, 10),
    "source": Column("Source", None, 14),
}


def column(name: str) -> Column:
    """The column ``name`` as a person reads it (its raw name, capitalised, when unknown)."""
    return COLUMNS.get(name) or Column(name.replace("_", " ").capitalize())

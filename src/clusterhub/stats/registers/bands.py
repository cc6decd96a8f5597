"""Employee size bands and the midpoints that stand in for an establishment's employment.

INSEE publishes SIRENE establishments with a band (``trancheEffectifsEtablissement``), not a
head count. A band's employment is estimated by its midpoint, as the U.S. Cluster Mapping
Project does for suppressed County Business Patterns cells; cells built from bands are
therefore marked estimated (``imputed = "size-class"``). Source of the bands: INSEE,
"Tranche d'effectif salarié de l'établissement", documentation of the Sirene stock files
(variables ``trancheEffectifsEtablissement``), https://www.sirene.fr/static-resources/htm/v_sommaire.htm
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class Band:
    """One size band: salaried employees from ``low`` to ``high`` (None: open)."""

    code: str
    low: int
    high: int | None
    midpoint: float
    label: str


#: INSEE's bands. ``NN`` (no employee during the year) and ``00`` (employees during the year,
#: none on 31 December) count 0. The open top band (10,000 or more) takes its lower bound:
#: a midpoint cannot be computed, and the lower bound never overstates a cell.
INSEE_BANDS: tuple[Band, ...] = (
    Band("NN", 0, 0, 0.0, "no salaried employee in the year"),
    Band("00", 0, 0, 0.0, "0 salaried employees on 31 December"),
    Band("01", 1, 2, 1.5, "1 or 2"),
    Band("02", 3, 5, 4.0, "3 to 5"),
    Band("03", 6, 9, 7.5, "6 to 9"),
    Band("11", 10, 19, 14.5, "10 to 19"),
    Band("12", 20, 49, 34.5, "20 to 49"),
    Band("21", 50, 99, 74.5, "50 to 99"),
    Band("22", 100, 199, 149.5, "100 to 199"),
    Band("31", 200, 249, 224.5, "200 to 249"),
    Band("32", 250, 499, 374.5, "250 to 499"),
    Band("41", 500, 999, 749.5, "500 to 999"),
    Band("42", 1000, 1999, 1499.5, "1,000 to 1,999"),
    Band("51", 2000, 4999, 3499.5, "2,000 to 4,999"),
    Band("52", 5000, 9999, 7499.5, "5,000 to 9,999"),
    Band("53", 10000, None, 10000.0, "10,000 or more (open: lower bound used)"),
)


def band_table(bands: tuple[Band, ...] = INSEE_BANDS) -> pl.DataFrame:
    """``band, midpoint``: joined to establishments by band code (a small broadcast table)."""
    return pl.DataFrame(
        {"band": [b.code for b in bands], "midpoint": [b.midpoint for b in bands]},
        schema={"band": pl.String, "midpoint": pl.Float64},
    )

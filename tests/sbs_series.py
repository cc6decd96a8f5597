"""A small stand-in of Eurostat's regional business statistics over ten years, in the two
published layouts: ``sbs_r_nuts06_r2`` (bulk TSV, 2013-2020) continued by ``sbs_r_nuts2021``
(bulk TSV, 2021-2022).

The codes are real (NUTS, NACE Rev.2, Eurostat indicators) and each year uses the NUTS
version Eurostat publishes it in: Midi-Pyrénées is FR62 (NUTS 2013) up to 2017 and FRJ2
(NUTS 2016, NUTS 2021) from 2018, and each file lists both codes, blank where they do not
apply, as the bulk files do. The figures are invented, chosen so that results can be worked
out by hand: tobacco (NACE 12, cluster 43 alone) grows fastest in FRJ2, and one cell is
confidential (AT13, C20, 2016) with its country total published.
"""

from __future__ import annotations

import gzip
import math
from pathlib import Path

from clusterhub.datasets import eurostat_dataset, get_spec

OLD_YEARS = tuple(range(2013, 2021))
NEW_YEARS = (2021, 2022)
#: Years Eurostat publishes in NUTS 2013 codes (FR62); later ones in NUTS 2016 (FRJ2).
NUTS2013_YEARS = tuple(range(2013, 2018))
AUSTRIA = ("AT11", "AT12", "AT13", "AT21", "AT22")
INDUSTRIES = ("C10", "C12", "C20", "C29")
#: Published only by the newer data set (it covers more sections): left out of the series.
NEW_ONLY = "Q86"
#: Tobacco in Midi-Pyrénées (FR62, then FRJ2), by year.
TOBACCO_FRJ2 = {
    2013: 900, 2014: 950, 2015: 1000, 2016: 1040, 2017: 1100,
    2018: 1200, 2019: 1350, 2020: 1500, 2021: 1600, 2022: 1650,
}  # fmt: skip
#: Per region: employment in 2013 by industry, and the yearly growth factor of all of them.
BASES = {
    "AT11": ({"C10": 3000, "C12": 200, "C20": 800, "C29": 1500}, 1.00),
    "AT12": ({"C10": 9000, "C12": 400, "C20": 2500, "C29": 6000}, 1.01),
    "AT13": ({"C10": 6000, "C12": 300, "C20": 1200, "C29": 2000}, 1.02),
    "AT21": ({"C10": 4000, "C12": 250, "C20": 700, "C29": 5000}, 1.03),
    "AT22": ({"C10": 7000, "C12": 350, "C20": 1600, "C29": 9000}, 1.04),
    "FRJ2": ({"C10": 12000, "C20": 3000, "C29": 2500}, 1.02),  # C12: TOBACCO_FRJ2
}
#: The confidential cell: Eurostat publishes ": c" there, and the country total.
CONFIDENTIAL = ("AT13", "C20", 2016)
#: The rest of France (regions left out of the stand-in), in the country total.
REST_OF_FRANCE = 50_000


def employment(region: str, nace: str, year: int) -> int:
    """The stand-in's employment of a NUTS 2021 region (or AT, FR) in an industry and year."""
    if region == "AT":
        return sum(employment(code, nace, year) for code in AUSTRIA)
    if region == "FR":
        return employment("FRJ2", nace, year) + REST_OF_FRANCE
    if nace == NEW_ONLY:
        return 10_000
    if region == "FRJ2" and nace == "C12":
        return TOBACCO_FRJ2[year]
    base, factor = BASES[region]
    return round(base[nace] * factor ** (year - 2013))


def tobacco_cagr(start: int, end: int) -> float:
    """Growth of tobacco in FRJ2 from ``start`` to ``end``, worked out by hand."""
    return math.pow(TOBACCO_FRJ2[end] / TOBACCO_FRJ2[start], 1 / (end - start)) - 1


def _published(geo: str, nace: str, year: int) -> str:
    """The value as the bulk TSV shows it: blank (``:``) where the code is not of the year's
    NUTS version, ``: c`` for the confidential cell, a trailing space as Eurostat writes."""
    current = "FRJ2" if geo == "FR62" else geo
    if (geo == "FR62" and year not in NUTS2013_YEARS) or (geo == "FRJ2" and year in NUTS2013_YEARS):
        return ": "
    if (current, nace, year) == CONFIDENTIAL:
        return ": c"
    return f"{employment(current, nace, year)} "


def _bulk(
    dims: str,
    indicators: tuple[str, str],
    naces: tuple[str, ...],
    geos: list[str],
    years: tuple[int, ...],
) -> bytes:
    """A gzipped Eurostat bulk TSV: the header ``dims\\TIME_PERIOD`` and the years, then one
    row per indicator x NACE x geo: persons employed (``indicators[0]``) as published, and
    another indicator of the same file (local units) that the reader must leave aside."""
    employed, other = indicators
    lines = [f"{dims}\\TIME_PERIOD\t" + "\t".join(f"{y} " for y in years)]
    for nace in naces:
        for geo in geos:
            published = [_published(geo, nace, y) for y in years]
            lines.append(f"A,{employed},{nace},{geo}\t" + "\t".join(published))
            lines.append(f"A,{other},{nace},{geo}\t" + "\t".join(f"{7 * len(geo)} " for _ in years))
    return gzip.compress(("\n".join(lines) + "\n").encode("utf-8"))


def old_series() -> bytes:
    """``sbs_r_nuts06_r2`` as its bulk TSV: persons employed (V16110), local units (V11210)."""
    geos = ["AT", *AUSTRIA, "FR", "FR62", "FRJ2"]
    return _bulk("freq,indic_sb,nace_r2,geo", ("V16110", "V11210"), INDUSTRIES, geos, OLD_YEARS)


def new_series() -> bytes:
    """``sbs_r_nuts2021`` as its bulk TSV: persons employed in local units (EMP_LOC_NR) and
    local units (LOC_NR), with an activity the older data set does not cover."""
    geos = ["AT", *AUSTRIA, "FR", "FRJ2"]
    naces = (*INDUSTRIES, NEW_ONLY)
    return _bulk("freq,indic_sbs,nace_r2,geo", ("EMP_LOC_NR", "LOC_NR"), naces, geos, NEW_YEARS)


OLD_FILE = get_spec("eurostat-sbs").cache_path
NEW_FILE = eurostat_dataset("sbs_r_nuts2021").mirror_path


def series_mirror(shared: Path, root: Path, *, with_new: bool = True) -> Path:
    """A mirror holding the stand-in series (the older data set as its official download)
    and, linked, every other file of the shared mirror except its one-year SBS extract."""
    extract = shared / get_spec("eurostat-sbs").mirror_path
    for entry in shared.iterdir():
        if entry.name != "eu":
            (root / entry.name).symlink_to(entry)
    (root / "eu").mkdir(parents=True)
    for entry in (shared / "eu").iterdir():
        if entry != extract:
            (root / "eu" / entry.name).symlink_to(entry)
    (root / OLD_FILE).write_bytes(old_series())
    if with_new:
        (root / NEW_FILE).parent.mkdir(parents=True, exist_ok=True)
        (root / NEW_FILE).write_bytes(new_series())
    return root

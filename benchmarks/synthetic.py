"""SYNTHETIC data at the scale of the European observatory: NUTS 3 regions x NACE classes x years.

Nothing here is real statistics. The generator exists so that the engine can be timed on a
table as large and as ragged as Eurostat's regional business statistics would be at NUTS 3 x
NACE class level (1,165 regions x 615 classes x 20 years, about 14 million cells) without
downloading anything, and so that the same table can be handed to the pandas baseline.

What is made realistic, because it changes how the engine works:

* region codes have the NUTS shape (``DE123``: country, then one character per level), with the
  EU27 countries (plus a few EFTA ones) holding roughly their real share of NUTS 3 regions, so
  sorting, string keys and the ``nuts3`` region type behave as with real codes;
* region sizes are log-normal and industry shares are skewed (Dirichlet base profile times
  country and regional tilts), so most cells are small and a few are large;
* about 5 % of cells are zero (industry absent or rounded away) and about 10 % are
  confidential, i.e. null, as Eurostat suppresses small cells; a further ~5 % carry an estimate.
  The ``imputed`` column marks both (``"confidential"`` for a null cell, ``"estimated"`` for an
  estimate), like the status flags of the source;
* employment, establishments and the wage bill (thousand EUR) are whole numbers, like published
  counts.

The industry codes are the 615 NACE Rev.2 classes of the shared data mirror
(``eu/nace_rev2.csv``, level 4) when it is there, else 615 generated dotted codes of the same
shape. Two taxonomies can be attached:

* ``cmp-nace`` (REAL, the benchmark's default): the U.S. Cluster Mapping Project's 51 traded
  clusters translated to NACE classes by ``clusterhub.classify.derive_nace`` from the mirror's
  files, 707 member rows with weights such as 1/3 or 1/12;
* ``synthetic``: 51 clusters ``syn01`` .. ``syn51`` over about 60 % of the classes, some split
  between two clusters or only partly inside one, all weights dyadic (1, 3/4, 1/2, 1/4). With
  whole-number cells every weighted sum is then exact in floating point, whatever the order of
  summation, so the engine and the baseline must agree bit for bit, ties in ranks and quantile
  cuts included: the agreement test uses it for that reason.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import polars as pl

from clusterhub.classify.clusters import derive_nace, load_cmp_traded
from clusterhub.classify.crosswalk import load_crosswalk
from clusterhub.classify.nace import load_nace
from clusterhub.config import get_settings
from clusterhub.stats.schema import INDUSTRY_CELLS, conform

ScaleName = Literal["full", "small"]
TaxonomyName = Literal["cmp-nace", "synthetic"]

#: NUTS 3 regions per country (NUTS 2021, EU27 plus four EFTA countries); only the proportions
#: matter, the generator rescales them to the number of regions asked for.
COUNTRY_REGIONS: dict[str, int] = {
    "DE": 401, "IT": 107, "FR": 101, "PL": 73, "ES": 59, "EL": 52, "BE": 44, "RO": 42,
    "NL": 40, "AT": 35, "BG": 28, "PT": 25, "SE": 21, "HR": 21, "HU": 20, "FI": 19,
    "CZ": 14, "SI": 12, "DK": 11, "LT": 10, "SK": 8, "IE": 8, "LV": 6, "EE": 5,
    "MT": 2, "CY": 1, "LU": 1, "CH": 26, "NO": 11, "IS": 2, "LI": 1,
}  # fmt: skip

#: The characters NUTS uses for one level of a code, in order.
NUTS_DIGITS = "123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

N_CLASSES = 615
N_CLUSTERS = 51
DEFAULT_SEED = 20_240_615


@dataclass(frozen=True)
class Scale:
    """How many regions and years to generate; every NACE class is always present."""

    regions: int
    years: int
    last_year: int = 2023


SCALES: dict[ScaleName, Scale] = {
    "full": Scale(regions=1_165, years=20),
    "small": Scale(regions=40, years=6),
}


@dataclass(frozen=True)
class SyntheticData:
    """Everything one benchmark run needs, and where the industry codes came from."""

    cells: pl.DataFrame
    members: pl.DataFrame
    partition_codes: list[str]
    code_source: str
    taxonomy_source: str


def nace_classes() -> tuple[list[str], str]:
    """The 615 NACE Rev.2 class codes and a note of their source.

    Read from the data mirror when available so that codes look exactly like real ones; the
    fallback keeps the benchmark runnable on a machine without the mirror.
    """
    path = _mirror() / "eu" / "nace_rev2.csv"
    if path.is_file():
        with path.open(newline="", encoding="utf-8") as handle:
            codes = [row["nace2"] for row in csv.DictReader(handle) if row["Level"] == "4"]
        if len(codes) == N_CLASSES:
            return codes, f"NACE Rev.2 classes from {path.name} (level 4)"
    generated = [f"{1 + i // 7:02d}.{i % 7 + 1}0" for i in range(N_CLASSES)]
    return generated, "615 generated NACE-shaped codes (nace_rev2.csv not found)"


def _mirror() -> Path:
    configured = get_settings().data_mirror
    if configured is not None:
        return configured
    return Path(__file__).resolve().parents[2] / "shared" / "data"


def region_codes(n: int, rng: np.random.Generator) -> list[str]:
    """``n`` NUTS 3-shaped codes, spread over countries in proportion to their real counts.

    Each country's regions are grouped into NUTS 2 units of 2-9 regions and those into NUTS 1
    units of 1-5, so that the codes share prefixes the way real ones do.
    """
    counts = _apportion(n, list(COUNTRY_REGIONS.values()))
    codes: list[str] = []
    for country, count in zip(COUNTRY_REGIONS, counts, strict=False):
        nuts2_sizes = _chunks(count, 2, 9, rng)
        nuts1_sizes = _chunks(len(nuts2_sizes), 1, 5, rng)
        nuts2 = 0
        for n1, n2_count in enumerate(nuts1_sizes):
            for n2 in range(n2_count):
                for n3 in range(nuts2_sizes[nuts2]):
                    codes.append(country + NUTS_DIGITS[n1] + NUTS_DIGITS[n2] + NUTS_DIGITS[n3])
                nuts2 += 1
    return codes


def _apportion(total: int, weights: list[int]) -> list[int]:
    """Largest-remainder split of ``total``, keeping the order of ``weights``.

    Countries are dropped from the end (the smallest EFTA ones) when ``total`` is smaller than
    the number of countries, so that a small instance still has several regions per country.
    """
    active = weights[: max(1, min(len(weights), total // 2))]
    exact = np.asarray(active, dtype=float) * total / sum(active)
    counts = np.floor(exact).astype(int)
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[: total - counts.sum()]] += 1
    return [int(c) for c in counts]


def _chunks(total: int, low: int, high: int, rng: np.random.Generator) -> list[int]:
    sizes: list[int] = []
    while total > 0:
        size = min(total, int(rng.integers(low, high + 1)))
        sizes.append(size)
        total -= size
    return sizes


def industry_cells(
    regions: list[str], classes: list[str], years: list[int], rng: np.random.Generator
) -> pl.DataFrame:
    """An ``INDUSTRY_CELLS`` frame, one row per region x class x year, ordered that way."""
    n_reg, n_cls, n_yr = len(regions), len(classes), len(years)
    countries = sorted({code[:2] for code in regions})
    country = np.array([countries.index(code[:2]) for code in regions])

    size = (
        rng.lognormal(np.log(90_000.0), 0.8, n_reg)
        * rng.lognormal(0.0, 0.3, len(countries))[country]
    )
    base = rng.dirichlet(np.full(n_cls, 0.7))
    share = (
        base
        * rng.lognormal(0.0, 0.5, (len(countries), n_cls))[country]
        * rng.lognormal(0.0, 0.8, (n_reg, n_cls))
    )
    share[rng.random((n_reg, n_cls)) < 0.02] = 0.0
    share /= share.sum(axis=1, keepdims=True)

    trend = rng.normal(0.01, 0.03, (n_reg, n_cls))
    elapsed = np.arange(n_yr) - (n_yr - 1)
    path = np.exp(trend[:, :, None] * elapsed + rng.normal(0.0, 0.04, (n_reg, n_cls, n_yr)))
    employment = np.rint((size[:, None] * share)[:, :, None] * path).ravel()

    wage_level = rng.lognormal(np.log(32.0), 0.4, len(countries))[country]
    premium = rng.lognormal(0.0, 0.25, n_cls)
    per_worker = (wage_level[:, None] * premium)[:, :, None] * np.ones(n_yr)
    wages = np.rint(employment * per_worker.ravel() * rng.lognormal(0.0, 0.08, employment.size))
    firm_size = np.repeat(rng.lognormal(np.log(8.0), 0.9, n_cls), n_yr)
    firm_size = np.tile(firm_size, n_reg) * rng.lognormal(0.0, 0.2, employment.size)
    establishments = np.where(employment > 0, np.maximum(1.0, np.rint(employment / firm_size)), 0)

    # Eurostat suppresses small cells: confidentiality hits the lower half of the non-zero cells.
    positive = employment > 0
    small = positive & (employment < np.median(employment[positive]))
    confidential = small & (rng.random(employment.size) < 0.10 * employment.size / small.sum())
    estimated = positive & ~confidential & (rng.random(employment.size) < 0.05)

    region = np.repeat(np.arange(n_reg, dtype=np.uint32), n_cls * n_yr)
    industry = np.tile(np.repeat(np.arange(n_cls, dtype=np.uint32), n_yr), n_reg)
    frame = pl.DataFrame(
        {
            "region_code": pl.Series(regions, dtype=pl.String).gather(region),
            "industry_code": pl.Series(classes, dtype=pl.String).gather(industry),
            "year": np.tile(np.asarray(years, dtype=np.int32), n_reg * n_cls),
            "employment": np.where(confidential, np.nan, employment),
            "establishments": establishments.astype(float),
            "wages": np.where(confidential, np.nan, wages),
            "status": confidential.astype(np.int8) + 2 * estimated.astype(np.int8),
        },
        nan_to_null=True,
    )
    return frame.select(
        "region_code",
        "industry_code",
        "year",
        "employment",
        "establishments",
        "wages",
        pl.lit(None, dtype=pl.String).alias("size_class"),
        pl.when(pl.col("status") == 1)
        .then(pl.lit("confidential"))
        .when(pl.col("status") == 2)
        .then(pl.lit("estimated"))
        .alias("imputed"),
    ).pipe(conform, INDUSTRY_CELLS, what="synthetic cells")  # the other columns null


def synthetic_members(classes: list[str], rng: np.random.Generator) -> pl.DataFrame:
    """A taxonomy of 51 synthetic clusters over about 60 % of the classes.

    Clusters are runs of neighbouring codes (real clusters group related industries, which
    sit close together in NACE). About 8 % of member classes are split between two clusters
    (weights 1/2 + 1/2 or 3/4 + 1/4) and about 3 % lie only half inside their cluster, so the
    weighted sums and the "weights sum to at most 1" rule are exercised. Weights are dyadic so
    that weighted whole numbers stay exact.
    """
    members = np.sort(rng.choice(len(classes), size=round(0.6 * len(classes)), replace=False))
    sizes = 1 + rng.multinomial(len(members) - N_CLUSTERS, rng.dirichlet(np.full(N_CLUSTERS, 2.0)))
    cluster = np.repeat(np.arange(N_CLUSTERS), sizes)
    weight = np.ones(len(members))
    draw = rng.random(len(members))
    split = draw < 0.08
    weight[split] = np.where(rng.random(split.sum()) < 0.5, 0.5, 0.75)
    weight[(draw >= 0.08) & (draw < 0.11)] = 0.5
    partner = (cluster[split] + rng.integers(1, N_CLUSTERS, split.sum())) % N_CLUSTERS
    rows = {
        "cluster_code": [f"syn{c + 1:02d}" for c in [*cluster, *partner]],
        "code": [classes[i] for i in [*members, *members[split]]],
        "weight": [*weight, *(1.0 - weight[split])],
    }
    schema = {"cluster_code": pl.String, "code": pl.String, "weight": pl.Float64}
    return pl.DataFrame(rows, schema=schema).sort("cluster_code", "code")


def cmp_nace_members() -> pl.DataFrame | None:
    """The real 51 CMP traded clusters in NACE classes, or None without the mirror's files.

    Derived with the project's own ``derive_nace`` so that the benchmark sees the weights the
    observatory uses; only the mirror is read, nothing is downloaded.
    """
    mirror = _mirror()
    nace_path = mirror / "eu" / "nace_rev2.csv"
    crosswalk_path = mirror / "eu" / "naics2017_to_nace_rev2.csv"
    clusters_path = mirror / "us" / "cmp_traded_clusters_naics.csv"
    if not all(p.is_file() for p in (nace_path, crosswalk_path, clusters_path)):
        return None
    crosswalk = load_crosswalk(crosswalk_path, load_nace(nace_path))
    taxonomy, _ = derive_nace(load_cmp_traded(clusters_path), crosswalk)
    return taxonomy.members.select("cluster_code", "code", "weight")


def generate(
    scale: Scale, seed: int = DEFAULT_SEED, taxonomy: TaxonomyName = "synthetic"
) -> SyntheticData:
    """The whole instance for ``scale``; the same seed and taxonomy give the same frames.

    ``cmp-nace`` falls back to the synthetic taxonomy (and says so in ``taxonomy_source``)
    when the mirror is absent, so that the benchmark still runs.
    """
    rng = np.random.default_rng(seed)
    classes, source = nace_classes()
    regions = region_codes(scale.regions, rng)
    years = list(range(scale.last_year - scale.years + 1, scale.last_year + 1))
    cells = industry_cells(regions, classes, years, rng)
    real = cmp_nace_members() if taxonomy == "cmp-nace" else None
    if real is not None:
        note = "REAL: the 51 U.S. CMP traded clusters derived to NACE classes by derive_nace"
        return SyntheticData(cells, real, classes, source, note)
    note = "SYNTHETIC: 51 clusters syn01..syn51, dyadic weights"
    if taxonomy == "cmp-nace":
        note += " (cmp-nace was asked for, but the data mirror was not found)"
    return SyntheticData(cells, synthetic_members(classes, rng), classes, source, note)

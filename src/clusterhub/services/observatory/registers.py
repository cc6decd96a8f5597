"""Cluster maps from establishment registers (SIRENE, or the generic layout)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from clusterhub.errors import InvalidInput
from clusterhub.services.observatory.analytics import ClusterMap, MapRequest, map_industry_cells
from clusterhub.services.reference import ReferenceData
from clusterhub.stats.engines import POLARS_ENGINE, Engine
from clusterhub.stats.mapping import RatingOptions
from clusterhub.stats.registers.cells import Register, RegisterCells
from clusterhub.stats.registers.places import read_places


@dataclass(frozen=True)
class RegisterRequest:
    """Which register, placed by which correspondence, for which year and NUTS level."""

    register: Register
    places: Path
    year: int
    level: int = 3
    rating: RatingOptions = field(default_factory=RatingOptions)


@dataclass(frozen=True)
class RegisterMap:
    """The register's cells and placement report, and the cluster map built from them."""

    cells: RegisterCells
    cluster_map: ClusterMap


def register_cells(request: RegisterRequest, engine: Engine = POLARS_ENGINE) -> RegisterCells:
    """The register's region x industry cells (what ``clusterhub register --cells-out`` writes)."""
    for path, what in ((request.register.path, "register"), (request.places, "correspondence")):
        if not path.exists():
            raise InvalidInput.single(f"the {what} {path} does not exist", file=str(path))
    places = read_places(request.places)
    return engine.register_cells(request.register, places, level=request.level, year=request.year)


def map_register(
    request: RegisterRequest, reference: ReferenceData, engine: Engine = POLARS_ENGINE
) -> RegisterMap:
    """Cells, then the cluster map of the register's classification, rated like any other.

    SIC codes are refused before the register is read: taxonomies, built-in or the user's,
    are in NACE or NAICS, so SIC cells can be written (``register_cells``) but not mapped.
    """
    classification = request.register.generic.classification
    if request.register.layout == "generic" and classification == "sic":
        raise InvalidInput.single(
            "SIC-coded cells cannot be mapped (cluster taxonomies are in NACE or NAICS); "
            "write the cells alone: clusterhub register --cells-out FILE, without --out",
            field="classification",
            value="sic",
        )
    cells = register_cells(request, engine)
    # A register's cells are counted, not published: nothing is suppressed, so there is
    # nothing to fill (a cell whose establishments have no band stays unknown, as reported).
    map_request = MapRequest(
        source="long",
        input_path=request.register.path,
        fill="none",
        classification="naics" if classification == "naics" else "nace",
        rating=request.rating,
    )
    origin = (request.register.path, cells.placement.lines())
    return RegisterMap(
        cells, map_industry_cells(cells.cells, map_request, reference, engine, origin)
    )

"""The indicator catalogue of the Regional Ecosystem Scoreboard, kept as data.

The catalogue (``data/scoreboard/indicators.yaml``) names each indicator's dimension and
sub-dimension, whether higher is better, its unit, whether its value describes a region or a
whole country, and where it comes from. Keeping it as data lets a policy team add or drop an
indicator without touching the scoring code; the loader refuses a catalogue that would make
scores ambiguous (an unknown dimension, a direction other than +1/-1, a duplicate code) and
lists every problem with the path inside the YAML document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import polars as pl

from clusterhub.errors import InvalidInput, Problem
from clusterhub.input_files import load_yaml

CATALOGUE_PATH = Path(__file__).resolve().parents[1] / "data" / "scoreboard" / "indicators.yaml"
Level = Literal["region", "country"]
Origin = Literal["computed", "eurostat", "user"]
LEVELS: tuple[Level, ...] = ("region", "country")
ORIGINS: tuple[Origin, ...] = ("computed", "eurostat", "user")
_REQUIRED = ("code", "name", "dimension", "subdimension", "direction", "unit", "level", "origin")


@dataclass(frozen=True)
class EurostatSource:
    """Which Eurostat data set holds an indicator and which slice of it (dimension filters)."""

    dataset: str
    filters: dict[str, str]
    verified: bool


@dataclass(frozen=True)
class Indicator:
    """One scoreboard indicator."""

    code: str
    name: str
    dimension: str
    subdimension: str
    direction: int
    unit: str
    level: Level
    origin: Origin
    source: str
    eurostat: EurostatSource | None = None


@dataclass(frozen=True)
class Dimension:
    """One of the six dimensions, with its sub-dimensions (code -> name) in display order."""

    code: str
    name: str
    subdimensions: dict[str, str]


@dataclass(frozen=True)
class IndicatorCatalogue:
    """Dimensions and indicators, in the order the catalogue lists them."""

    dimensions: tuple[Dimension, ...]
    indicators: tuple[Indicator, ...]
    _by_code: dict[str, Indicator] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_code", {i.code: i for i in self.indicators})

    def get(self, code: str) -> Indicator | None:
        """The indicator with this code, or None."""
        return self._by_code.get(code)

    @property
    def codes(self) -> frozenset[str]:
        """Every indicator code."""
        return frozenset(self._by_code)

    def frame(self) -> pl.DataFrame:
        """One row per indicator: ``indicator, dimension, subdimension, direction, level``,
        the shape the scoring functions in ``stats.scoreboard`` join on."""
        return pl.DataFrame(
            {
                "indicator": [i.code for i in self.indicators],
                "dimension": [i.dimension for i in self.indicators],
                "subdimension": [i.subdimension for i in self.indicators],
                "direction": [i.direction for i in self.indicators],
                "level": [i.level for i in self.indicators],
            },
            schema={
                "indicator": pl.String,
                "dimension": pl.String,
                "subdimension": pl.String,
                "direction": pl.Int8,
                "level": pl.String,
            },
        )


@cache
def default_catalogue() -> IndicatorCatalogue:
    """The catalogue that ships with clusterhub (read once)."""
    return load_catalogue(CATALOGUE_PATH)


def load_catalogue(path: Path) -> IndicatorCatalogue:
    """Read and validate a catalogue YAML file.

    Raises
    ------
    InvalidInput
        Every problem found, each naming the file and the path inside the document
        (``indicators[3].direction``).
    """
    name = str(path)
    document = load_yaml(path, expected="a mapping with dimensions and indicators")
    if not isinstance(document, dict):
        raise InvalidInput.single("expected a mapping with dimensions and indicators", file=name)
    problems: list[Problem] = []
    dimensions = _dimensions(document.get("dimensions"), name, problems)
    subs = {d.code: set(d.subdimensions) for d in dimensions}
    indicators: list[Indicator] = []
    raw = document.get("indicators")
    if not isinstance(raw, list) or not raw:
        problems.append(Problem("expected a non-empty list", name, field="indicators"))
        raw = []
    for index, entry in enumerate(raw):
        indicator = _indicator(entry, f"indicators[{index}]", name, subs, problems)
        if indicator is not None:
            if any(i.code == indicator.code for i in indicators):
                problems.append(Problem("duplicate code", name, field=f"indicators[{index}].code"))
            indicators.append(indicator)
    if problems:
        raise InvalidInput(problems, summary=f"invalid indicator catalogue {name}")
    return IndicatorCatalogue(tuple(dimensions), tuple(indicators))


def _dimensions(raw: Any, name: str, problems: list[Problem]) -> list[Dimension]:
    if not isinstance(raw, list) or not raw:
        problems.append(Problem("expected a non-empty list", name, field="dimensions"))
        return []
    found: list[Dimension] = []
    for index, entry in enumerate(raw):
        where = f"dimensions[{index}]"
        subs = entry.get("subdimensions") if isinstance(entry, dict) else None
        if not isinstance(entry, dict) or not isinstance(subs, dict) or not subs:
            problems.append(
                Problem("expected code, name and a mapping of subdimensions", name, field=where)
            )
            continue
        found.append(
            Dimension(
                str(entry.get("code")),
                str(entry.get("name")),
                {str(k): str(v) for k, v in subs.items()},
            )
        )
    return found


def _indicator(
    entry: Any, where: str, name: str, subs: dict[str, set[str]], problems: list[Problem]
) -> Indicator | None:
    if not isinstance(entry, dict):
        problems.append(Problem("expected a mapping", name, field=where))
        return None
    missing = [k for k in _REQUIRED if k not in entry]
    for key in missing:
        problems.append(Problem("required field missing", name, field=f"{where}.{key}"))
    if missing:
        return None
    before = len(problems)

    def expect(ok: bool, key: str, message: str) -> None:
        if not ok:
            problems.append(Problem(message, name, field=f"{where}.{key}", value=str(entry[key])))

    dimension, sub = str(entry["dimension"]), str(entry["subdimension"])
    expect(dimension in subs, "dimension", f"unknown dimension; expected one of {', '.join(subs)}")
    expect(
        sub in subs.get(dimension, {sub}),
        "subdimension",
        f"not a sub-dimension of {dimension}",
    )
    expect(entry["direction"] in (1, -1), "direction", "expected 1 (higher is better) or -1")
    expect(entry["level"] in LEVELS, "level", f"expected one of {', '.join(LEVELS)}")
    expect(entry["origin"] in ORIGINS, "origin", f"expected one of {', '.join(ORIGINS)}")
    eurostat = _eurostat(entry.get("eurostat"), f"{where}.eurostat", name, problems)
    if entry["origin"] == "eurostat" and eurostat is None:
        problems.append(
            Problem("a Eurostat indicator needs eurostat: {dataset, filters}", name, field=where)
        )
    if len(problems) > before:
        return None
    return Indicator(
        code=str(entry["code"]),
        name=str(entry["name"]),
        dimension=dimension,
        subdimension=sub,
        direction=int(entry["direction"]),
        unit=str(entry["unit"]),
        level=entry["level"],
        origin=entry["origin"],
        source=str(entry.get("source", "")),
        eurostat=eurostat,
    )


def _eurostat(raw: Any, where: str, name: str, problems: list[Problem]) -> EurostatSource | None:
    if raw is None:
        return None
    filters = raw.get("filters", {}) if isinstance(raw, dict) else None
    if not isinstance(raw, dict) or not raw.get("dataset") or not isinstance(filters, dict):
        problems.append(Problem("expected {dataset, filters, verified}", name, field=where))
        return None
    return EurostatSource(
        dataset=str(raw["dataset"]),
        filters={str(k): str(v) for k, v in filters.items()},
        verified=bool(raw.get("verified", False)),
    )

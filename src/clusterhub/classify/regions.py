"""NUTS regions: codes, names, parents and the GISCO geometries that put them on a map.

NUTS is revised every few years and statistics lag behind: Eurostat's 2015 business statistics
use NUTS 2013 codes while the current boundaries are NUTS 2021. :meth:`RegionCatalogue.match`
therefore reports, with a reason, every code that has no geometry in the catalogue's version,
so a map or a ranking can say which regions it could not show instead of losing them.

NUTS country codes follow EU usage, not ISO 3166: Greece is ``EL`` and the United Kingdom ``UK``
(:func:`iso_country` converts).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from clusterhub.errors import InvalidInput, NotFound, Problem
from clusterhub.input_files import load_json

_NUTS = re.compile(r"^[A-Z]{2}[0-9A-Z]{0,3}$")
_ISO = {"EL": "GR", "UK": "GB"}

#: Reasons :meth:`RegionCatalogue.match` gives for a code without geometry.
EXTRA_REGIO = "extra-regio"
MALFORMED = "malformed"


def nuts_level(code: str) -> int:
    """NUTS level (0-3) from the length of a code, without needing the catalogue.

    A country code has two letters and each level adds one character, so ``"DE"`` is 0,
    ``"DE1"`` 1, ``"DE11"`` 2 and ``"DE111"`` 3. The engine's ``region_type`` is
    ``f"nuts{nuts_level(code)}"``.

    Raises
    ------
    InvalidInput
        If the code is not two capital letters followed by up to three letters or digits.
    """
    if not _NUTS.match(code):
        raise InvalidInput.single(
            "expected a NUTS code: two capital letters and up to three letters or digits",
            field="region_code",
            value=code,
        )
    return len(code) - 2


def is_extra_regio(code: str) -> bool:
    """Whether ``code`` is a Eurostat Extra-Regio code (``DEZ``, ``DEZZ``, ``DEZZZ``).

    Extra-Regio collects what belongs to no region (embassies, offshore platforms); it has a
    statistic but never a polygon. The country code ``CZ`` is not one: the rule looks only at
    the characters after the country.
    """
    return bool(_NUTS.match(code)) and len(code) > 2 and set(code[2:]) == {"Z"}


def iso_country(nuts_country: str) -> str:
    """ISO 3166 alpha-2 code of a NUTS country code (``EL`` → ``GR``, ``UK`` → ``GB``)."""
    return _ISO.get(nuts_country, nuts_country)


@dataclass(frozen=True, eq=False)
class RegionMatch:
    """Which codes of a data set have a geometry in the catalogue, and why the others do not.

    ``unmatched`` has columns ``code, level`` (null when malformed) ``, reason``.
    """

    matched: tuple[str, ...]
    unmatched: pl.DataFrame

    def counts(self) -> dict[str, int]:
        """Number of unmatched codes per reason."""
        return dict(self.unmatched.group_by("reason").len().sort("reason").iter_rows())


@dataclass(frozen=True, eq=False)
class RegionCatalogue:
    """NUTS regions of one version, with their GeoJSON per level.

    ``frame`` has ``code, name`` (Latin script), ``native_name, level, parent`` (the code
    minus its last character; null at level 0) ``, country, version``.
    """

    frame: pl.DataFrame
    collections: dict[int, dict[str, Any]] = field(repr=False)
    version: str = "2021"
    _rows: dict[str, tuple[str, int]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        rows = {
            code: (name, level)
            for code, name, level in self.frame.select("code", "name", "level").iter_rows()
        }
        object.__setattr__(self, "_rows", rows)

    def _row(self, code: str) -> tuple[str, int]:
        try:
            return self._rows[code]
        except KeyError:
            raise NotFound(f"NUTS {self.version} has no region {code!r}") from None

    def name(self, code: str) -> str:
        """Name in Latin script (``NAME_LATN``), e.g. ``"Attiki"`` for ``EL30``."""
        return self._row(code)[0]

    def level(self, code: str) -> int:
        """NUTS level 0-3 of a region in the catalogue."""
        return self._row(code)[1]

    def parent(self, code: str) -> str | None:
        """The region one level up, or ``None`` for a country."""
        return code[:-1] if self._row(code)[1] > 0 else None

    def geojson(self, level: int) -> dict[str, Any]:
        """The GeoJSON FeatureCollection of ``level`` (a copy: callers may add properties)."""
        if level not in self.collections:
            raise NotFound(
                f"no NUTS {self.version} geometries at level {level}; "
                f"loaded levels: {sorted(self.collections)}"
            )
        return copy.deepcopy(self.collections[level])

    def match(self, codes: Iterable[str]) -> RegionMatch:
        """Split codes into those with a geometry here and the others, each with a reason.

        Reasons: ``"extra-regio"`` (never mapped), ``"malformed"`` (not a NUTS code at all),
        and ``"not in NUTS <version> (recoded or discontinued)"`` for well-formed codes of an
        earlier or later version, such as the NUTS 2013 ``FR``, ``EL`` and ``PL`` regions.
        """
        matched: list[str] = []
        unmatched: list[tuple[str, int | None, str]] = []
        for code in dict.fromkeys(codes):
            if code in self._rows:
                matched.append(code)
            elif not _NUTS.match(code):
                unmatched.append((code, None, MALFORMED))
            elif is_extra_regio(code):
                unmatched.append((code, nuts_level(code), EXTRA_REGIO))
            else:
                reason = f"not in NUTS {self.version} (recoded or discontinued)"
                unmatched.append((code, nuts_level(code), reason))
        frame = pl.DataFrame(
            unmatched,
            schema={"code": pl.String, "level": pl.Int8, "reason": pl.String},
            orient="row",
        )
        return RegionMatch(tuple(matched), frame)


def load_regions(paths: Iterable[Path], *, version: str = "2021") -> RegionCatalogue:
    """Read GISCO NUTS GeoJSON files (one per level) into a catalogue.

    Parameters
    ----------
    paths
        ``NUTS_RG_*_LEVL_<n>.geojson`` files; the level of each feature is read from its
        ``LEVL_CODE``, so the files may come in any order and any subset of levels.
    version
        The NUTS version the files hold, recorded in the frame and in match reasons.

    Raises
    ------
    InvalidInput
        If a file is not a FeatureCollection, or a feature lacks ``NUTS_ID``, ``LEVL_CODE``,
        ``CNTR_CODE`` or ``NAME_LATN`` or has a level that does not fit its code's length.
    """
    rows: list[tuple[str, str, str, int, str | None, str, str]] = []
    collections: dict[int, dict[str, Any]] = {}
    problems: list[Problem] = []
    for path in paths:
        # Boundary files of finer scales than the catalogue's 1:60 million run to hundreds of MB.
        document = load_json(path, limit=1024**3, expected="a GeoJSON FeatureCollection")
        if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
            problems.append(Problem("expected a GeoJSON FeatureCollection", str(path)))
            continue
        for index, feature in enumerate(document.get("features", [])):
            row = _feature_row(feature, version, path, index, problems)
            if row is not None:
                rows.append(row)
                collections.setdefault(row[3], {**document, "features": []})["features"].append(
                    feature
                )
    if problems:
        raise InvalidInput(problems, summary="NUTS GeoJSON files cannot be used")
    frame = pl.DataFrame(
        rows,
        schema={
            "code": pl.String,
            "name": pl.String,
            "native_name": pl.String,
            "level": pl.Int8,
            "parent": pl.String,
            "country": pl.String,
            "version": pl.String,
        },
        orient="row",
    ).sort("level", "code")
    return RegionCatalogue(frame, collections, version)


def _feature_row(
    feature: Any, version: str, path: Path, index: int, problems: list[Problem]
) -> tuple[str, str, str, int, str | None, str, str] | None:
    """One catalogue row from a feature, or ``None`` after recording what is wrong with it."""
    props = feature.get("properties") if isinstance(feature, dict) else None
    where = f"features[{index}].properties"
    if not isinstance(props, dict):
        problems.append(Problem("expected a feature with properties", str(path), field=where))
        return None
    missing = [
        k for k in ("NUTS_ID", "LEVL_CODE", "CNTR_CODE", "NAME_LATN") if props.get(k) is None
    ]
    if missing:
        problems.append(Problem(f"missing {', '.join(missing)}", str(path), field=where))
        return None
    code, level = str(props["NUTS_ID"]), props["LEVL_CODE"]
    if not _NUTS.match(code) or level != nuts_level(code):
        problems.append(
            Problem(
                f"LEVL_CODE {level} does not fit the code; expected a NUTS code of length level+2",
                str(path),
                field=f"{where}.NUTS_ID",
                value=code,
            )
        )
        return None
    native = str(props.get("NUTS_NAME") or props["NAME_LATN"])
    parent = code[:-1] if level > 0 else None
    return (code, str(props["NAME_LATN"]), native, level, parent, str(props["CNTR_CODE"]), version)

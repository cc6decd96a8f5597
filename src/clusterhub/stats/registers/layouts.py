"""Published register layouts, each turned into the same establishment columns.

Every layout yields, per establishment: ``line`` (for messages), ``location`` (the code the
correspondence places), ``activity`` (a normalised industry code, null where absent),
``bad_activity`` (the raw code where it is malformed), ``employees`` (an exact head count),
``band`` (a size band code), ``wages`` and ``excluded`` (why a valid row is not counted:
a closed establishment, an activity in an older nomenclature, an establishment abroad).
The normalising expressions are written against ``stats.dialect``, so that Spark reads a
register exactly as Polars does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from clusterhub.errors import InvalidInput
from clusterhub.stats.dialect import Dialect, Expr

#: The columns of INSEE's ``StockEtablissement`` file that the cluster map needs.
SIRENE_COLUMNS = {
    "id": "siret",
    "activity": "activitePrincipaleEtablissement",
    "nomenclature": "nomenclatureActivitePrincipaleEtablissement",
    "location": "codeCommuneEtablissement",
    "band": "trancheEffectifsEtablissement",
    "status": "etatAdministratifEtablissement",
    "country": "codePaysEtrangerEtablissement",
}
#: Optional SIRENE columns (older extracts lack them).
SIRENE_OPTIONAL = frozenset({"nomenclature", "country"})
#: SIRENE's value of ``nomenclatureActivitePrincipaleEtablissement`` for NAF rév. 2, whose
#: classes are NACE Rev.2 classes with a French letter added (62.01Z is NACE 62.01).
NAF_REV2 = "NAFRev2"
NAF_CLASS = r"^(\d{2}\.\d{2})[A-Z]$"

#: Municipal arrondissements (SIRENE's codes) and the commune they belong to (the LAU code):
#: Paris 75101-75120, Lyon 69381-69389, Marseille 13201-13216.
ARRONDISSEMENTS = {
    "75056": [f"751{n:02d}" for n in range(1, 21)],
    "69123": [f"6938{n}" for n in range(1, 10)],
    "13055": [f"132{n:02d}" for n in range(1, 17)],
}

Classification = Literal["nace", "naics", "sic"]
#: What a code of each classification looks like in the generic layout, and its normal form.
CODE_PATTERNS: dict[Classification, str] = {
    "nace": r"^(\d{2}\.?\d{2})$",  # 6201 and 62.01 are the same class
    "naics": r"^(\d{6})$",
    "sic": r"^(\d{4})$",
}
#: Size bands of the generic layout: ``10-19`` (midpoint 14.5) or ``1000+`` (lower bound).
RANGE_BAND = r"^(\d+)-\d+$"
RANGE_TOP = r"^\d+-(\d+)$"
OPEN_BAND = r"^(\d+)\+$"

#: The generic layout's columns; ``id``, ``activity`` and ``location`` are required, and one of
#: ``employees`` or ``band``.
GENERIC_COLUMNS = ("id", "activity", "location", "employees", "band", "wages")


@dataclass(frozen=True)
class GenericLayout:
    """A register in the generic layout, with the classification and version of its codes."""

    classification: Classification = "nace"
    version: str = "2"

    def __post_init__(self) -> None:
        if self.classification not in CODE_PATTERNS:
            raise InvalidInput.single(
                f"expected one of {', '.join(CODE_PATTERNS)}",
                field="classification",
                value=self.classification,
            )
        if self.classification == "nace" and self.version not in ("2", "2.0", "rev2", "Rev.2"):
            raise InvalidInput.single(
                "only NACE Rev.2 codes can be mapped (the taxonomies are in NACE Rev.2)",
                field="version",
                value=self.version,
            )


def sirene_establishments(d: Dialect, present: frozenset[str]) -> dict[str, Expr]:
    """The establishment columns from SIRENE's (``present``: which optional ones exist)."""
    col = {key: d.col(name) for key, name in SIRENE_COLUMNS.items()}
    raw = col["activity"]
    nomenclature = col["nomenclature"] if "nomenclature" in present else d.lit(NAF_REV2)
    rev2 = nomenclature == NAF_REV2
    parsed = d.extract(raw, NAF_CLASS)
    location = col["location"]
    for commune, parts in ARRONDISSEMENTS.items():
        location = d.when(d.is_in(col["location"], parts), d.lit(commune), location)
    abroad = (
        ~d.is_null(col["country"]) & d.is_null(col["location"])
        if "country" in present
        else d.lit(value=False)
    )
    excluded = d.when(
        col["status"] == "F",
        d.lit("closed establishment"),
        d.when(
            ~d.is_null(raw) & ~rev2,
            d.lit("activity in an older nomenclature (not NAF rev. 2)"),
            d.when(abroad, d.lit("establishment abroad")),
        ),
    )
    return {
        "location": location,
        "activity": d.when(rev2, parsed),
        "bad_activity": d.when(rev2 & ~d.is_null(raw) & d.is_null(parsed), raw),
        "employees": d.null("number"),
        "band": col["band"],
        "wages": d.null("number"),
        "excluded": excluded,
    }


def generic_establishments(
    d: Dialect, layout: GenericLayout, present: frozenset[str]
) -> dict[str, Expr]:
    """The establishment columns from the generic layout's."""
    raw = d.col("activity")
    parsed = d.extract(raw, CODE_PATTERNS[layout.classification])
    if layout.classification == "nace":
        parsed = d.replace(parsed, r"^(\d{2})\.?(\d{2})$", "$1.$2")
    return {
        "location": d.col("location"),
        "activity": parsed,
        "bad_activity": d.when(~d.is_null(raw) & d.is_null(parsed), raw),
        "employees": d.number(d.col("employees")) if "employees" in present else d.null("number"),
        "band": d.col("band") if "band" in present else d.null("text"),
        "wages": d.number(d.col("wages")) if "wages" in present else d.null("number"),
        "excluded": d.null("text"),
    }


def generic_band_midpoint(d: Dialect) -> Expr:
    """A generic band's midpoint: ``10-19`` is 14.5, ``1000+`` is 1000 (its lower bound)."""
    band = d.col("band")
    low = d.number(d.extract(band, RANGE_BAND))
    high = d.number(d.extract(band, RANGE_TOP))
    return d.coalesce((low + high) / 2.0, d.number(d.extract(band, OPEN_BAND)))

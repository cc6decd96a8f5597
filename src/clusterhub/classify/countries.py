"""Country and language codes profiles may use.

Countries are ISO 3166-1 alpha-2, spelt as Eurostat spells them: Greece is ``EL`` and the United
Kingdom ``UK`` (the NUTS and CORDIS convention), so a profile's country always equals the first
two letters of its NUTS code. ``GR`` and ``GB`` are accepted on input and converted. Kosovo
(``XK``), used by the European Commission, is added. Languages are ISO 639-1 codes.

People write countries by name as often as by code ("Germany", "Czech Republic"), so both are
accepted wherever a country is read — a form, a post, an import file — and stored as the code.
"""

from __future__ import annotations

from functools import cache

import pycountry

from clusterhub.errors import InvalidInput

_TO_EUROSTAT = {"GR": "EL", "GB": "UK"}
_EXTRA = {"XK": "Kosovo"}
#: Names in everyday use that ISO 3166 spells otherwise.
_ALIASES = {
    "RUSSIA": "RU", "TURKEY": "TR", "SOUTH KOREA": "KR", "NORTH KOREA": "KP",
    "GREAT BRITAIN": "UK", "BRITAIN": "UK", "HOLLAND": "NL", "THE NETHERLANDS": "NL",
    "CZECH REPUBLIC": "CZ", "MACEDONIA": "MK", "MOLDOVA": "MD", "VATICAN": "VA",
}  # fmt: skip


@cache
def country_names() -> dict[str, str]:
    """Code (Eurostat spelling) → common English name."""
    names = {
        _TO_EUROSTAT.get(c.alpha_2, c.alpha_2): getattr(c, "common_name", c.name)
        for c in pycountry.countries
    }
    return dict(sorted({**names, **_EXTRA}.items()))


@cache
def language_names() -> dict[str, str]:
    """ISO 639-1 code → English name."""
    return {lang.alpha_2: lang.name for lang in pycountry.languages if hasattr(lang, "alpha_2")}


@cache
def _codes_by_name() -> dict[str, str]:
    """Upper-case names (common, official, ISO) and alpha-3 codes → Eurostat alpha-2 code."""
    found: dict[str, str] = {}
    for c in pycountry.countries:
        code = _TO_EUROSTAT.get(c.alpha_2, c.alpha_2)
        for attr in ("alpha_3", "name", "official_name", "common_name"):
            if (name := getattr(c, attr, None)) is not None:
                found[name.upper()] = code
    found.update({name.upper(): code for code, name in country_names().items()})
    return {**found, **_ALIASES}


def normalise_country(code: str, *, field: str = "country") -> str:
    """The Eurostat code of a country given by code or English name, or a clear error naming
    what was expected."""
    text = " ".join(code.split()).upper()
    text = _TO_EUROSTAT.get(text, text)
    if text not in country_names():
        text = _codes_by_name().get(text, text)
    if text not in country_names():
        raise InvalidInput.single(
            f"“{code.strip()}” is not a country we know; expected a country name such as "
            "Germany or a two-letter code such as DE, FR or EL",
            field=field,
            value=code,
        )
    return text


def normalise_language(code: str, *, field: str = "languages") -> str:
    """An ISO 639-1 language code in lower case, or a clear error."""
    text = code.strip().lower()
    if text not in language_names():
        raise InvalidInput.single(
            "unknown language; expected an ISO 639-1 code such as en, de or fr",
            field=field,
            value=code,
        )
    return text

"""Country and language codes profiles may use.

Countries are ISO 3166-1 alpha-2, spelt as Eurostat spells them: Greece is ``EL`` and the United
Kingdom ``UK`` (the NUTS and CORDIS convention), so a profile's country always equals the first
two letters of its NUTS code. ``GR`` and ``GB`` are accepted on input and converted. Kosovo
(``XK``), used by the European Commission, is added. Languages are ISO 639-1 codes.
"""

from __future__ import annotations

from functools import cache

import pycountry

from clusterhub.errors import InvalidInput

_TO_EUROSTAT = {"GR": "EL", "GB": "UK"}
_EXTRA = {"XK": "Kosovo"}


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


def normalise_country(code: str, *, field: str = "country") -> str:
    """The Eurostat spelling of a country code, or a clear error naming what was expected."""
    text = code.strip().upper()
    text = _TO_EUROSTAT.get(text, text)
    if text not in country_names():
        raise InvalidInput.single(
            "unknown country; expected an ISO 3166 alpha-2 code such as DE, FR or EL",
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

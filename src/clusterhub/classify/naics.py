"""NAICS codes: 2- to 6-digit strings whose prefixes are their ancestors.

NAICS is strictly hierarchical by prefix (``336411`` is in ``33641``, ``3364``, ``336`` and
sector ``33``), so parents and prefixes need no table. The 2017 code list itself comes with the
NAICS→NACE correspondence (:meth:`clusterhub.classify.NaicsToNace.naics_codes`). Sector
ranges such as ``31-33`` are labels, not codes, and are refused.
"""

from __future__ import annotations

import re

from clusterhub.errors import InvalidInput

_NAICS = re.compile(r"^\d{2,6}$")
_EXPECTED = "expected a NAICS code of 2 to 6 digits, such as '33' or '336411'"


def is_naics(code: str) -> bool:
    """Whether ``code`` has the shape of a NAICS code (2-6 digits, no spaces or dashes)."""
    return bool(_NAICS.match(code))


def normalise_naics(code: str) -> str:
    """Return ``code`` without surrounding blanks, checked to be 2-6 digits.

    Raises
    ------
    InvalidInput
        Naming the code and the expected shape; integers read from spreadsheets lose leading
        zeros, but NAICS has none, so no padding is attempted.
    """
    text = code.strip()
    if not is_naics(text):
        raise InvalidInput.single(_EXPECTED, field="naics", value=code)
    return text


def naics_parent(code: str) -> str | None:
    """The code one digit shorter, or ``None`` for a 2-digit sector."""
    text = normalise_naics(code)
    return text[:-1] if len(text) > 2 else None


def naics_prefixes(code: str, *, shortest: int = 2) -> list[str]:
    """Proper prefixes of ``code`` from the longest down to ``shortest`` digits.

    ``naics_prefixes("336411")`` is ``["33641", "3364", "336", "33"]``: the order in which a
    fallback should look for a broader match.
    """
    text = normalise_naics(code)
    return [text[:n] for n in range(len(text) - 1, shortest - 1, -1)]

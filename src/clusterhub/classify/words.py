"""Content words of a short descriptive text, for matching classification titles and profiles
by keyword (the fallback of every semantic match when no sentence model is loaded).

Light on purpose: lower case, accents removed, a few English suffixes cut and the words that say
nothing about a domain dropped, so "Electrical" and "electricity" meet and "manufacture of"
matches nothing.
"""

from __future__ import annotations

import re
import unicodedata

#: Words that say nothing about a domain (NACE titles are full of "manufacture of").
_STOP = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "into", "is", "it",
    "its", "of", "on", "or", "other", "nec", "such", "the", "to", "with", "without", "our",
    "their", "new", "based", "related", "products", "product", "services", "service",
    "activities", "activity", "manufacture", "manufacturing",
})  # fmt: skip
_SUFFIXES = ("ations", "ation", "ities", "ity", "ings", "ing", "ies", "ers", "er", "es", "s", "al")


def words(text: str) -> list[str]:
    """Content words of ``text``: lower case, accents removed, light suffixes cut, stop words
    dropped ("Electrical" and "electricity" both become "electric")."""
    plain = unicodedata.normalize("NFKD", text.casefold()).encode("ascii", "ignore").decode()
    found = []
    for token in re.findall(r"[a-z0-9]+", plain):
        if token in _STOP or len(token) < 3:
            continue
        cut = next((s for s in _SUFFIXES if token.endswith(s) and len(token) - len(s) >= 4), "")
        found.append(token[: len(token) - len(cut)])
    return found

"""Number formats a reader sees, shared by the web pages and the printed reports.

They live outside the layers so that the pages (``web``) and the reports rendered by services
(PDF profiles, the build's HTML report) print a number the same way.
"""

from __future__ import annotations

import math
from typing import Any


def number(value: Any, digits: int = 0) -> str:
    """Thousands separators; an en dash for unknown values (never 'None' or 'nan')."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.{digits}f}"


def percent(value: Any, digits: int = 1) -> str:
    """A share in [0, 1] as a percentage."""
    return "–" if value is None else f"{100 * value:.{digits}f} %"


def stars(value: Any) -> str:
    """Star glyphs for a rating (the count is also given in text for screen readers)."""
    return "★" * int(value or 0)

"""Jinja2 environment: templates, number formats and the helpers every page uses."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates

from clusterhub.services.accounts.users import Role
from clusterhub.services.directory.schemas import is_unpublished_name
from clusterhub.web.assets import static_url

TEMPLATES = Path(__file__).resolve().parent / "templates"


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


def make_templates() -> Jinja2Templates:
    """The page templates with clusterhub's filters (autoescaping on: user text is escaped)."""
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.filters.update(number=number, percent=percent, stars=stars)
    templates.env.globals["static_url"] = static_url  # content-hashed, cached for a year
    templates.env.globals["Role"] = Role  # menus ask `user.at_least(Role.PROGRAMME_OFFICER)`
    # A Horizon 2020 participant CORDIS does not name gets a note saying so wherever it is shown.
    templates.env.tests["unpublished_name"] = is_unpublished_name
    return templates

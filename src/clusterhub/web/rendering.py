"""Jinja2 environment: templates, number formats and the helpers every page uses."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi.templating import Jinja2Templates

from clusterhub.formatting import number, percent, stars
from clusterhub.services.accounts.users import Role
from clusterhub.services.directory.schemas import is_unpublished_name
from clusterhub.services.observatory.glossary import region_type_label
from clusterhub.services.observatory.terms import TERMS
from clusterhub.services.reports.render import TEMPLATES as REPORT_TEMPLATES
from clusterhub.services.reports.render import css_string
from clusterhub.stats.series import year_span
from clusterhub.web.assets import static_url

TEMPLATES = Path(__file__).resolve().parent / "templates"


def make_templates() -> Jinja2Templates:
    """The page templates with clusterhub's filters (autoescaping on: user text is escaped)."""
    # The report templates come second: the pages share their dimension table (one markup).
    templates = Jinja2Templates(directory=[TEMPLATES, REPORT_TEMPLATES])
    templates.env.filters.update(
        number=number,
        percent=percent,
        stars=stars,
        region_type=region_type_label,
        year_span=year_span,
        event_time=event_time,
        css_string=css_string,  # the report templates in the loader use it
    )
    # Definitions of the observatory's measures, shown where they are read (_partials/_terms.html).
    templates.env.globals["terms"] = TERMS
    templates.env.globals["static_url"] = static_url  # content-hashed, cached for a year
    templates.env.globals["Role"] = Role  # menus ask `user.at_least(Role.PROGRAMME_OFFICER)`
    # A Horizon 2020 participant CORDIS does not name gets a note saying so wherever it is shown.
    templates.env.tests["unpublished_name"] = is_unpublished_name
    return templates


def event_time(moment: datetime | str, zone: str, fmt: str = "%a %d %b %Y, %H:%M") -> str:
    """A time in an event's zone (an ISO text keeps its own offset, as the services give it)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(ZoneInfo(zone)).strftime(fmt)

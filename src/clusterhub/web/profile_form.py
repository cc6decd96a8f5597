"""The profile edit form: which fields it shows, how a profile fills it, what a submission changed.

A form value is what the browser sends (a string, or a list of strings for multi-selects); the
directory service does all checking. Only the fields whose submitted value differs from the
stored one are sent as changes, so an edit touches what the editor touched — a derived member
total stays derived, and a field changed meanwhile by someone else is reported, not overwritten.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from starlette.datastructures import FormData

from clusterhub.errors import Problem
from clusterhub.services.directory.schemas import OrganisationPublic
from clusterhub.web.forms import LIST_HINT, PICKER_HINT, labelled, split_list

FormValues = dict[str, str | list[str]]


@dataclass(frozen=True)
class FormField:
    """One input of the form: ``kind`` picks the widget and how its text becomes a value."""

    name: str
    label: str
    kind: str = "text"  # text, textarea, number, date, select, multi, lines, codes, email, url
    hint: str | None = None
    group: str = "Identity"


FIELDS = (
    FormField("name", "Name"),
    FormField("acronym", "Acronym"),
    FormField("profile_type", "Profile type", "select"),
    FormField("website", "Website", "url", "https://…"),
    FormField("description", "Description", "textarea"),
    FormField("founded_year", "Founded (year)", "number"),
    FormField("country", "Country", "select", group="Location"),
    FormField("nuts_code", "NUTS 2021 region code", "text", "For example DE11 or FR101.",
              "Location"),
    FormField("city", "City", group="Location"),
    FormField("latitude", "Latitude", "number", group="Location"),
    FormField("longitude", "Longitude", "number", group="Location"),
    FormField("cluster_codes", "Cluster categories", "multi", PICKER_HINT, "Activities"),
    FormField("nace_codes", "Industries (NACE Rev.2 codes)", "codes",
              f"{LIST_HINT} For example 29.10, 28.4.", "Activities"),
    FormField("ecosystems", "Industrial ecosystems", "lines", LIST_HINT, "Activities"),
    FormField("technologies", "Technologies", "lines", LIST_HINT, "Activities"),
    FormField("keywords", "Keywords", "lines", LIST_HINT, "Activities"),
    FormField("s3_priorities", "Smart specialisation (S3) priorities", "lines", LIST_HINT,
              "Activities"),
    FormField("members_sme", "SMEs", "number", group="Members"),
    FormField("members_large", "Large companies", "number", group="Members"),
    FormField("members_research", "Research and education", "number", group="Members"),
    FormField("members_public", "Public bodies", "number", group="Members"),
    FormField("members_other", "Other members", "number", group="Members"),
    FormField("members_total", "Members in total", "number",
              "Leave empty to use the sum of the types.", "Members"),
    FormField("management_fte", "Management team (full-time equivalents)", "number",
              group="Members"),
    FormField("label", "Cluster management label", "select",
              "Shown as “declared, not verified” until a programme officer checks it.", "Label"),
    FormField("label_valid_until", "Label valid until", "date", group="Label"),
    FormField("languages", "Working languages", "multi", PICKER_HINT, "International"),
    FormField("target_countries", "Target countries", "multi", PICKER_HINT, "International"),
    FormField("contact_name", "Contact person", group="Contact"),
    FormField("contact_email", "Contact e-mail", "email", group="Contact"),
    FormField("contact_phone", "Contact telephone", "text",
              "Digits, spaces and + ( ) . / - only, for example +49 711 123 456.", "Contact"),
)  # fmt: skip
BY_NAME = {f.name: f for f in FIELDS}
LABELS = {f.name: f.label for f in FIELDS}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Enum):
        return str(value.value)
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def values_of(profile: OrganisationPublic | None) -> FormValues:
    """How a stored profile fills the form (empty for a new one)."""
    values: FormValues = {}
    for field in FIELDS:
        raw = getattr(profile, field.name) if profile is not None else None
        if field.kind == "multi":
            values[field.name] = [str(v) for v in raw or []]
        elif field.kind == "lines":
            values[field.name] = "\n".join(raw or [])
        elif field.kind == "codes":
            values[field.name] = ", ".join(raw or [])
        else:
            values[field.name] = _text(raw)
    return values


def submitted(form: FormData) -> FormValues:
    """The form's fields as sent (an unticked multi-select sends nothing: an empty list)."""
    values: FormValues = {}
    for field in FIELDS:
        if field.kind == "multi":
            values[field.name] = [v for v in form.getlist(field.name) if isinstance(v, str)]
        else:
            raw = form.get(field.name, "")
            values[field.name] = raw if isinstance(raw, str) else ""
    return values


def parsed(name: str, value: str | list[str]) -> Any:
    """A form value as the service takes it: lists split, empty text as "not stated"."""
    kind = BY_NAME[name].kind
    if isinstance(value, list):
        return value
    if kind in ("lines", "codes"):
        return split_list(value)
    text = value.strip()
    if name == "description":
        return text
    return text or None


def changes(sent: Mapping[str, str | list[str]], stored: FormValues) -> dict[str, Any]:
    """The fields whose submitted value differs from the stored profile's."""
    return {
        name: parsed(name, value)
        for name, value in sent.items()
        if parsed(name, value) != parsed(name, stored.get(name, ""))
    }


def new_profile(sent: Mapping[str, str | list[str]]) -> dict[str, Any]:
    """A new profile from the form: every field filled in."""
    return changes(sent, values_of(None))


def field_problems(problems: list[Problem]) -> list[Problem]:
    """Problems pointed at the form's inputs and named by their labels (``web.forms``)."""
    return labelled(problems, LABELS)

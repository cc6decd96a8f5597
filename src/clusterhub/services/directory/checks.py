"""The checks of one directory profile against the code lists, collecting every problem.

Kept apart from ``directory`` (which calls them from ``validate``) so that the rules of the
directory's use cases and the rules of a profile's codes each read on their own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from clusterhub.classify.countries import normalise_country, normalise_language
from clusterhub.errors import InvalidInput, Problem
from clusterhub.services.accounts.users import normalise_email
from clusterhub.services.directory.facts import MEMBER_FIELDS
from clusterhub.services.directory.schemas import OrganisationInput

if TYPE_CHECKING:  # the code lists are defined with the use cases that load them
    from clusterhub.services.reference import Catalogues

#: Control characters a profile's text may not hold (tab and line breaks are fine).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class ProfileChecker:
    """Collects every problem of one profile rather than stopping at the first."""

    def __init__(self, catalogues: Catalogues, *, file: str | None, line: int | None) -> None:
        self.catalogues = catalogues
        self.file = file
        self.line = line
        self.problems: list[Problem] = []

    def add(self, field: str, message: str, value: object = None) -> None:
        shown = None if value is None else str(value)[:80]
        self.problems.append(
            Problem(message, file=self.file, line=self.line, field=field, value=shown)
        )

    def code(self, field: str, value: str, normalise: Any) -> str | None:
        try:
            return str(normalise(value, field=field))
        except InvalidInput as error:
            self.add(field, error.problems[0].message, value)
            return None

    def check(self, data: OrganisationInput) -> OrganisationInput:
        for name in OrganisationInput.model_fields:
            value = getattr(data, name)
            texts = value if isinstance(value, list) else [value]
            bad = next((t for t in texts if isinstance(t, str) and CONTROL.search(t)), None)
            if bad is not None:
                self.add(name, "control characters (such as NUL) are not allowed", repr(bad)[1:-1])
        country = self._country(data)
        update: dict[str, Any] = {
            "country": country,
            "nuts_code": self._nuts(data.nuts_code, country),
            "website": self._website(data.website),
            "contact_email": self._email(data.contact_email),
            "nace_codes": self._nace(data.nace_codes),
            "cluster_codes": self._clusters(data.cluster_codes),
            "languages": unique(
                c for v in data.languages if (c := self.code("languages", v, normalise_language))
            ),
            "target_countries": unique(
                c
                for v in data.target_countries
                if (c := self.code("target_countries", v, normalise_country))
            ),
            "members_total": self._members_total(data),
        }
        for name in ("ecosystems", "technologies", "keywords", "s3_priorities"):
            update[name] = unique(getattr(data, name))
        if data.label is not None and data.label_valid_until is None:
            self.add("label_valid_until", "a label needs its valid-until date (YYYY-MM-DD)")
        return data.model_copy(update=update)

    def _country(self, data: OrganisationInput) -> str | None:
        if data.country:
            return self.code("country", data.country, normalise_country)
        return data.nuts_code[:2].upper() if data.nuts_code else None

    def _nuts(self, nuts_code: str | None, country: str | None) -> str | None:
        if not nuts_code:
            return None
        code = nuts_code.strip().upper()
        if code not in self.catalogues.nuts:
            self.add(
                "nuts_code", "unknown region; expected a NUTS 2021 code such as DE21 or FR101", code
            )
            return None
        if country and not code.startswith(country):
            self.add("nuts_code", f"region {code} is not in country {country}", code)
        return code

    def _website(self, url: str | None) -> str | None:
        if not url:
            return None
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or "." not in parts.netloc or " " in url:
            self.add("website", "expected a web address starting with http:// or https://", url)
            return None
        return url

    def _email(self, email: str | None) -> str | None:
        if not email:
            return None
        try:
            return normalise_email(email)
        except InvalidInput as error:
            self.add("contact_email", error.problems[0].message, email)
            return None

    def _nace(self, codes: list[str]) -> list[str]:
        return unique(c for v in codes if (c := self.code("nace_codes", v, self._normalise_nace)))

    def _normalise_nace(self, value: str, *, field: str) -> str:
        return self.catalogues.nace.normalise(value)

    def _clusters(self, values: list[str]) -> list[str]:
        codes = []
        for value in values:
            code = self.catalogues.cluster_code(value)
            if code is None:
                self.add(
                    "cluster_codes",
                    "unknown cluster category; expected a code 1-51 or a name of the "
                    "51-cluster taxonomy (see /clusters)",
                    value,
                )
            else:
                codes.append(code)
        return unique(codes)

    def _members_total(self, data: OrganisationInput) -> int | None:
        parts = [getattr(data, name) for name in MEMBER_FIELDS]
        known = sum(p for p in parts if p is not None)
        if data.members_total is None:
            return known if any(p is not None for p in parts) else None
        if data.members_total < known:
            self.add(
                "members_total",
                f"smaller than the sum of members by type ({known})",
                data.members_total,
            )
        return data.members_total


def unique(values: Iterable[str]) -> list[str]:
    """The values without blanks and repeats, in first-seen order."""
    return list(dict.fromkeys(v for v in values if v))

"""NAICS code helpers: shape checks and prefixes."""

from __future__ import annotations

import pytest

from clusterhub.classify import is_naics, naics_parent, naics_prefixes, normalise_naics
from clusterhub.errors import InvalidInput


def test_shapes() -> None:
    assert is_naics("33")
    assert is_naics("336411")
    assert not is_naics("3")
    assert not is_naics("3364111")
    assert not is_naics("31-33")


def test_parent_and_prefixes() -> None:
    assert naics_parent("336411") == "33641"
    assert naics_parent("33") is None
    assert naics_prefixes("336411") == ["33641", "3364", "336", "33"]
    assert naics_prefixes("336411", shortest=4) == ["33641", "3364"]


def test_normalise_strips_and_refuses_ranges() -> None:
    assert normalise_naics(" 336411 ") == "336411"
    with pytest.raises(InvalidInput) as caught:
        normalise_naics("31-33")
    assert caught.value.problems[0].value == "31-33"

"""Colour contrast of the stylesheet: every text colour meets WCAG AA (4.5:1) on its background.

A small parser reads ``static/clusterhub.css``: custom properties from ``:root``, then every rule's
``color`` and its own ``background`` (white where the rule sets none), with ``var(--x)``
resolved. Browser checks of the pages themselves are in tests/e2e/test_accessibility.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

import clusterhub.web

STYLESHEET = Path(clusterhub.web.__file__).resolve().parent / "static" / "clusterhub.css"
AA_NORMAL_TEXT = 4.5
WHITE = "#ffffff"
NAMED = {"white": WHITE, "black": "#000000"}
RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
VAR = re.compile(r"var\(\s*(--[\w-]+)\s*(?:,\s*([^)]+))?\)")
HEX = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})\b")


@dataclass(frozen=True)
class TextColour:
    """One rule's text colour and the background it is drawn on."""

    selector: str
    colour: str
    background: str


def relative_luminance(hex_colour: str) -> float:
    """WCAG 2.1 relative luminance of an sRGB ``#rgb`` / ``#rrggbb`` colour."""
    digits = hex_colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(one: str, other: str) -> float:
    """WCAG contrast ratio, 1 (same) to 21 (black on white)."""
    light, dark = sorted((relative_luminance(one), relative_luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _declarations(body: str) -> dict[str, str]:
    pairs = (d.split(":", 1) for d in body.split(";") if ":" in d)
    return {name.strip().lower(): value.strip() for name, value in pairs}


def _resolve(value: str, variables: dict[str, str], depth: int = 0) -> str | None:
    """The ``#rrggbb`` a colour value means, or None (inherit, currentColor, gradients...)."""
    if depth > 10:
        return None
    match = VAR.search(value)
    if match:
        name, fallback = match.groups()
        inner = variables.get(name, fallback or "")
        return _resolve(inner, variables, depth + 1)
    value = value.strip().lower()
    if value in NAMED:
        return NAMED[value]
    found = HEX.search(value)
    return found.group(0) if found else None


def text_colours(css: str) -> list[TextColour]:
    """Every ``color`` declaration of the stylesheet with the background it is shown on."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    rules = [(sel.strip(), _declarations(body)) for sel, body in RULE.findall(css)]
    variables: dict[str, str] = {}
    for selector, declarations in rules:
        if selector == ":root":
            variables.update({k: v for k, v in declarations.items() if k.startswith("--")})
    found = []
    for selector, declarations in rules:
        if "color" not in declarations:
            continue
        colour = _resolve(declarations["color"], variables)
        if colour is None:
            continue
        background = declarations.get("background-color") or declarations.get("background")
        resolved_background = _resolve(background, variables) if background else None
        found.append(TextColour(selector, colour, resolved_background or WHITE))
    return found


def test_the_contrast_formula_matches_known_values() -> None:
    assert contrast_ratio("#000", "#fff") == pytest.approx(21.0)
    assert contrast_ratio("#fff", "#fff") == pytest.approx(1.0)
    assert contrast_ratio("#767676", WHITE) == pytest.approx(4.54, abs=0.01)  # lightest AA grey
    assert contrast_ratio("#777777", WHITE) < AA_NORMAL_TEXT


def test_the_parser_resolves_variables_and_backgrounds() -> None:
    css = """
    :root { --ink: #111; --pale: var(--soft, #999); --accent: #0b4f9c; color: var(--ink); }
    /* a comment { color: #fff } */
    .pale { color: var(--pale); }
    .button { background: var(--accent); color: #fff; border-color: #abc; }
    @media (max-width: 640px) { .x { color: white; background-color: #000 } }
    .skip { color: inherit; }
    """
    assert text_colours(css) == [
        TextColour(":root", "#111", WHITE),
        TextColour(".pale", "#999", WHITE),
        TextColour(".button", "#fff", "#0b4f9c"),
        TextColour(".x", "#ffffff", "#000"),
    ]


def test_every_text_colour_of_the_stylesheet_meets_aa() -> None:
    found = text_colours(STYLESHEET.read_text(encoding="utf-8"))
    selectors = {c.selector for c in found}
    # The parser must have seen the site's real colours, or the check below proves nothing.
    assert {":root", "a", ".lead", "caption", ".stars", ".skip"} <= selectors
    assert len(found) >= 8
    failing = [
        f"{c.selector}: {c.colour} on {c.background} = {contrast_ratio(c.colour, c.background):.2f}"
        for c in found
        if contrast_ratio(c.colour, c.background) < AA_NORMAL_TEXT
    ]
    assert failing == []

"""The methodology as HTML, rendered from the Markdown documents that ship with the code."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import markdown

#: Repository checkouts keep the docs beside ``src``; wheels carry a copy inside the package.
CANDIDATES = (
    Path(__file__).resolve().parents[1] / "_docs",
    Path(__file__).resolve().parents[3] / "docs",
)
PAGES = (
    "methodology.md",
    "methodology/taxonomies.md",
    "methodology/missing-cells.md",
    "methodology/data-sources.md",
)


@lru_cache(maxsize=1)
def methodology_html() -> str:
    """All methodology pages as one HTML document (the docs are the single source)."""
    folder = next((c for c in CANDIDATES if (c / PAGES[0]).exists()), None)
    if folder is None:
        return "<p>The methodology documents are not installed with this copy.</p>"
    text = "\n\n".join((folder / page).read_text(encoding="utf-8") for page in PAGES)
    html: str = markdown.markdown(text, extensions=["tables", "fenced_code", "toc"])
    return html

"""The methodology as HTML, rendered from the Markdown documents that ship with the code."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import markdown

#: Repository checkouts keep the docs beside ``src``; wheels carry a copy inside the package.
CANDIDATES = (
    Path(__file__).resolve().parents[2] / "_docs",
    Path(__file__).resolve().parents[4] / "docs",
)
#: (file, anchor of its section on the page); the first one is the page's title.
PAGES = (
    ("methodology.md", "methodology"),
    ("methodology/taxonomies.md", "taxonomies"),
    ("methodology/emerging-industries.md", "emerging-industries"),
    ("methodology/missing-cells.md", "missing-cells"),
    ("methodology/nuts-recoding.md", "nuts-recoding"),
    ("methodology/time-series.md", "time-series"),
    ("methodology/complexity.md", "complexity"),
    ("methodology/relatedness.md", "relatedness"),
    ("methodology/scoreboard.md", "scoreboard"),
    ("methodology/recommend.md", "recommend"),
    ("methodology/s3.md", "s3"),
    ("methodology/data-sources.md", "data-sources"),
)
_LINK = re.compile(r"\]\((?:\.\./|methodology/)*([\w-]+)\.md(#[\w-]+)?\)")
#: A link to another part of the documentation (reference, guides, decisions), not served.
_ELSEWHERE = re.compile(
    r"\[([^\]]+)\]\((?:\.\./)*((?:reference|user_guide|decisions|getting_started)/[\w-]+\.md)"
    r"(?:#[\w-]+)?\)"
)


@lru_cache(maxsize=1)
def methodology_html() -> str:
    """All methodology pages as one HTML document (the docs are the single source).

    The pages become sections of one page: one ``<h1>`` (the first page's title; the other
    pages' titles become ``<h2>``) and links between the Markdown files become in-page links.
    """
    folder = next((c for c in CANDIDATES if (c / PAGES[0][0]).exists()), None)
    if folder is None:
        return "<p>The methodology documents are not installed with this copy.</p>"
    anchors = {Path(name).stem: anchor for name, anchor in PAGES}
    parts = []
    for index, (name, anchor) in enumerate(PAGES):
        text = (folder / name).read_text(encoding="utf-8")
        if index:
            text = re.sub(r"^(#+) ", r"#\1 ", text, flags=re.MULTILINE)
        # Documents the site does not serve are named, not linked (a link would answer 404).
        text = _ELSEWHERE.sub(r"\1 (`docs/\2` in the source)", text)
        text = _LINK.sub(lambda m: f"](#{anchors.get(m.group(1), m.group(1))})", text)
        parts.append(f'<section id="{anchor}" markdown="1">\n\n{text}\n\n</section>')
    html: str = markdown.markdown(
        "\n\n".join(parts), extensions=["tables", "fenced_code", "toc", "md_in_html"]
    )
    return html

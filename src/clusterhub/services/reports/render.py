"""Reports as HTML documents and PDF files.

One self-contained HTML document per profile (styles inline, maps as inline SVG, no script,
no request to anything) serves three readers: the browser's printable page, WeasyPrint's
PDF, and the folder ``clusterhub build`` writes. WeasyPrint is imported only when a PDF is
rendered: it loads Pango through cffi, which the pages and the API never need.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from clusterhub.formatting import number, percent, stars
from clusterhub.services.observatory.terms import TERMS
from clusterhub.services.reports.profiles import ClusterReport, RegionReport, is_estimated
from clusterhub.stats.vocabulary import MAX_ESTIMATED_SHARE

TEMPLATES = Path(__file__).resolve().parent / "templates"
#: (label, href) links shown above a report on screen and never printed.
Toolbar = list[tuple[str, str]]


@cache
def environment() -> Environment:
    """The report templates with the pages' number formats (autoescaping on)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True)
    )
    env.filters.update(number=number, percent=percent, stars=stars, css_string=css_string)
    env.globals["terms"] = TERMS  # column headings shared with the pages (_dimension_table.html)
    env.tests["estimated"] = is_estimated
    env.globals["MOSTLY_ESTIMATED"] = MAX_ESTIMATED_SHARE
    env.globals["stylesheet"] = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    return env


def css_string(text: str) -> Markup:
    """``text`` as a quoted CSS string, safe inside a ``<style>`` element (the page footer of
    ``@page`` rules holds region names, which may hold quotes)."""
    escaped = "".join(
        ch if ch.isalnum() or ch in " .,:;·()/-_?=&%'" else f"\\{ord(ch):x} " for ch in text
    )
    return Markup(f'"{escaped}"')


def render_template(name: str, **context: object) -> str:
    """Render ``templates/name`` with ``context``."""
    return environment().get_template(name).render(**context)


def region_html(report: RegionReport, toolbar: Toolbar | None = None) -> str:
    """The region profile as a printable HTML document."""
    return render_template("region.html", report=report, toolbar=toolbar or [])


def cluster_html(report: ClusterReport, toolbar: Toolbar | None = None) -> str:
    """The cluster profile as a printable HTML document."""
    return render_template("cluster.html", report=report, toolbar=toolbar or [])


def pdf(html: str) -> bytes:
    """The document printed to PDF (A4, the document's own print styles)."""
    from weasyprint import HTML  # noqa: PLC0415 - heavy, and only PDFs need it

    data: bytes = HTML(string=html).write_pdf()
    return data

"""Printable profiles: the A4 pages and their PDFs, read back from the PDF bytes."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from clusterhub.services.reports.printing import PrintShop


def _pdf_text(client: TestClient, path: str, **params: str) -> tuple[int, str]:
    """(page count, text of every page) of the PDF at ``path``."""
    answer = client.get(path, params=params)
    assert answer.status_code == 200, answer.text[:300]
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(answer.content))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def _flat(text: str) -> str:
    """PDF text with line breaks and doubled spaces folded (table cells wrap)."""
    return " ".join(text.split())


def test_region_pdf_holds_the_profile(client: TestClient) -> None:
    pages, text = _pdf_text(client, "/regions/DE21/report.pdf")
    flat = _flat(text)
    assert 2 <= pages <= 8
    assert "Oberbayern" in flat and "region profile" in flat
    assert "Strong clusters" in flat and "Employment Share of region LQ Stars" in flat
    assert "Regional ecosystem scoreboard" in flat and "Sources and method" in flat
    api = client.get("/api/v1/regions/DE21").json()
    strong = [
        m for m in api["clusters"] if (m["stars"] >= 2 or m["strong"]) and not m["mostly_estimated"]
    ]
    assert f"strongest first ({len(strong)})" in flat
    # The footer (source and date) is on every page, with the page number.
    assert flat.count("Source: EU regions") == pages
    assert f"Page {pages} of {pages}" in flat


def test_cluster_pdf_holds_the_profile_and_its_map_legend(client: TestClient) -> None:
    pages, text = _pdf_text(client, "/clusters/4/report.pdf", dataset="eu-sbs")
    flat = _flat(text)
    assert pages >= 2
    assert "Automotive" in flat and "cluster profile" in flat
    assert "Top regions" in flat and "Region Employment Share of cluster LQ Stars" in flat
    assert "mostly estimated (hatched)" in flat  # some Automotive regions are estimated


def test_mostly_estimated_cells_are_marked_in_page_and_pdf(client: TestClient) -> None:
    regions = client.get("/api/v1/clusters/4", params={"dataset": "eu-sbs"}).json()["regions"]
    estimated = [r for r in regions if (r["estimated_share"] or 0) > 0.5]
    assert estimated, "the real data hold mostly estimated Automotive cells"
    cell = estimated[0]
    share = f"≈ {100 * cell['estimated_share']:.0f} %"
    page = client.get(f"/regions/{cell['region_code']}/report").text
    assert 'class="estimated"' in page and share in page
    _, text = _pdf_text(client, f"/regions/{cell['region_code']}/report.pdf")
    assert share in _flat(text) and "mostly estimated" in _flat(text)
    hatched = client.get("/clusters/4/report", params={"dataset": "eu-sbs"}).text
    assert 'fill="url(#estimated)"' in hatched


def test_printable_page_is_self_contained_with_a_map(client: TestClient) -> None:
    page = client.get("/regions/DE21/report")
    assert page.status_code == 200
    html = page.text
    assert "<svg" in html and "Oberbayern" in html and "@page" in html
    assert "<script" not in html and 'rel="stylesheet"' not in html  # prints with no request
    assert "/regions/DE21/report.pdf" in html  # the screen toolbar offers the PDF
    region_page = client.get("/regions/DE21").text
    assert "/regions/DE21/report?dataset=eu-sbs" in region_page
    assert "/clusters/4/report?dataset=eu-sbs" in client.get("/clusters/4").text


def test_a_us_state_prints_without_a_map(client: TestClient) -> None:
    pages, text = _pdf_text(client, "/regions/06/report.pdf", dataset="us-states")
    flat = _flat(text)
    assert pages >= 1 and "California" in flat and "No map" in flat
    assert "Wage / employee (USD)" in flat  # the CMP publishes wages


@pytest.mark.parametrize(
    "path",
    [
        "/regions/XX99/report.pdf",
        "/clusters/999/report",
        "/regions/DE21/report?year=abc",
        "/clusters/4/report.pdf?region_type=county",
    ],
)
def test_bad_input_is_a_clear_error(client: TestClient, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code in (404, 422), answer.text[:200]


def test_the_api_docs_list_the_report_endpoints(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/regions/{code}/report", "/regions/{code}/report.pdf"):
        assert path in paths and "reports" in paths[path]["get"]["tags"]
    assert (
        "application/pdf"
        in paths["/clusters/{code}/report.pdf"]["get"]["responses"]["200"]["content"]
    )


def test_a_pdf_is_printed_once_and_new_prints_are_budgeted_per_client(
    client: TestClient,
) -> None:
    state = client.app.state  # type: ignore[attr-defined]
    shop = state.print_shop
    state.print_shop = PrintShop(prints=2)
    try:
        first = client.get("/regions/DE21/report.pdf")
        again = client.get("/regions/DE21/report.pdf")
        assert first.headers["x-clusterhub-print"] == "printed"
        assert again.headers["x-clusterhub-print"] == "kept" and again.content == first.content
        assert client.get("/regions/XX99/report.pdf").status_code == 404  # costs nothing
        assert client.get("/regions/DE11/report.pdf").status_code == 200
        limited = client.get("/regions/DE12/report.pdf")
        assert limited.status_code == 429
        assert 1 <= int(limited.headers["retry-after"]) <= 61
        assert "new PDFs from this address" in limited.text
        assert client.get("/regions/DE21/report.pdf").status_code == 200  # kept: no print
    finally:
        state.print_shop = shop

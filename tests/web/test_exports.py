"""Downloads: XLSX for people (headers with units, formats, About sheet), CSV for programs."""

from __future__ import annotations

import csv
import io
import math

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from clusterhub.web.export_columns import COLUMNS


def test_xlsx_has_readable_headers_exact_values_and_an_about_sheet(client: TestClient) -> None:
    api = client.get("/api/v1/regions/DE21", params={"dataset": "eu-sbs"}).json()
    answer = client.get("/regions/DE21/clusters.xlsx", params={"dataset": "eu-sbs"})
    book = load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames == ["region_DE21", "About"]
    table = book["region_DE21"]
    headers = [cell.value for cell in table[1]]
    assert "Employment (persons)" in headers and "Estimated share (%)" in headers
    assert "Location quotient" in headers and "lq" not in headers
    assert table.freeze_panes == "A2" and table.auto_filter.ref.startswith("A1:")
    lq = headers.index("Location quotient") + 1
    share = headers.index("Share of region (%)") + 1
    first = api["clusters"][0]
    # Values stay exact (to the last digit XLSX keeps); the number format rounds what is shown.
    assert math.isclose(table.cell(2, lq).value, first["lq"], rel_tol=1e-14)
    assert table.cell(2, lq).number_format == "0.00"
    assert math.isclose(table.cell(2, share).value, first["focus"], rel_tol=1e-14)
    assert table.cell(2, share).number_format == "0.0%"
    assert table.column_dimensions["F"].width > 20  # cluster names are not cut to 8 characters
    rows = list(book["About"].iter_rows(values_only=True))
    blank = next(i for i, row in enumerate(rows) if not row[0])
    about = {row[0]: row[1] for row in rows[:blank]}
    legend = {row[0]: row[1] for row in rows[blank + 1 :]}
    assert "Oberbayern" in about["Table"] and about["Year"] == api["year"]
    assert "sbs_r_nuts06_r2" in about["Source"] and "/methodology" in about["Method"]
    assert "mostly estimated" in about["Estimates"] and "by clusterhub" in about["Generated"]
    assert about["Link"].endswith("/regions/DE21/clusters.xlsx?dataset=eu-sbs")
    assert legend["Column"] == "Name in CSV / API"  # the legend of every column follows
    assert legend["Estimated share (%)"] == "estimated_share"


def test_csv_keeps_raw_names_documented_in_the_xlsx_legend(client: TestClient) -> None:
    raw = client.get("/clusters/4/regions.csv").content.decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(raw)))
    assert "estimated_share" in header and "lq" in header
    assert all(name in COLUMNS for name in header), set(header) - set(COLUMNS)


def test_every_list_download_has_an_about_sheet(client: TestClient) -> None:
    for path in ("/regions.xlsx", "/clusters.xlsx", "/metrics.xlsx?cluster=4"):
        book = load_workbook(io.BytesIO(client.get(path).content))
        assert book.sheetnames[-1] == "About", path
        assert book.worksheets[0].freeze_panes == "A2"

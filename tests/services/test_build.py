"""``clusterhub build``: every output written, from the real data, and readable again."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from pypdf import PdfReader

from clusterhub.services.observatory.analytics import ClusterMap
from clusterhub.services.observatory.build import BuildRequest
from clusterhub.services.reference import ReferenceData
from clusterhub.services.reports.build import ReportRequest, build_with_report, top_regions


def test_build_writes_the_eu_emerging_and_us_outputs(
    reference: ReferenceData, tmp_path: Path
) -> None:
    steps: list[str] = []
    summary = build_with_report(
        ReportRequest(BuildRequest(tmp_path, maps=1), region_pdfs=1),
        reference,
        progress=lambda step, *_: steps.append(step),
    )
    assert all(path.exists() for path in summary.files)
    names = {path.relative_to(tmp_path).as_posix() for path in summary.files}
    expected = {"eu/cluster_map.parquet", "eu/emerging_map.parquet", "us/cluster_map.csv"}
    assert expected | {"eu/emerging_coverage.csv", "report.html"} <= names
    assert steps[-1] == "done" and steps.count("done") == 1
    emerging = pl.read_parquet(tmp_path / "eu" / "emerging_map.parquet")
    assert emerging.get_column("cluster_code").n_unique() == 10
    assert "BLUE" in emerging.get_column("cluster_code").to_list()
    eu = pl.read_parquet(tmp_path / "eu" / "cluster_map.parquet")
    assert eu.get_column("cluster_code").n_unique() >= 50
    maps = [name for name in names if name.startswith("eu/maps/")]
    assert len(maps) == 1
    us_maps = [name for name in names if name.startswith("us/maps/")]
    assert len(us_maps) == 1
    us_map = (tmp_path / us_maps[0]).read_text(encoding="utf-8")
    assert '"locations":["01","02"' in us_map and "Stars (of" in us_map  # states by FIPS code
    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert f'href="{us_maps[0]}"' in report and "states with two or more stars" in report
    assert "EU emerging industries" in report and "U.S. states (Cluster Mapping" in report
    assert "<svg" in report and "<script" not in report  # maps inline, readable offline
    # The top region's profile, as the pages print it, as HTML and PDF beside the report.
    (code,) = top_regions(summary_map(tmp_path), 1)
    assert f'href="regions/{code}.pdf"' in report
    pdf = PdfReader(tmp_path / "regions" / f"{code}.pdf")
    text = " ".join(" ".join(page.extract_text() for page in pdf.pages).split())
    assert "region profile" in text and "Strong clusters" in text and code in text
    cluster = next(name for name in names if name.startswith("clusters/") and name.endswith(".pdf"))
    assert "cluster profile" in PdfReader(tmp_path / cluster).pages[0].extract_text()


def summary_map(folder: Path) -> ClusterMap:
    """The EU map the build wrote, read back."""
    return ClusterMap(
        source="", table=pl.read_parquet(folder / "eu" / "cluster_map.parquet"),
        coverage=pl.DataFrame(), notes=(),
    )  # fmt: skip

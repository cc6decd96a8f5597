"""``clusterhub build``: every output written, from the real data, and readable again."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from clusterhub.services.observatory.build import BuildRequest, build_outputs
from clusterhub.services.reference import ReferenceData


def test_build_writes_the_eu_emerging_and_us_outputs(
    reference: ReferenceData, tmp_path: Path
) -> None:
    steps: list[str] = []
    summary = build_outputs(
        BuildRequest(tmp_path, maps=1), reference, progress=lambda step, *_: steps.append(step)
    )
    assert all(path.exists() for path in summary.files)
    names = {path.relative_to(tmp_path).as_posix() for path in summary.files}
    expected = {"eu/cluster_map.parquet", "eu/emerging_map.parquet", "us/cluster_map.csv"}
    assert expected | {"eu/emerging_coverage.csv", "report.md"} <= names
    assert steps[-1] == "done"
    emerging = pl.read_parquet(tmp_path / "eu" / "emerging_map.parquet")
    assert emerging.get_column("cluster_code").n_unique() == 10
    assert "BLUE" in emerging.get_column("cluster_code").to_list()
    eu = pl.read_parquet(tmp_path / "eu" / "cluster_map.parquet")
    assert eu.get_column("cluster_code").n_unique() >= 50
    maps = [name for name in names if name.startswith("eu/maps/")]
    assert len(maps) == 1
    report = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "EU emerging industries" in report and "U.S. states (CMP)" in report

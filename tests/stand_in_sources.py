"""A local HTTP server standing in for Eurostat, GISCO and CORDIS, serving the shared mirror's
real data at the official URL paths (``<host>/<path>``, see ``Settings.source_base_url``).

Where the official file has another layout than the mirror's extract, the mirror's data are
written in the official layout: the SBS 2015 extract as Eurostat's gzipped bulk TSV, the
flattened CORDIS tables as the official export zip (``project.csv``, ``organization.csv``).
``build_series_stand_in`` serves the ten-year stand-in of both SBS data sets instead.
Query strings are ignored, as one file stands for each URL.
"""

from __future__ import annotations

import gzip
import shutil
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import polars as pl

from clusterhub.datasets import DATASETS, eurostat_dataset, get_spec
from clusterhub.services.directory.cordis_export import LEGAL_BASES
from tests.sbs_series import new_series, old_series

_BASIS_OF_PART = {part: f"H2020-EU.{code}." for code, part in LEGAL_BASES.items()}
_BASIS_OF_PART["Euratom"] = "H2020-Euratom-1.1."


def _served(root: Path, url: str | None) -> Path:
    assert url is not None
    parts = urlsplit(url)
    path = root / parts.netloc / parts.path.lstrip("/")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def build_stand_in(mirror: Path, root: Path) -> Path:
    """Lay out ``root`` as the official servers would answer; returns ``root``."""
    for level in range(4):
        spec = get_spec(f"nuts2021-l{level}")
        shutil.copyfile(mirror / spec.mirror_path, _served(root, spec.url))
    sbs = get_spec("eurostat-sbs")
    _write_bulk_tsv(mirror / sbs.mirror_path, _served(root, sbs.url))
    _write_cordis_zip(mirror, _served(root, DATASETS["cordis-h2020-projects"].url))
    return root


def build_series_stand_in(mirror: Path, root: Path) -> Path:
    """Lay out ``root`` as the official servers would answer for the ten-year stand-in series
    (``tests/sbs_series.py``): both SBS data sets as bulk TSV, and the NUTS polygons."""
    for level in range(4):
        spec = get_spec(f"nuts2021-l{level}")
        shutil.copyfile(mirror / spec.mirror_path, _served(root, spec.url))
    _served(root, get_spec("eurostat-sbs").url).write_bytes(old_series())
    _served(root, eurostat_dataset("sbs_r_nuts2021").url).write_bytes(new_series())
    return root


def _write_bulk_tsv(extract: Path, target: Path) -> None:
    """The ``nace_r2;geo;n2015`` extract as Eurostat's bulk TSV (blank = ``:``)."""
    cells = pl.read_csv(extract, separator=";", infer_schema=False)
    lines = ["freq,indic_sb,nace_r2,geo\\TIME_PERIOD\t2015 "]
    for nace, geo, value in cells.iter_rows():
        lines.append(f"A,V16110,{nace},{geo}\t{value if value else ':'} ")
    target.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode("utf-8")))


def _write_cordis_zip(mirror: Path, target: Path) -> None:
    """The mirror's flattened participations (and programme parts, names) as the export."""
    rows = pl.read_csv(mirror / "cordis/h2020_participations.csv.gz", infer_schema=False)
    parts = pl.read_csv(mirror / "cordis/h2020_programme_parts.csv.gz", infer_schema=False)
    names = pl.read_csv(mirror / "cordis/h2020_organisations_2017.csv.gz", infer_schema=False)
    bases = (
        parts.with_columns(
            legalBasis=pl.col("programme_part").replace_strict(_BASIS_OF_PART, default=None)
        )
        .group_by("rcn")
        .agg(pl.col("legalBasis").drop_nulls().str.join(";"))
    )
    projects = (
        rows.group_by("rcn")
        .agg(
            pl.col("start_date").first().alias("startDate"),
            pl.col("end_date").first().alias("endDate"),
            pl.col("total_cost").first().alias("totalCost"),
            pl.col("max_contribution").first().alias("ecMaxContribution"),
        )
        .join(bases, on="rcn", how="left")
        .select(pl.col("rcn").alias("id"), "rcn", pl.exclude("rcn"))
    )
    orgs = rows.join(
        names.select("pic", "name", "city").unique("pic"), on="pic", how="left"
    ).select(
        pl.col("rcn").alias("projectID"),
        pl.col("pic").alias("organisationID"),
        pl.col("type").alias("activityType"),
        "role",
        pl.col("contribution").alias("ecContribution"),
        "country",
        "name",
        "city",
    )
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.csv", projects.write_csv(separator=";", quote_style="always"))
        archive.writestr("organization.csv", orgs.write_csv(separator=";", quote_style="always"))


class _Handler(BaseHTTPRequestHandler):
    server: _StandIn

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        file = self.server.root / urlsplit(self.path).path.lstrip("/")
        if not file.is_file():
            self.send_error(404)
            return
        body = file.read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _StandIn(ThreadingHTTPServer):
    daemon_threads = True
    root: Path
    requests: list[str]


@contextmanager
def stand_in_server(root: Path) -> Iterator[tuple[str, list[str]]]:
    """Serve ``root`` on a free loopback port: (base URL, the paths requested so far)."""
    httpd = _StandIn(("127.0.0.1", 0), _Handler)
    httpd.root, httpd.requests = root, []
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        host, port = httpd.server_address[:2]
        yield f"http://{host!s}:{port}", httpd.requests
    finally:
        httpd.shutdown()
        httpd.server_close()

"""Pages, API and downloads of a data set with several years (the ten-year stand-in series,
tests/sbs_series.py) and of one with a single year (the real SBS 2015 map): the year shown is
said, another can be picked, and growth is read with its period, or said to be impossible."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from clusterhub.services.audit import BOOTSTRAP
from clusterhub.services.observatory.analytics import ClusterMap
from clusterhub.services.observatory.loading import load_cluster_map
from clusterhub.services.reference import ReferenceData
from clusterhub.store.db import make_engine, make_session_factory, transaction
from clusterhub.web.app import create_app
from tests.conftest import migrated_database
from tests.sbs_series import tobacco_cagr

KEY = "eu-series"
TITLE = "EU regions, stand-in series"


@pytest.fixture(scope="module")
def series_client(
    tmp_path_factory: pytest.TempPathFactory,
    sbs_series_map: ClusterMap,
    sbs_series_reference: ReferenceData,
    sbs_series_mirror: Path,
) -> Iterator[TestClient]:
    with migrated_database("sqlite", tmp_path_factory.mktemp("series-web")) as database:
        settings = database.model_copy(update={"data_mirror": sbs_series_mirror})
        factory = make_session_factory(make_engine(settings))
        with transaction(factory) as session:
            load_cluster_map(
                session,
                key=KEY,
                title=TITLE,
                result=sbs_series_map,
                regions=sbs_series_reference.regions,
                by=BOOTSTRAP,
            )
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            yield client


def _text(html: str) -> str:
    """The page's words, tags removed and spaces folded (sentences span template lines)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _options(html: str) -> list[str]:
    select = re.search(r'<select id="year" name="year">(.*?)</select>', html, re.S)
    assert select is not None, "no year picker"
    return re.findall(r'<option value="(\d{4})"', select.group(1))


def test_the_data_set_lists_its_years_period_and_break(series_client: TestClient) -> None:
    data = next(d for d in series_client.get("/api/v1/datasets").json() if d["key"] == KEY)
    assert data["years"] == list(range(2013, 2023))
    assert data["growth_years"] == 5
    assert data["series_breaks"] == [
        {"year": 2021, "before": "sbs_r_nuts06_r2", "after": "sbs_r_nuts2021"}
    ]
    assert data["source"] == "sbs_r_nuts06_r2.tsv.gz + sbs_r_nuts2021.tsv.gz"
    assert not any(str(Path("/tmp")) in note for note in data["notes"]), "no server paths"


def test_a_region_opens_on_its_latest_year_and_offers_the_others(
    series_client: TestClient,
) -> None:
    page = series_client.get("/regions/FRJ2")
    assert page.status_code == 200
    assert _options(page.text) == [str(y) for y in range(2022, 2012, -1)]
    assert '<option value="2022" selected>' in page.text
    text = _text(page.text)
    assert "Figures of 2022 ; this data set has 2013–2022: pick another year above." in text
    # Growth is read with its period, and the series break inside it is said.
    assert "Growth / year, 2017–2022 CAGR" in text
    assert "spans the series break of 2021 (sbs_r_nuts06_r2 up to 2020, sbs_r_nuts2021" in text


def test_a_picked_year_shows_its_own_growth_period_and_provenance(
    series_client: TestClient,
) -> None:
    text = _text(series_client.get("/regions/FRJ2", params={"year": 2020}).text)
    assert "Growth / year, 2015–2020 CAGR" in text
    assert "(E2020 / E2015)^(1/5) − 1" in text
    assert "series break" not in text
    early = _text(series_client.get("/regions/FRJ2", params={"year": 2015}).text)
    assert "Formerly FR62 Midi-Pyrénées (NUTS 2013)" in early
    assert (
        "Growth cannot be computed for 2015: it compares with 2010, which "
        f"{TITLE} does not have (its years: 2013–2022). Pick 2018–2022 to see it." in early
    )
    assert "Growth / year," not in early


def test_the_api_gives_growth_with_its_start_year(series_client: TestClient) -> None:
    body = series_client.get(
        "/api/v1/clusters/43", params={"dataset": KEY, "year": 2020, "region_type": "nuts2"}
    ).json()
    assert body["year"] == 2020 and body["years"] == list(range(2013, 2023))
    period = body["growth_period"]
    assert (period["label"], period["available"], period["series_break"]) == (
        "2015–2020 CAGR",
        True,
        None,
    )
    frj2 = next(r for r in body["regions"] if r["region_code"] == "FRJ2")
    assert frj2["growth"] == pytest.approx(tobacco_cagr(2015, 2020), rel=1e-12)
    assert frj2["growth_from"] == 2015
    assert frj2["star_flags"]["dynamism"] is True
    later = series_client.get("/api/v1/regions/FRJ2", params={"dataset": KEY, "year": 2021}).json()
    assert later["growth_period"]["series_break"]["year"] == 2021
    earlier = series_client.get("/api/v1/regions/FRJ2", params={"year": 2016}).json()
    assert earlier["growth_period"]["available"] is False
    assert all(c["growth"] is None and c["growth_from"] is None for c in earlier["clusters"])


def test_the_map_takes_a_year_and_names_the_growth_period(series_client: TestClient) -> None:
    page = series_client.get(
        "/", params={"dataset": KEY, "cluster": "43", "measure": "growth", "year": 2020}
    )
    assert page.status_code == 200
    assert '<option value="2020" selected>' in page.text
    text = _text(page.text)
    assert "Figures of 2020 ; this data set has 2013–2022" in text
    assert "Growth 2015–2020 CAGR: compound annual growth rate" in text
    figure = json.loads(html.unescape(re.findall(r'data-figure="([^"]+)"', page.text)[0]))
    choropleth = next(t for t in figure["data"] if t.get("colorbar"))
    assert choropleth["colorbar"]["title"]["text"] == "Annual growth, 2015–2020 CAGR"
    fragment = series_client.get(
        "/_partials/map", params={"dataset": KEY, "cluster": "43", "measure": "growth"}
    )
    assert "Figures of <strong>2022</strong>" in fragment.text


def test_a_download_carries_the_growth_start_year(series_client: TestClient) -> None:
    body = series_client.get(
        "/regions/FRJ2/clusters.csv", params={"dataset": KEY, "year": 2020}
    ).text
    rows = list(csv.DictReader(io.StringIO(body)))
    tobacco = next(r for r in rows if r["cluster_code"] == "43")
    assert (tobacco["year"], tobacco["growth_from"]) == ("2020", "2015")


def test_one_year_says_that_growth_cannot_be_computed(client: TestClient) -> None:
    page = client.get("/regions/DE11", params={"dataset": "eu-sbs"})
    assert page.status_code == 200
    assert '<select id="year"' not in page.text
    text = _text(page.text)
    assert "Figures of 2015 , the only year of this data set." in text
    assert (
        "Growth cannot be computed: it compares 2015 with 2010, and EU regions has figures for "
        "2015 only." in text
    )
    body = client.get("/api/v1/regions/DE11", params={"dataset": "eu-sbs"}).json()
    assert body["years"] == [2015]
    assert body["growth_period"]["available"] is False
    assert body["growth_period"]["label"] == "2010–2015 CAGR"

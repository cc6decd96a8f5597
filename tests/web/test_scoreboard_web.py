"""The scoreboard on the web: the JSON API (200, 404, 422, CSV, OpenAPI) and the region-page
section, including regions the scoreboard cannot score (the page must still answer 200)."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from clusterhub.config import Settings
from clusterhub.services.accounts import users
from clusterhub.services.accounts.users import Role
from clusterhub.services.audit import BOOTSTRAP
from clusterhub.services.observatory.analytics import ClusterMap
from clusterhub.services.observatory.loading import load_cluster_map
from clusterhub.services.reference import ReferenceData
from clusterhub.services.scoreboard import imports, scorecards
from clusterhub.services.scoreboard.data import ensure_computed
from clusterhub.store.db import make_engine, make_session_factory, transaction
from clusterhub.web.app import create_app
from tests.conftest import DB_KINDS, migrated_database
from tests.web.directory_fixtures import PASSWORD, csrf

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "scoreboard"


@pytest.fixture(scope="module", params=DB_KINDS)
def site(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    eu_map: ClusterMap,
    us_map: ClusterMap,
    reference: ReferenceData,
    mirror_settings: Settings,
) -> Iterator[TestClient]:
    """The app on a database with both cluster maps and the computed indicators."""
    with migrated_database(request.param, tmp_path_factory.mktemp("sbweb")) as database:
        settings = database.model_copy(update={"data_mirror": mirror_settings.data_mirror})
        engine = make_engine(settings)
        factory = make_session_factory(engine)
        with transaction(factory) as session:
            load_cluster_map(
                session,
                key="eu-sbs",
                title="EU",
                result=eu_map,
                regions=reference.regions,
                by=BOOTSTRAP,
            )
            load_cluster_map(session, key="us-states", title="U.S.", result=us_map, by=BOOTSTRAP)
        ensure_computed(factory, reference, by=BOOTSTRAP)
        engine.dispose()
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            yield client


def test_api_answers_a_scorecard_with_peers_and_flags(site: TestClient) -> None:
    response = site.get("/api/v1/regions/DE11/scoreboard")
    assert response.status_code == 200
    body = response.json()
    assert body["region"] == "DE11" and len(body["peers"]) == 5
    codes = [d["code"] for d in body["dimensions"]]
    assert codes[:2] == ["knowledge", "finance"] and len(codes) == 6
    h2020 = next(i for i in body["indicators"] if i["code"] == "h2020_private_share")
    assert h2020["country_level"] is True
    chosen = site.get("/api/v1/regions/DE11/scoreboard", params={"peers": "DE21, ITC4"}).json()
    assert [p["code"] for p in chosen["peers"]] == ["DE21", "ITC4"]
    z = site.get("/api/v1/regions/DE11/scoreboard", params={"method": "zscore"}).json()
    assert z["method"] == "zscore" and z["margin"] == 0.5
    assert any(i["score"] < 0 for i in z["indicators"])  # below the mean: negative z
    wrong = site.get("/api/v1/regions/DE11/scoreboard", params={"method": "rank"})
    assert wrong.status_code == 422


@pytest.mark.parametrize(
    ("path", "params", "status", "field"),
    [
        ("/api/v1/regions/DE1Q/scoreboard", {}, 404, None),
        ("/api/v1/regions/06/scoreboard", {}, 422, "code"),  # a U.S. state
        ("/api/v1/regions/DE11/scoreboard", {"peers": "DE1"}, 422, "peers"),
        (
            "/api/v1/regions/DE11/scoreboard",
            {"peers": "DE12,DE13,DE14,DE21,DE22,DE23"},
            422,
            "peers",
        ),
        ("/api/v1/regions/DE11/scoreboard", {"peers": "DE21;DROP"}, 422, None),
        ("/api/v1/regions/DE11/scoreboard", {"peers": "DE11"}, 422, "peers"),  # only itself
        ("/api/v1/regions/ELZZ/scoreboard", {}, 422, "code"),  # Extra-Regio
    ],
)
def test_api_bad_input_is_a_404_or_422_in_the_error_shape(
    site: TestClient, path: str, params: dict[str, str], status: int, field: str | None
) -> None:
    response = site.get(path, params=params)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["message"]
    if field:
        assert field in json.dumps(error["details"])


def test_csv_download_carries_the_country_level_flag(site: TestClient) -> None:
    response = site.get("/api/v1/regions/DE11/scoreboard.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    kinds = {r["kind"] for r in rows}
    assert kinds == {"dimension", "indicator"}
    flagged = {r["code"]: r["country_level"] for r in rows if r["kind"] == "indicator"}
    assert flagged["h2020_participations_per_1000"].lower() == "true"
    assert flagged["sbs_kis_share"].lower() == "false"
    # Dimension rows carry the share of country-level indicators; the method has its column.
    dims = {r["code"]: r for r in rows if r["kind"] == "dimension"}
    assert float(dims["collaboration"]["country_level_share"]) == 1.0
    assert dims["collaboration"]["country_level"].lower() == "true"
    assert float(dims["knowledge"]["country_level_share"]) == 0.0
    assert dims["knowledge"]["country_level"].lower() == "false"
    assert {r["method"] for r in rows} == {"minmax"}
    assert dims["knowledge"]["unit"] == ""
    units = {r["code"]: r["unit"] for r in rows if r["kind"] == "indicator"}
    assert units["sbs_kis_share"] == "% of business-economy employment"


def test_openapi_describes_the_scoreboard(site: TestClient) -> None:
    paths = site.get("/openapi.json").json()["paths"]
    operation = paths["/api/v1/regions/{nuts_code}/scoreboard"]["get"]
    assert "ScorecardPublic" in json.dumps(operation["responses"]["200"])
    assert any(p["name"] == "peers" for p in operation["parameters"])


def test_region_page_shows_the_section_with_chart_and_bottlenecks(site: TestClient) -> None:
    page = site.get("/regions/DE11")
    assert page.status_code == 200
    section = page.text[page.text.index('id="scoreboard"') :]
    assert "Knowledge basis and skills" in section and "Peer median" in section
    assert "NUTS 2021" in section  # the NUTS version of the codes compared
    assert re.search(r"Bottlenecks:|No bottleneck", section)
    figure = re.search(r'data-figure="([^"]+)"', section)
    assert figure is not None and "Peer median" in figure.group(1)
    assert "A country-level value applied to each region" in section  # the C mark explained
    # An indicator's dimension is given by name, as are bottleneck drivers (same lookup).
    indicators = section.split("Indicators of the region")[1].split("</table>")[0]
    assert "<td>Knowledge basis and skills</td>" in indicators
    dimensions = re.findall(r"<td>(knowledge|collaboration|finance)</td>", section)
    assert not dimensions  # an indicator's dimension by name


def _dimension_rows(html: str) -> list[str]:
    """The body rows of the dimension table, tags stripped (headings differ: tips on the page)."""
    table = html.split("Dimension scores against the peer median", 1)[1].split("</tbody>", 1)[0]
    body = table.split("<tbody>", 1)[1]
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in body.split("</tr>")[:-1]]


def test_page_and_report_show_the_same_dimension_table(site: TestClient) -> None:
    page = site.get("/regions/DE11").text
    report = site.get("/regions/DE11/report").text
    rows = _dimension_rows(page)
    assert len(rows) == 6, rows  # six dimensions
    assert rows == _dimension_rows(report)
    assert '<table class="keep">\n    <caption>Dimension scores' in report  # printed unbroken


def test_region_page_without_scoreboard_data_shows_a_note(site: TestClient) -> None:
    state = site.get("/regions/06", params={"dataset": "us-states"})
    assert state.status_code == 200
    assert "Not available for this region" in state.text and "NUTS regions" in state.text
    # DE1 is a fine peer for the LQ comparison, but not for a NUTS 2 scoreboard: a note.
    chosen = site.get("/regions/DE11", params={"peers": "DE1"})
    assert chosen.status_code == 200
    section = chosen.text[chosen.text.index('id="scoreboard"') :]
    assert "Not available for this region" in section and "peers must be" in section


def logged_in(site: TestClient, role: Role) -> TestClient:
    """A fresh browser logged in as a new user with ``role``."""
    email = f"{role.value}-{uuid.uuid4().hex[:8]}@example.org"
    with transaction(site.app.state.sessions) as session:  # type: ignore[attr-defined]
        users.create_user(session, email=email, display_name="Test", password=PASSWORD, role=role)
    browser = TestClient(site.app, raise_server_exceptions=False)
    page = browser.get("/account/login")
    token = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page.text)
    assert token
    answer = browser.post(
        "/account/login",
        data={"csrf_token": token.group(1), "email": email, "password": PASSWORD},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    return browser


UPLOAD = "/api/v1/scoreboard/indicators"


def test_upload_needs_a_programme_officer_and_is_all_or_nothing(site: TestClient) -> None:
    good = ("eqi.csv", b"region,indicator,year,value\nDE11,eqi,2021,0.9\nDE12,eqi,2021,0.7\n")
    assert site.post(UPLOAD, files={"file": good}).status_code == 401
    member = logged_in(site, Role.MEMBER)
    assert (
        member.post(
            UPLOAD, files={"file": good}, headers={"X-CSRF-Token": csrf(member)}
        ).status_code
        == 403
    )
    officer = logged_in(site, Role.PROGRAMME_OFFICER)
    token = {"X-CSRF-Token": csrf(officer)}
    assert officer.post(UPLOAD, files={"file": good}).status_code == 403  # no CSRF token
    bad = ("bad values.csv", b"region,indicator,year,value\nDE11,eqi,2021,0.9\nDE13,eqi,2021,x\n")
    refused = officer.post(UPLOAD, files={"file": bad}, headers=token)
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert "bad_values.csv" in error["message"] and "/tmp" not in error["message"]
    assert [(p["line"], p["field"]) for p in error["details"]] == [(3, "value")]
    before = site.get("/api/v1/regions/DE11/scoreboard")  # now in this process's cache
    eqi = "European Quality of Government Index"
    assert eqi not in site.get("/regions/DE11").text  # the page too
    assert "eqi" not in {i["code"] for i in before.json()["indicators"] if i["value"] is not None}
    created = officer.post(UPLOAD, files={"file": good}, headers=token)
    assert created.status_code == 201, created.text
    assert created.json()["rows"] == 2 and created.json()["source"] == "user:eqi.csv"
    with site.app.state.sessions() as session:  # type: ignore[attr-defined]
        card = scorecards.region_scorecard(session, code="DE11")
    assert next(i for i in card.indicators if i.code == "eqi").value == 0.9
    # The uploading process forgets its cached answers and pages at once.
    after = site.get("/api/v1/regions/DE11/scoreboard")
    assert after.headers["x-cache"] == "miss"
    assert {i["code"]: i["value"] for i in after.json()["indicators"]}["eqi"] == 0.9
    assert eqi in site.get("/regions/DE11").text
    tsv = ("rd.tsv", (FIXTURES / "rd_e_gerdreg.tsv").read_bytes())
    eurostat = officer.post(
        UPLOAD, files={"file": tsv}, data={"eurostat": "gerd_gdp"}, headers=token
    )
    assert eurostat.status_code == 201 and eurostat.json()["indicators"] == ["gerd_gdp"]


def test_upload_named_dot_dot_is_imported_not_a_500(site: TestClient) -> None:
    officer = logged_in(site, Role.PROGRAMME_OFFICER)
    token = {"X-CSRF-Token": csrf(officer)}
    good = b"region,indicator,year,value\nDE11,eqi,2021,0.9\n"
    for name in ("..", "../../etc/x.csv", ""):
        answer = officer.post(UPLOAD, files={"file": (name, good)}, headers=token)
        assert answer.status_code in (201, 422), (name, answer.text)
        assert answer.status_code == 201 or answer.json()["error"]["details"][0]["field"] == "file"
    dotdot = officer.post(UPLOAD, files={"file": ("..", good)}, headers=token)
    assert dotdot.status_code == 201 and dotdot.json()["file"] == ".."


def test_an_upload_announced_too_large_is_refused_before_its_body_is_read(
    site: TestClient,
) -> None:
    officer = logged_in(site, Role.PROGRAMME_OFFICER)
    limit = imports.MAX_UPLOAD_BYTES
    headers = {
        "X-CSRF-Token": csrf(officer),
        "Content-Type": "multipart/form-data; boundary=x",
        "Content-Length": str(limit + 10 * 2**20),
    }
    # The body is far shorter than announced: had the server read it, the form parser would
    # have failed on it (400), not answered 413.
    answer = officer.post(UPLOAD, content=b"--x--\r\n", headers=headers)
    assert answer.status_code == 413
    assert "larger than this address accepts (50.1 MiB)" in answer.json()["error"]["message"]


def test_an_upload_of_a_million_bad_rows_answers_a_small_error(site: TestClient) -> None:
    """Issue 10: a 16 MB upload of one row repeated a million times answered with every
    duplicate listed; the error lists the first 200 and counts the rest."""
    officer = logged_in(site, Role.PROGRAMME_OFFICER)
    content = b"region,indicator,year,value\n" + b"DE11,eqi,2021,1\n" * 1_000_000
    answer = officer.post(
        UPLOAD, files={"file": ("dupes.csv", content)}, headers={"X-CSRF-Token": csrf(officer)}
    )
    assert answer.status_code == 422
    assert len(answer.content) < 100_000, len(answer.content)
    error = answer.json()["error"]
    assert len(error["details"]) == 200
    assert "999,999 problems" in error["message"] and "dupes.csv" in error["message"]

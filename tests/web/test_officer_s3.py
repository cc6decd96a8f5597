"""Programme officers import S3 strategies and code priorities on the web (SQLite and
PostgreSQL): a good file is stored and a bad one stores nothing and names line and field; the
assistant's proposal is shown with what matched; a confirmation records codes and who; members
are refused and forms need their CSRF token."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from clusterhub.services.accounts.users import Role
from clusterhub.store.s3 import S3Priority, S3Strategy
from tests.web.directory_fixtures import DirectoryWorld, csrf
from tests.web.test_officer_pages import _form_token, _user

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "s3" / "priorities.csv"
PRIORITY_LINK = re.compile(r'href="/officer/s3/priorities/(\d+)">Energy</a>')


@pytest.fixture(scope="module")
def officer(directory_world: DirectoryWorld) -> TestClient:
    return directory_world.logged_in(_user(directory_world, Role.PROGRAMME_OFFICER))


def _upload(officer: TestClient, name: str, content: bytes, token: str | None) -> str:
    answer = officer.post(
        "/officer/s3", data={"csrf_token": token} if token else {},
        files={"file": (name, content, "text/csv")},
    )  # fmt: skip
    return f"{answer.status_code} {answer.text}"


def test_an_officer_imports_and_codes_a_priority(
    directory_world: DirectoryWorld, officer: TestClient
) -> None:
    token = _form_token(officer.get("/officer/s3").text)
    bad = FIXTURE.read_bytes().replace(b"35.11;27.11", b"35.11;99.99", 1)
    refused = _upload(officer, "bad.csv", bad, token)
    assert refused.startswith("422") and "bad.csv:3, field &#39;nace&#39;" in refused, refused[
        refused.find("<main") : refused.find("</main>")
    ]
    assert "Nothing was imported" in refused
    with directory_world.app.state.sessions() as session:
        assert session.scalar(select(S3Strategy).where(S3Strategy.period == "2014-2020")) is None
    assert _upload(officer, "x.csv", FIXTURE.read_bytes(), None).startswith("403")  # no token
    done = _upload(officer, "priorities.csv", FIXTURE.read_bytes(), token)
    assert done.startswith("200") and "Imported priorities.csv" in done
    found = PRIORITY_LINK.search(officer.get("/officer/s3").text)
    assert found, "the imported priority is listed with its link"
    path = f"/officer/s3/priorities/{found.group(1)}"
    page = officer.get(path)
    assert page.status_code == 200 and "Offshore wind and smart grids" in page.text
    proposed = officer.post(f"{path}/propose", data={"csrf_token": token})
    assert proposed.status_code == 200 and "matched “" in proposed.text  # followed redirect
    wrong = officer.post(f"{path}/confirm", data={"csrf_token": token, "nace": ["35.11"],
                                                  "nace_other": "99.99"})  # fmt: skip
    assert wrong.status_code == 422 and "99.99" in wrong.text and "not saved" in wrong.text
    saved = officer.post(
        f"{path}/confirm",
        data={"csrf_token": token, "nace": ["35.11"], "nace_other": "27.11, 35.11",
              "fos": [], "objectives_other": "", "add_clusters_other": "Automotive"},
    )  # fmt: skip
    assert saved.status_code == 200 and "The coding was saved." in saved.text
    with directory_world.app.state.sessions() as session:
        priority = session.get(S3Priority, int(found.group(1)))
        assert priority is not None
        assert priority.nace_codes == ["35.11", "27.11"]
        assert priority.coding_status == "confirmed" and priority.coded_by is not None
        assert "4" in priority.cluster_codes  # Automotive, added by hand


def test_members_cannot_import_or_code(directory_world: DirectoryWorld) -> None:
    member = directory_world.logged_in(directory_world.other_email)
    token = csrf(member)
    assert member.get("/officer/s3").status_code == 403
    refused = member.post("/officer/s3", data={"csrf_token": token},
                          files={"file": ("x.csv", FIXTURE.read_bytes(), "text/csv")})  # fmt: skip
    assert refused.status_code == 403
    assert member.post("/officer/s3/priorities/1/propose",
                       data={"csrf_token": token}).status_code == 403  # fmt: skip

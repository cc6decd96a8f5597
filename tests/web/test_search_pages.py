"""The global search (page and API) and CORDIS participants without a published name."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from clusterhub.services.search import export
from clusterhub.services.search.queries import DirectoryIndex, SearchRequest, SortOrder
from tests.web.directory_fixtures import DirectoryWorld, csrf


@pytest.fixture(scope="module", name="admin")
def admin_browser(directory_world: DirectoryWorld) -> Iterator[TestClient]:
    """The Stuttgart profile's admin, logged in, sending the CSRF header with every request."""
    with directory_world.logged_in(directory_world.admin_email) as browser:
        browser.headers["X-CSRF-Token"] = csrf(browser)
        yield browser


@pytest.fixture(scope="module", name="post_id")
def stuttgart_post(admin: TestClient, directory_world: DirectoryWorld) -> int:
    body = {
        "organisation_id": directory_world.ids[directory_world.owned_key], "kind": "request",
        "title": "Stuttgart partners for battery recycling", "body": "Pilot line wanted.",
    }  # fmt: skip
    answer = admin.post("/api/v1/posts", json=body)
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def test_global_search_api_groups_every_kind(directory_world: DirectoryWorld, post_id: int) -> None:
    found = directory_world.anonymous().get("/api/v1/search", params={"q": " Stuttgart "}).json()
    assert found["query"] == "Stuttgart"
    assert "DE11" in {r["code"] for r in found["regions"]}
    assert found["regions_total"] == sum(found["regions_by_dataset"].values()) >= 1
    assert found["organisations"][0]["key"] == "webtest:stuttgart-auto"
    assert found["organisations_total"] >= 1
    assert [p["id"] for p in found["posts"]] == [post_id] and found["posts_total"] == 1
    automotive = directory_world.anonymous().get("/api/v1/search", params={"q": "automotive"})
    clusters = automotive.json()
    assert clusters["clusters_total"] == len(clusters["clusters"]) >= 2  # EU and U.S. maps
    assert {c["dataset"] for c in clusters["clusters"]} == {"eu-sbs", "us-states"}


def test_global_search_page_links_to_each_full_list(
    directory_world: DirectoryWorld, post_id: int
) -> None:
    page = directory_world.anonymous().get("/search", params={"q": "Stuttgart"})
    assert page.status_code == 200
    text = page.text
    for heading in ("Regions", "Clusters", "Organisations", "Partner posts"):
        assert f'{heading} <span class="count">' in text
    assert 'href="/directory?q=Stuttgart"' in text and 'href="/posts?q=Stuttgart"' in text
    assert 'href="/regions?q=Stuttgart&amp;dataset=eu-sbs"' in text
    assert f'href="/posts/{post_id}"' in text
    assert "No cluster name or code contains “Stuttgart”." in text


def test_global_search_blank_and_bad_queries(directory_world: DirectoryWorld) -> None:
    browser = directory_world.anonymous()
    assert browser.get("/api/v1/search").json()["organisations_total"] == 0
    assert "Type a region" in browser.get("/search").text
    for bad in ("x" * 101, "bad\x00query"):
        answer = browser.get("/api/v1/search", params={"q": bad})
        assert answer.status_code == 422
        assert answer.json()["error"]["details"][0]["field"] == "q"
        assert browser.get("/search", params={"q": bad}).status_code == 422


def test_unpublished_names_are_explained_on_page_and_in_results(
    admin: TestClient, directory_world: DirectoryWorld
) -> None:
    created = directory_world.create(admin, name="Name not published (CORDIS PIC 912345678)")
    browser = directory_world.anonymous()
    page = browser.get(f"/directory/{created['id']}").text
    assert "CORDIS does not publish this organisation's name" in page
    results = browser.get("/directory", params={"q": "912345678", "mode": "keyword"}).text
    assert "Name not published: the CORDIS export lists only a participant code." in results
    found = browser.get("/search", params={"q": "912345678"}).text
    assert "the CORDIS export lists only a participant code" in found


def test_a_directory_search_downloads_as_csv_and_xlsx(directory_world: DirectoryWorld) -> None:
    browser = directory_world.anonymous()
    params = {"q": "", "country": ["DE", "ES"], "sort": "name", "page": "2", "page_size": "1"}
    listed = browser.get(
        "/api/v1/organisations", params={**params, "page": "1", "page_size": "100"}
    )
    listed = listed.json()
    page = browser.get("/directory", params=params).text
    assert 'href="/api/v1/organisations.csv?q=&amp;country=DE&amp;country=ES&amp;sort=name"' in page
    answer = browser.get("/api/v1/organisations.csv", params=params)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    # the same filters and order as the page, paging ignored
    assert [r["key"] for r in rows] == [hit["key"] for hit in listed["items"]]
    assert answer.headers["X-Total-Count"] == str(listed["total"]) == answer.headers["X-Rows"]
    stuttgart = next(r for r in rows if r["key"] == "webtest:stuttgart-auto")
    assert (stuttgart["country"], stuttgart["cluster_codes"], stuttgart["name_published"]) == (
        "DE",
        "4",
        "True",
    )
    xlsx = browser.get("/api/v1/organisations.xlsx", params=params)
    sheet = load_workbook(io.BytesIO(xlsx.content), read_only=True).active
    assert sheet is not None
    table = list(sheet.iter_rows(values_only=True))
    assert table[0][:4] == ("Rank", "Id", "Key", "Name")  # headers for people; CSV keeps raw names
    assert [row[2] for row in table[1:]] == [r["key"] for r in rows]
    assert browser.get("/api/v1/organisations.pdf").status_code == 422


def test_a_download_stops_at_its_row_limit(directory_world: DirectoryWorld) -> None:
    request = SearchRequest(sort=SortOrder.NAME)
    with directory_world.app.state.sessions() as session:
        table = export.search_table(
            session, request=request, index=DirectoryIndex(), embedder=None, limit=2
        )
    assert len(table.rows) == 2 and table.cut and table.total > 2
    assert [r["rank"] for r in table.rows] == [1, 2]

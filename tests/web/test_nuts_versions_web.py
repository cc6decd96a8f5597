"""Old and new NUTS codes and names lead to the region, on the pages and in the API."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient


def test_the_toulouse_region_has_a_page_under_its_nuts_2021_code(client: TestClient) -> None:
    page = client.get("/regions/FRJ2")
    assert page.status_code == 200
    assert "Midi-Pyrénées" in page.text
    # The page names the NUTS 2013 code its statistics came from, and that nothing was estimated.
    assert (
        "Formerly FR62 Midi-Pyrénées (NUTS 2013): the statistics are shown as published; "
        "only the code changed." in page.text
    )
    assert "no NUTS 2021 polygon" not in page.text


def test_merged_and_split_regions_say_how_their_numbers_were_made(client: TestClient) -> None:
    occitanie = client.get("/regions/FRJ").text
    assert (
        "Formerly FR62 Midi-Pyrénées + FR81 Languedoc-Roussillon (NUTS 2013): the statistics "
        "are the exact sum of their published figures." in occitanie
    )
    warsaw = client.get("/regions/PL91").text
    assert "Made from pieces of PL12 Mazowieckie (NUTS 2013)" in warsaw
    assert "count as estimated" in warsaw
    assert "Formerly" not in client.get("/regions/DE11").text


def test_an_old_code_redirects_to_its_successor_and_says_so(client: TestClient) -> None:
    moved = client.get("/regions/FR62", params={"dataset": "eu-sbs"}, follow_redirects=False)
    assert moved.status_code == 307
    assert moved.headers["location"].startswith("http://testserver/regions/FRJ2?")
    assert "formerly=FR62" in moved.headers["location"]
    assert "dataset=eu-sbs" in moved.headers["location"]
    page = client.get("/regions/FR62")
    assert page.status_code == 200 and page.url.path == "/regions/FRJ2"
    assert "FR62 Midi-Pyrénées (NUTS 2013) is now FRJ2 Midi-Pyrénées in NUTS 2021" in page.text


def test_a_split_code_lists_the_regions_it_became(client: TestClient) -> None:
    page = client.get("/regions/PL12")
    assert page.status_code == 200
    assert "PL12 Mazowieckie is a NUTS 2013 region that was split in NUTS 2021" in page.text
    assert 'href="/regions/PL91"' in page.text and 'href="/regions/PL92"' in page.text
    # An unknown code is still a plain 404.
    assert client.get("/regions/XX99").status_code == 404


def test_region_list_finds_old_and_new_codes_and_names(client: TestClient) -> None:
    for query in ("FRJ2", "FR62", "Midi-Pyrénées", "midi pyrenees", "Occitanie"):
        page = client.get("/regions", params={"q": query, "dataset": "eu-sbs"})
        assert page.status_code == 200, query
        code = "FRJ" if query == "Occitanie" else "FRJ2"
        assert f"/regions/{code}" in page.text, query


def test_api_resolves_old_codes_and_names(client: TestClient) -> None:
    found = client.get("/api/v1/regions", params={"q": "Midi-Pyrénées", "dataset": "eu-sbs"})
    assert found.status_code == 200
    assert "FRJ2" in [r["code"] for r in found.json()["items"]]
    by_old = client.get("/api/v1/regions", params={"q": "FR62", "dataset": "eu-sbs"}).json()
    assert [r["code"] for r in by_old["items"]] == ["FRJ2"]
    moved = client.get("/api/v1/regions/FR62", params={"limit": 3}, follow_redirects=False)
    assert moved.status_code == 307
    assert moved.headers["location"] == "http://testserver/api/v1/regions/FRJ2?limit=3"
    region = client.get("/api/v1/regions/FR62", params={"limit": 3})
    assert region.status_code == 200 and region.json()["code"] == "FRJ2"
    split = client.get("/api/v1/regions/PL12")
    assert split.status_code == 404
    assert "PL91" in split.text and "PL92" in split.text


def test_site_search_finds_a_region_by_its_old_name(client: TestClient) -> None:
    found = client.get("/api/v1/search", params={"q": "Midi-Pyrénées"})
    assert found.status_code == 200
    assert "FRJ2" in [r["code"] for r in found.json()["regions"]]


def test_every_region_of_the_sbs_map_has_a_polygon(client: TestClient) -> None:
    regions = client.get("/api/v1/regions", params={"dataset": "eu-sbs", "page_size": 500}).json()[
        "items"
    ]
    assert len(regions) == 425
    assert [r["code"] for r in regions if not r["has_geometry"]] == []
    assert [r["code"] for r in regions if not r["name"]] == []
    codes = {r["code"] for r in regions}
    for level in (0, 1, 2):
        polygons = json.loads(client.get(f"/geo/nuts{level}.json").text)
        drawn = {f["properties"]["NUTS_ID"] for f in polygons["features"]}
        mine = {c for c in codes if len(c) == level + 2}
        assert mine <= drawn, sorted(mine - drawn)


def test_search_finds_the_region_of_a_town(client: TestClient) -> None:
    for query, code in (("Toulouse", "FRJ2"), ("München", "DE21"), ("munich", "DE21")):
        found = client.get("/api/v1/search", params={"q": query}).json()
        assert found["regions"][0]["code"] == code, query
        assert found["places"][0]["sentence"].endswith(f"({code})"), query
    toulouse = client.get("/api/v1/search", params={"q": "Toulouse"}).json()
    assert toulouse["places"][0]["sentence"] == "Toulouse is in Midi-Pyrénées (FRJ2)"
    munchen = client.get("/api/v1/search", params={"q": "munchen"}).json()
    assert munchen["places"][0]["sentence"] == "München (Munich) is in Oberbayern (DE21)"
    page = client.get("/search", params={"q": "Braunschweig"})
    assert "Braunschweig is in Braunschweig (DE91)" in page.text
    # A fragment of a town's name is no town.
    assert client.get("/api/v1/search", params={"q": "Toulo"}).json()["places"] == []


def test_a_region_found_by_a_former_name_or_code_says_which(client: TestClient) -> None:
    def found(q: str) -> dict[str, str | None]:
        body = client.get("/api/v1/regions", params={"q": q, "dataset": "eu-sbs"}).json()
        return {r["code"]: r["formerly"] for r in body["items"]}

    assert found("FR62") == {"FRJ2": "formerly Midi-Pyrénées (FR62)"}
    # Its current name is the same, so nothing needs saying.
    assert found("Midi-Pyrénées")["FRJ2"] is None
    assert found("FR81") == {"FRJ1": "formerly Languedoc-Roussillon (FR81)"}
    # A split region's old name: both successors say where they came from.
    # A split region's old name: both successors say where they came from; PL9, whose own
    # name ("Makroregion województwo mazowieckie") holds the words, needs no note.
    mazowieckie = found("Mazowieckie")
    assert mazowieckie["PL91"] == mazowieckie["PL92"] == "formerly Mazowieckie (PL12)"
    assert mazowieckie["PL9"] is None
    page = client.get("/search", params={"q": "FR62"})
    assert "formerly Midi-Pyrénées (FR62)" in page.text

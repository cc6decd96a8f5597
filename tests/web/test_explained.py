"""Measures are explained where they are read, and a bad peer list is answered beside its box."""

from __future__ import annotations

import re
from html import unescape

from fastapi.testclient import TestClient

from clusterhub.services.observatory.terms import TERMS


def _headers(html: str) -> list[str]:
    return [unescape(h) for h in re.findall(r"<th scope=\"col\"[^>]*>(.*?)</th>", html, flags=re.S)]


def test_region_columns_carry_their_definitions(client: TestClient) -> None:
    html = client.get("/regions/DE91").text
    headers = " ".join(_headers(html))
    for key in ("employment", "lq", "stars", "us_rule", "density", "cog", "rca"):
        assert TERMS[key].definition in headers, key
    assert "What the columns mean" in html and 'class="star-legend"' in html
    assert "productivity: wage per employee in the top 10 %" in html
    assert "(not assessable with this data)" in html


def test_columns_no_region_has_are_replaced_by_a_reason(client: TestClient) -> None:
    html = client.get("/regions/DE91").text
    assert "Wage / employee" not in " ".join(_headers(html))
    assert re.search(r"Not shown: <strong>Wage / employee</strong> — .* publishes no wage", html)


def test_the_us_states_have_wages_so_the_column_stays(client: TestClient) -> None:
    html = client.get("/regions/26", params={"dataset": "us-states"}).text
    assert "Wage / employee" in " ".join(_headers(html))


def test_names_replace_codes_on_the_region_page(client: TestClient) -> None:
    html = client.get("/regions/DE91").text
    assert "NUTS 2" in html and ">NUTS2<" not in html
    assert "<code>eu-sbs</code>" not in html and "Eurostat SBS" in html


def test_an_unknown_peer_is_refused_beside_the_box_and_the_page_stays(
    client: TestClient,
) -> None:
    page = client.get("/regions/DE91", params={"peers": "XX99, DE21"})
    assert page.status_code == 422
    assert 'id="peer-errors"' in page.text and "XX99" in page.text
    assert "Braunschweig" in page.text and "Oberbayern" in page.text  # the known peer stays


def test_more_peers_than_allowed_are_refused_not_cut(client: TestClient) -> None:
    page = client.get("/regions/DE91", params={"peers": "DE21,DE22,DE23,DE24,DE25,DE26"})
    assert page.status_code == 422
    assert "6 peer regions given; compare at most 5" in page.text
    assert "Oberbayern" not in page.text.split('id="scoreboard"')[0]


def test_the_star_map_has_one_colour_per_star_count(client: TestClient) -> None:
    html = client.get("/", params={"cluster": "4", "measure": "stars"}).text
    assert "Stars (of 2 assessable)" in html.replace("&#34;", '"')


def test_the_api_describes_each_measure_as_the_pages_do(client: TestClient) -> None:
    fields = client.get("/openapi.json").json()["components"]["schemas"]["MetricPublic"]
    for name, term in (("lq", "lq"), ("focus", "focus"), ("stars", "stars"), ("strong", "us_rule")):
        assert fields["properties"][name]["description"].startswith(TERMS[term].definition)

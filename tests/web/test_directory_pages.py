"""Directory pages on SQLite and PostgreSQL: search with facets and its HTMX fragment, profiles,
contacts, the edit form (permissions, errors, conflicts), history, admins, partnerships."""

from __future__ import annotations

import re
from html import unescape

import pytest
from fastapi.testclient import TestClient

from clusterhub.web.assets import static_url
from tests.web.directory_fixtures import DirectoryWorld, csrf

FORM_TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')
VERSION = re.compile(r'name="version" value="(\d+)"')


@pytest.fixture(scope="module")
def anonymous(directory_world: DirectoryWorld) -> TestClient:
    return directory_world.anonymous()


@pytest.fixture(scope="module")
def owner(directory_world: DirectoryWorld) -> TestClient:
    return directory_world.logged_in(directory_world.admin_email)


@pytest.fixture(scope="module")
def other(directory_world: DirectoryWorld) -> TestClient:
    return directory_world.logged_in(directory_world.other_email)


def _main(html: str) -> str:
    return html[html.index("<main") : html.index("</main>")]


def test_directory_page_has_search_facets_and_results(anonymous: TestClient) -> None:
    page = anonymous.get("/directory", params={"q": "automotive", "mode": "keyword"})
    assert page.status_code == 200
    html = page.text
    assert html.count("<h1") == 1 and 'class="skip"' in html
    assert '<label for="dir-q">' in html and 'hx-push-url="true"' in html
    for legend in ("Country", "Cluster category", "Profile type", "Label", "Members"):
        assert f"<legend>{legend}</legend>" in html
    assert re.search(r'name="cluster" value="4"\s*>\s*Automotive <span class="count">\(2\)', html)
    assert "Stuttgart <mark>Automotive</mark> Network" in html
    assert "Madrid Aerospace Cluster" not in html
    assert "2 profiles" in html


def test_ticked_facets_filter_and_stay_ticked(anonymous: TestClient) -> None:
    html = anonymous.get("/directory", params={"country": "FR", "page_size": 100}).text
    assert "Lyon Biotech Alliance" in html and "Stuttgart Automotive Network" not in html
    assert re.search(r'name="country" value="FR"\s+checked', html)
    assert "Silver label (expired)" in html


def test_htmx_gets_the_fragment_and_history_restore_the_page(anonymous: TestClient) -> None:
    fragment = anonymous.get("/directory?q=textile", headers={"HX-Request": "true"}).text
    assert "<html" not in fragment and "<legend>Country</legend>" in fragment
    assert "Demo <mark>Textile</mark> Cluster Nordwest" in fragment and ">Synthetic<" in fragment
    restore = anonymous.get(
        "/directory?q=textile",
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    ).text
    assert "<html" in restore


def test_real_only_switch_hides_synthetic_profiles(anonymous: TestClient) -> None:
    html = anonymous.get("/directory?q=textile&mode=keyword&synthetic=false").text
    assert "Textile" not in _main(html).replace('value="textile"', "")
    assert re.search(r'name="synthetic" value="false"\s+checked', html)


def test_pagination_links_keep_the_query(anonymous: TestClient) -> None:
    html = anonymous.get("/directory?sort=name&page_size=2&country=DE&country=FR").text
    links = re.findall(r'href="(/directory\?[^"]+page=2)"', html)
    assert links and "country=DE&amp;country=FR" in links[0]
    second = anonymous.get(unescape(links[0])).text
    assert "Page 2 of" in second


def test_bad_search_parameters_answer_422_not_500(anonymous: TestClient) -> None:
    for query in ("mode=x", "page=0", "label=platinum", "q=a%00b"):
        assert anonymous.get(f"/directory?{query}").status_code == 422, query


def test_profile_page_shows_groups_eligibility_and_hides_contacts(
    directory_world: DirectoryWorld, anonymous: TestClient, other: TestClient
) -> None:
    url = f"/directory/{directory_world.ids['webtest:stuttgart-auto']}"
    html = _main(anonymous.get(url).text)
    assert "<h1>Stuttgart Automotive Network" in html
    assert 'href="/regions/DE11"' in html and "Stuttgart, Stadtkreis (DE111)" in html
    assert '<a href="/clusters/4">Automotive</a>' in html
    assert "29.10 Manufacture of motor vehicles" in html
    assert html.count('class="check-passed"') == 4
    assert 'href="/partnerships/webtest-cgi"' in html
    assert "Log in to see contacts" in html and "erika@auto.example.org" not in html
    assert "/edit" not in html
    member = _main(other.get(url).text)
    assert "erika@auto.example.org" in member and "Log in to see contacts" not in member
    assert "/edit" not in member  # logged in, but not an admin of this profile


def test_checklist_marks_failed_and_unknown(
    directory_world: DirectoryWorld, anonymous: TestClient
) -> None:
    html = anonymous.get(f"/directory/{directory_world.ids['webtest:lyon-bio']}").text
    assert 'class="check-failed"' in html and 'class="check-unknown"' in html
    assert "(expired)" in html


def test_facts_from_imports_are_named_and_formatted(
    directory_world: DirectoryWorld, anonymous: TestClient
) -> None:
    html = _main(anonymous.get(f"/directory/{directory_world.ids['webtest:madrid-aero']}").text)
    assert "<dt>Horizon 2020 projects</dt><dd>12</dd>" in html
    assert "Private for-profit company (PRC)" in html
    assert "<dd>2014</dd>" in html and "<dd>999123456</dd>" in html  # no thousands separators
    assert "1,234,567.89" in html and "H2020-EU.2.1.1: 4" in html


def test_synthetic_and_html_profiles_are_marked_and_escaped(
    directory_world: DirectoryWorld, anonymous: TestClient
) -> None:
    synthetic = anonymous.get(f"/directory/{directory_world.ids['webtest:synthetic-1']}").text
    assert ">Synthetic<" in synthetic and "describes no real organisation" in synthetic
    html = anonymous.get(f"/directory/{directory_world.ids['webtest:html']}").text
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    assert "<img src=x>" not in html and "<b>bold</b>" not in html


def test_unknown_profile_is_a_404_page(anonymous: TestClient) -> None:
    page = anonymous.get("/directory/99999999")
    assert page.status_code == 404 and "<h1>Not found</h1>" in page.text
    assert anonymous.get("/directory/abc").status_code == 422


def test_edit_form_is_for_admins_only(
    directory_world: DirectoryWorld, anonymous: TestClient, owner: TestClient, other: TestClient
) -> None:
    url = f"/directory/{directory_world.ids['webtest:stuttgart-auto']}"
    assert 'href="' + url + '/edit"' in owner.get(url).text
    login = anonymous.get(url + "/edit", follow_redirects=False)
    assert login.status_code == 303 and login.headers["location"].startswith("/account/login")
    assert other.get(url + "/edit").status_code == 403
    form = owner.get(url + "/edit")
    assert form.status_code == 200 and VERSION.search(form.text)
    assert 'id="name" name="name" value="Stuttgart Automotive Network"' in form.text
    token = FORM_TOKEN.search(other.get("/directory/new").text)
    assert token
    post = other.post(url + "/edit", data={"csrf_token": token.group(1), "version": "1"})
    assert post.status_code == 403


def _form_fields(html: str) -> dict[str, str | list[str]]:
    """What a browser would submit for the form as rendered (inputs, textareas, selects)."""
    fields: dict[str, str | list[str]] = {}
    for name, value in re.findall(r'<input id="[^"]+" name="([^"]+)" value="([^"]*)"', html):
        fields[name] = unescape(value)
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html):
        fields[name] = value
    for name, value in re.findall(
        r'<textarea id="[^"]+" name="([^"]+)"[^>]*>([^<]*)</textarea>', html
    ):
        fields[name] = unescape(value)
    for select in re.findall(
        r'<select id="[^"]+" name="([^"]+)"([^>]*)>(.*?)</select>', html, re.S
    ):
        name, attributes, options = select
        chosen = re.findall(r'<option value="([^"]*)" selected', options)
        fields[name] = chosen if "multiple" in attributes else (chosen[0] if chosen else "")
    return fields


def _save(browser: TestClient, url: str, fields: dict[str, str | list[str]]) -> object:
    return browser.post(url, data=fields, follow_redirects=False)


def test_editing_saves_only_the_changed_fields(
    directory_world: DirectoryWorld, owner: TestClient
) -> None:
    created = directory_world.create(
        owner, city="Kiel", members_sme=10, members_large=10, keywords=["ships", "ports"]
    )
    url = f"/directory/{created['id']}"
    fields = _form_fields(owner.get(url + "/edit").text)
    assert fields["keywords"] == "ships\nports" and fields["members_total"] == "20"
    fields.update(city="Flensburg", members_sme="15", keywords="ships\nwind energy")
    saved = _save(owner, url + "/edit", fields)
    assert saved.status_code == 303 and saved.headers["location"] == url + "?saved=saved"
    page = _main(owner.get(url + "?saved=saved").text)
    assert "The profile was saved." in page and "Flensburg" in page and "wind energy" in page
    profile = owner.get(f"/api/v1/organisations/{created['id']}").json()
    assert profile["members_total"] == 25  # the derived total followed the types
    history = _main(owner.get(url + "/history").text)
    assert "<del>Kiel</del> → <ins>Flensburg</ins>" in history
    assert "Members in total" in history and ">2</td>" in history


def test_every_invalid_value_is_shown_at_once_in_plain_words(
    directory_world: DirectoryWorld, owner: TestClient
) -> None:
    """One submit lists every problem, shape (a number) and code (a region) alike, each
    named by its label with what was expected, linked from the summary, beside its field."""
    created = directory_world.create(owner)
    url = f"/directory/{created['id']}/edit"
    fields = _form_fields(owner.get(url).text)
    fields.update(
        nuts_code="XX99", members_sme="many", founded_year="1700", latitude="95",
        website="www.example", city="Typed by the user", target_countries=["FR", "Narnia"],
    )  # fmt: skip
    page = _save(owner, url, fields)
    assert page.status_code == 422  # type: ignore[attr-defined]
    html = unescape(page.text)  # type: ignore[attr-defined]
    assert "There are 6 problems" in html and "autofocus" in html
    for name in ("nuts_code", "members_sme", "founded_year", "latitude", "website"):
        assert f'id="{name}-error"' in html and f'href="#{name}"' in html, name
    assert 'href="#target_countries"' in html  # a coded list: the picker's select
    assert 'aria-describedby="members_sme-error"' in html and 'aria-invalid="true"' in html
    assert 'value="Typed by the user"' in html  # the editor's input is kept
    start = html.index('class="error-summary"')
    summary = html[start : html.index("</ul>", start)]
    assert "SMEs: expected a whole number, such as 12 (you entered “many”)" in summary
    assert "Founded (year) is too small: expected 1800 or more (you entered “1700”)" in summary
    assert "Latitude is too large: expected 90 or less" in summary
    assert "NUTS 2021 region code: unknown region; expected a NUTS 2021 code" in summary
    assert "Target countries: “Narnia” is not a country we know" in summary
    assert "Input should be" not in html  # no raw validator text
    order = [summary.index(label) for label in ("Website", "Founded", "NUTS", "Latitude", "SMEs")]
    assert order == sorted(order)  # in the order of the form
    assert owner.get(f"/api/v1/organisations/{created['id']}").json()["version"] == 1


def test_countries_are_taken_by_name_or_code(
    directory_world: DirectoryWorld, owner: TestClient
) -> None:
    created = directory_world.create(
        owner, country="Germany", target_countries=["Czech Republic", "fr", "Greece"]
    )
    assert created["country"] == "DE"
    assert created["target_countries"] == ["CZ", "FR", "EL"]


def test_coded_lists_are_pickers_over_native_selects(owner: TestClient) -> None:
    html = owner.get("/directory/new").text
    for name in ("cluster_codes", "languages", "target_countries"):
        assert re.search(rf'<select id="{name}" name="{name}" multiple[^>]* data-picker', html)
    assert "Ctrl" not in html  # no Ctrl+click hint
    assert html.count("Separate entries with commas or new lines.") == 5
    assert f'<script src="{static_url("picker.js")}" defer></script>' in html


def test_stale_form_shows_both_values_and_saves_on_the_second_try(
    directory_world: DirectoryWorld, owner: TestClient
) -> None:
    created = directory_world.create(owner, city="Kiel", acronym="OLD")
    url = f"/directory/{created['id']}"
    fields = _form_fields(owner.get(url + "/edit").text)
    meanwhile = owner.patch(
        f"/api/v1/organisations/{created['id']}",
        json={"version": 1, "changes": {"city": "Rostock"}},
        headers={"X-CSRF-Token": csrf(owner)},
    )
    assert meanwhile.status_code == 200
    fields.update(acronym="NEW")
    page = _save(owner, url + "/edit", fields)
    assert page.status_code == 409  # type: ignore[attr-defined]
    html = page.text  # type: ignore[attr-defined]
    assert "Someone else saved this profile meanwhile" in html and "city" in html
    assert 'id="city-current"' in html and "<strong>Rostock</strong>" in html
    assert 'value="NEW"' in html and 'value="Kiel"' in html  # the editor's input is kept
    assert VERSION.search(html).group(1) == "2"  # type: ignore[union-attr]
    retry = _form_fields(html)
    retry["city"] = "Rostock"  # adopt theirs, keep own acronym
    assert _save(owner, url + "/edit", retry).status_code == 303  # type: ignore[attr-defined]
    profile = owner.get(f"/api/v1/organisations/{created['id']}").json()
    assert (profile["city"], profile["acronym"], profile["version"]) == ("Rostock", "NEW", 3)


def test_new_profile_form_creates_and_makes_admin(anonymous: TestClient, other: TestClient) -> None:
    assert anonymous.get("/directory/new", follow_redirects=False).status_code == 303
    fields = _form_fields(other.get("/directory/new").text)
    fields.update(name="Gdansk Offshore Wind", country="PL", cluster_codes=["10"])
    created = _save(other, "/directory/new", fields)
    assert created.status_code == 303  # type: ignore[attr-defined]
    location = created.headers["location"]  # type: ignore[attr-defined]
    page = other.get(location).text
    assert "The profile was created." in page and "/edit" in page
    mine = other.get("/account/organisations").text
    assert "Gdansk Offshore Wind" in mine


def test_history_and_admins_are_for_admins_only(
    directory_world: DirectoryWorld, anonymous: TestClient, owner: TestClient, other: TestClient
) -> None:
    url = f"/directory/{directory_world.ids['webtest:stuttgart-auto']}"
    assert anonymous.get(url + "/history").status_code == 401
    assert other.get(url + "/history").status_code == 403
    assert other.get(url + "/admins").status_code == 403
    history = owner.get(url + "/history")
    assert history.status_code == 200 and "import:webtest" in history.text
    admins = owner.get(url + "/admins").text
    assert "Olga Owner" in admins and "Otto Other" not in admins


def test_adding_an_admin_lets_the_colleague_edit(
    directory_world: DirectoryWorld, owner: TestClient, other: TestClient
) -> None:
    created = directory_world.create(owner)
    url = f"/directory/{created['id']}"
    token = FORM_TOKEN.search(owner.get(url + "/admins").text)
    assert token
    unknown = owner.post(url + "/admins", data={"csrf_token": token.group(1), "email": "bad"})
    assert unknown.status_code == 422 and 'id="email-error"' in unknown.text
    nobody = owner.post(
        url + "/admins", data={"csrf_token": token.group(1), "email": "nobody@example.org"}
    )
    assert nobody.status_code == 422 and "ask them to register first" in nobody.text
    added = owner.post(
        url + "/admins",
        data={"csrf_token": token.group(1), "email": directory_world.other_email},
        follow_redirects=False,
    )
    assert added.status_code == 303
    assert other.get(url + "/edit").status_code == 200
    assert "Otto Other" in owner.get(url + "/admins").text


def test_my_organisations_lists_what_the_user_administers(
    directory_world: DirectoryWorld, anonymous: TestClient, owner: TestClient
) -> None:
    assert anonymous.get("/account/organisations", follow_redirects=False).status_code == 303
    html = _main(owner.get("/account/organisations").text)
    assert "Stuttgart Automotive Network" in html and "Lyon Biotech" not in html


def test_partnership_pages(anonymous: TestClient) -> None:
    listing = anonymous.get("/partnerships").text
    assert 'href="/partnerships/webtest-cgi"' in listing
    detail = anonymous.get("/partnerships/webtest-cgi")
    assert detail.status_code == 200 and "Stuttgart Automotive Network" in detail.text
    assert "lead" in detail.text
    assert anonymous.get("/partnerships/unknown").status_code == 404

"""Accessibility basics of every page type, checked in the browser (WCAG 2.1 A/AA subset).

Per page: one ``<h1>``; ``header``, ``nav``, ``main`` and ``footer`` landmarks; ``html lang``;
an accessible name for every form control; ``role="img"`` and a label on every chart and an
``alt`` on every image; the skip link first in the tab order, moving focus to ``main``; and on a
360 px wide phone no horizontal scrolling of the page (wide tables scroll inside their
``.table-wrap``). Colour contrast is checked from the stylesheet in tests/web/test_accessibility.py.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.e2e.live import MOBILE, PageGuard

pytestmark = pytest.mark.e2e

#: (name, path, HTTP status) of one page of each kind.
PAGES = [
    ("home", "/", 200),
    ("region", "/regions/DE11", 200),
    ("cluster", "/clusters/4", 200),
    ("regions", "/regions", 200),
    ("clusters", "/clusters", 200),
    ("search", "/search?q=bayern", 200),
    ("methodology", "/methodology", 200),
    ("events", "/events", 200),
    ("s3", "/s3", 200),  # the synthetic strategies a first start generates
    ("s3 region", "/s3/regions/ES21", 200),
    ("error", "/regions/XX99", 404),
    ("login", "/account/login", 200),
    ("register", "/account/register", 200),
]
#: Sub-pixel rounding only.
OVERFLOW_TOLERANCE = 1


def _known_bug(reason: str) -> pytest.MarkDecorator:
    """A failure reported and owned elsewhere; strict, so the fix turns it into a failure
    that asks for this mark to be removed."""
    return pytest.mark.xfail(reason=reason, strict=True)


#: Known failures, each a strict xfail naming its cause (none open now).
H1_BUGS: dict[str, str] = {}
OVERFLOW_BUGS: dict[str, str] = {}


def _params(bugs: dict[str, str]) -> list[object]:
    return [
        pytest.param(path, status, id=name, marks=[_known_bug(bugs[name])] if name in bugs else [])
        for name, path, status in PAGES
    ]


def _open(page: Page, guard: PageGuard, path: str, status: int, *, charts: bool = True) -> None:
    """Load ``path``, expect ``status``, and (with ``charts``) wait until every chart is drawn."""
    response = page.goto(path)
    assert response is not None and response.status == status
    if status >= 400:
        guard.expect_error_status(status)
    if charts:
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-figure]')]"
            ".every(el => el.querySelector('svg path'))",
            timeout=30_000,
        )


STRUCTURE_JS = """
() => {
  const text = (el) => (el ? el.textContent.replace(/\\s+/g, ' ').trim() : '');
  const nameOf = (el) => {
    if (el.getAttribute('aria-label')) return el.getAttribute('aria-label').trim();
    const by = el.getAttribute('aria-labelledby');
    if (by) return by.split(/\\s+/).map((id) => text(document.getElementById(id))).join(' ').trim();
    const labels = el.labels ? [...el.labels].map(text).join(' ').trim() : '';
    if (labels) return labels;
    if (el.tagName === 'BUTTON') return text(el);
    if (el.tagName === 'INPUT' && ['submit', 'button', 'reset'].includes(el.type)) return el.value;
    return (el.getAttribute('title') || '').trim();
  };
  const controls = [...document.querySelectorAll('input, select, textarea, button')]
    .filter((el) => el.type !== 'hidden');
  const figures = [...document.querySelectorAll('[data-figure], .map, .chart')];
  return {
    lang: document.documentElement.getAttribute('lang') || '',
    h1: [...document.querySelectorAll('h1')].map(text),
    banner: document.querySelectorAll('body > header').length,
    nav: document.querySelectorAll('header nav, body > nav').length,
    main: document.querySelectorAll('main').length,
    mainId: document.querySelector('main') ? document.querySelector('main').id : '',
    contentinfo: document.querySelectorAll('body > footer').length,
    unlabelledControls: controls.filter((el) => !nameOf(el))
      .map((el) => el.outerHTML.slice(0, 120)),
    controls: controls.length,
    unlabelledFigures: figures
      .filter((el) => el.getAttribute('role') !== 'img' || !el.getAttribute('aria-label'))
      .map((el) => el.outerHTML.slice(0, 120)),
    imagesWithoutAlt: [...document.querySelectorAll('img')]
      .filter((el) => !el.hasAttribute('alt')).map((el) => el.outerHTML.slice(0, 120)),
  };
}
"""


@pytest.mark.parametrize(("path", "status"), _params({}))
def test_landmarks_labels_and_images(page: Page, guard: PageGuard, path: str, status: int) -> None:
    _open(page, guard, path, status)
    found = page.evaluate(STRUCTURE_JS)
    assert found["lang"] == "en"
    assert found["banner"] == 1 and found["nav"] >= 1, "header with navigation"
    assert found["main"] == 1 and found["mainId"] == "main"
    assert found["contentinfo"] == 1, "footer"
    assert found["controls"] >= 2  # at least the site search box and its button
    assert found["unlabelledControls"] == []
    assert found["unlabelledFigures"] == []
    assert found["imagesWithoutAlt"] == []


@pytest.mark.parametrize(("path", "status"), _params(H1_BUGS))
def test_one_h1(page: Page, guard: PageGuard, path: str, status: int) -> None:
    _open(page, guard, path, status, charts=False)
    headings = page.evaluate("[...document.querySelectorAll('h1')].map(h => h.textContent)")
    assert len(headings) == 1, headings
    assert headings[0].strip()


@pytest.mark.parametrize(("path", "status"), _params({}))
def test_skip_link_is_first_and_moves_focus_to_main(
    page: Page, guard: PageGuard, path: str, status: int
) -> None:
    _open(page, guard, path, status, charts=False)
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "() => { const el = document.activeElement; const box = el.getBoundingClientRect();"
        " return {cls: el.className, href: el.getAttribute('href'), text: el.textContent,"
        " visible: box.left >= 0 && box.top >= 0 && box.width > 0}; }"
    )
    assert focused["cls"] == "skip" and focused["href"] == "#main", focused
    assert focused["text"] == "Skip to content"
    assert focused["visible"], "the skip link must show when it has focus"
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'main'")
    assert page.evaluate("document.activeElement.tagName") == "MAIN"


OVERFLOW_JS = """
(limit) => {
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.parentElement && el.parentElement.closest('.table-wrap')
        && getComputedStyle(el).position !== 'absolute') continue;
    const right = el.getBoundingClientRect().right;
    const name = `${el.tagName.toLowerCase()}.${el.getAttribute('class') || ''}`;
    if (right > limit) wide.push(`${name} (${Math.round(right)} px)`);
  }
  return {width: document.documentElement.scrollWidth, wide: wide.slice(0, 8)};
}
"""


@pytest.mark.parametrize(("path", "status"), _params(OVERFLOW_BUGS))
def test_no_horizontal_scrolling_on_a_phone(
    mobile_guarded: tuple[Page, PageGuard], path: str, status: int
) -> None:
    page, guard = mobile_guarded
    _open(page, guard, path, status)
    limit = MOBILE["width"] + OVERFLOW_TOLERANCE
    found = page.evaluate(OVERFLOW_JS, limit)
    assert found["width"] <= limit, f"page is {found['width']} px wide: {found['wide']}"

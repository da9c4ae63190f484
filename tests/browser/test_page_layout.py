"""Module and milestone pages read whole at 1280 px: nothing runs past the content column, one search box,
and the Run-in-browser caption says what the button does. Pages only: no kernel is started."""

from pathlib import Path

import pytest

from test_e2e import SITE, browser_profiles, serve  # noqa: F401

VIEWPORT_WIDTH = 1280
# What does not fit the content column. Notebook code cells scroll sideways on purpose (wrapped code
# would misread), so their insides are left out; every other box, display math included, must end inside
# the column, and every prose text block (connection map, diagram) must show all its text without scrolling.
OVERFLOW_JS = """() => {
    const article = document.querySelector('.bd-article');
    const edge = article.getBoundingClientRect().right + 1;
    const scrollingCode = (el) => el.closest('.cell_input pre, .cell_output pre') !== null;
    const screenReaderCopy = (el) => el.closest('mjx-assistive-mml') !== null;  // MathJax's, clipped to 1px
    const describe = (el) => `${el.tagName.toLowerCase()}.${el.className} "${el.textContent.trim().slice(0, 50)}"`;
    const beyond = [...article.querySelectorAll('*')]
        .filter(el => !screenReaderCopy(el))
        .filter(el => !scrollingCode(el) || el.matches('.cell_input pre, .cell_output pre'))
        .filter(el => el.getBoundingClientRect().width > 0 && el.getBoundingClientRect().right > edge)
        .map(describe);
    const hidden = [...article.querySelectorAll('pre')]
        .filter(pre => !scrollingCode(pre) && pre.scrollWidth > pre.clientWidth + 1)
        .map(pre => `${describe(pre)} needs ${pre.scrollWidth}px, has ${pre.clientWidth}px`);
    return {beyond, hidden, pageScrollsSideways: document.documentElement.scrollWidth > window.innerWidth};
}"""
VISIBLE_SEARCH_JS = """() => [...document.querySelectorAll('.search-button-field, .search-button, form.bd-search')]
    .filter(el => el.offsetWidth > 0 || el.offsetHeight > 0).length"""


def pages():
    found = sorted(SITE.glob("modules/*.html")) + sorted(SITE.glob("milestones/*.html"))
    return [path.relative_to(SITE).as_posix() for path in found] or ["missing"]


@pytest.fixture(scope="module")
def page_at_1280(serve, browser_profiles):
    if not (SITE / "index.html").exists():
        pytest.fail(f"no built site in {SITE}: run the build first (bash scripts/test.sh does it)")
    context, _ = browser_profiles("student")
    page = context.new_page()
    page.set_viewport_size({"width": VIEWPORT_WIDTH, "height": 900})
    yield page, serve(SITE)
    page.close()


@pytest.mark.parametrize("page_path", pages())
def test_page_fits_the_content_column_at_1280_px(page_path, page_at_1280):
    assert page_path != "missing", f"no module pages in {SITE}: run the build first"
    page, base_url = page_at_1280
    page.goto(base_url + page_path)
    layout = page.evaluate(OVERFLOW_JS)
    assert not layout["pageScrollsSideways"], f"{page_path}: the page scrolls sideways at {VIEWPORT_WIDTH} px"
    assert not layout["beyond"], f"{page_path}: past the content column: {layout['beyond'][:5]}"
    assert not layout["hidden"], f"{page_path}: text blocks cut off: {layout['hidden'][:5]}"
    assert page.evaluate(VISIBLE_SEARCH_JS) == 1, f"{page_path}: not exactly one visible search box"
    if Path(page_path).parent.name == "modules":
        caption = page.locator(".run-in-browser").inner_text()
        assert "opens a new tab" in caption and "no install" in caption, caption

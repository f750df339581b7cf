"""The board page in a real headless browser (Debian's chromium, driven over the DevTools pipe):
it renders the cards and the chart, with no console error and no request beyond the file
itself; the filters and the keyboard work; hostile names stay text. Screenshots (light and
dark) go to the test's tmp folder and their paths are printed (`pytest -s` shows them).

Skips, saying why, where no chromium is installed (`.ci/run` installs one where it can).
POLICYLINT_WRITE_SCREENSHOT=docs/board.png also writes the README's screenshot.
"""
from __future__ import annotations

import json
import os
import tempfile

import pytest

from chromium_cdp import BrowserError, Chromium, find_chromium
from conftest import ROOT
from boardcli import HOSTILE, board_cli, hostile_doc
from historyrepo import make_history

CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium to open the page in (apt-get install chromium, "
                                                         "or set POLICYLINT_CHROMIUM to a Chrome or Chromium binary)")


@pytest.fixture(scope="module")
def browser():
    with tempfile.TemporaryDirectory(prefix="policylint-chromium-") as profile:
        try:
            chromium = Chromium(CHROMIUM, profile)
            chromium.send("Browser.getVersion")
        except (BrowserError, OSError) as exc:
            pytest.skip(f"chromium at {CHROMIUM} does not start headless: {exc}")
        with chromium:
            yield chromium


@pytest.fixture(scope="module")
def board_page(tmp_path_factory):
    """The board of the sample repository with its scripted history, as a file."""
    repo = make_history(tmp_path_factory.mktemp("browser"))
    cwd = os.getcwd()
    os.chdir(repo)
    try:
        assert board_cli("--no-cache", "-o", "board.html", "--repo-url", "https://github.com/acme/speckit-demo") == 0
    finally:
        os.chdir(cwd)
    return repo / "board.html"


def test_the_page_renders_cards_and_chart_with_no_error_and_no_request(browser, board_page, tmp_path):
    page = browser.page()
    page.open(board_page.as_uri())
    seen = page.evaluate("""({
        cards: document.querySelectorAll('.card').length,
        columns: Array.from(document.querySelectorAll('.lifecycle .column h3')).map(h => h.textContent),
        bands: document.querySelectorAll('svg.chart path.band').length,
        chartWidth: document.querySelector('svg.chart').getBoundingClientRect().width,
        tableRows: document.querySelectorAll('details.table tbody tr').length,
        filters: !document.getElementById('filters').hidden,
        ahead: Array.from(document.querySelectorAll('.card.claim-ahead h4')).map(h => h.textContent),
    })""")
    shot = tmp_path / "board.png"
    page.screenshot(shot)
    print(f"\nscreenshot: {shot}")
    assert page.problems() == []
    assert seen["cards"] == 5
    assert seen["columns"][:3] == ["draft 0", "clarified 2", "planned 0"]
    assert seen["bands"] >= 3 and seen["chartWidth"] > 300
    assert seen["tableRows"] == 7
    assert seen["filters"]
    assert seen["ahead"] == ["specs/001-password-reset", "specs/002-invoice-csv-export"]
    if os.environ.get("POLICYLINT_WRITE_SCREENSHOT"):
        target = ROOT / os.environ["POLICYLINT_WRITE_SCREENSHOT"]
        page.send("Emulation.setDeviceMetricsOverride", {"width": 1440, "height": 900, "deviceScaleFactor": 1,
                                                         "mobile": False})
        page.screenshot(target)
        print(f"wrote {target}")


def test_dark_scheme_and_print(browser, board_page, tmp_path):
    page = browser.page()
    page.send("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    page.open(board_page.as_uri())
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    shot = tmp_path / "board-dark.png"
    page.screenshot(shot)
    print(f"\nscreenshot (dark): {shot}")
    assert background == "rgb(21, 23, 26)"
    page.send("Emulation.setEmulatedMedia", {"media": "print", "features": []})
    assert page.evaluate("getComputedStyle(document.getElementById('filters')).display") == "none"
    assert page.problems() == []


def test_filters_search_and_keyboard(browser, board_page):
    page = browser.page()
    page.open(board_page.as_uri())

    def visible():
        return page.evaluate("Array.from(document.querySelectorAll('.cards>li')).filter(li => !li.hidden)"
                             ".map(li => li.querySelector('h4').textContent)")

    page.key("/", "Slash", 191)  # `/` focuses the search box, as on GitHub
    assert page.evaluate("document.activeElement.id") == "f-search"
    page.send("Input.insertText", {"text": "invoice"})
    assert visible() == ["specs/002-invoice-csv-export"]
    assert page.evaluate("document.getElementById('shown').textContent") == "1 of 5 subjects shown"
    page.evaluate("document.getElementById('f-clear').click()")
    page.evaluate("var a=document.getElementById('f-ahead'); a.click()")
    assert visible() == ["specs/001-password-reset", "specs/002-invoice-csv-export"]
    page.evaluate("document.getElementById('f-clear').click()")
    assert len(visible()) == 5
    page.evaluate("document.querySelector('.card').focus()")
    first = page.evaluate("document.activeElement.querySelector('h4').textContent")
    page.key("ArrowDown", "ArrowDown", 40)
    second = page.evaluate("document.activeElement.querySelector('h4').textContent")
    assert (first, second) == ("specs/004-activity-feed", "specs/005-dark-mode")
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"  # a focus ring
    page.key("Tab", "Tab", 9)
    assert page.evaluate("document.activeElement.tagName") in ("A", "SUMMARY", "ARTICLE")
    assert page.problems() == []


def test_a_hostile_subject_name_stays_text(browser, tmp_path):
    from policylint.board_html import render

    path = tmp_path / "hostile.html"
    path.write_text(render(hostile_doc()), encoding="utf-8")
    page = browser.page()
    page.open(path.as_uri())
    assert page.evaluate("document.scripts.length") == 1
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    assert page.evaluate("document.querySelector('.card h4').textContent") == f"specs/{HOSTILE}"
    assert page.problems() == []


def test_the_harness_sees_errors_and_requests(browser, tmp_path):
    """The checks above can fail: a page that logs an error and fetches an image is caught."""
    path = tmp_path / "noisy.html"
    path.write_text('<img src="https://example.com/x.png"><script>console.error("boom")</script>', encoding="utf-8")
    page = browser.page()
    page.open(path.as_uri())
    problems = page.problems()
    assert "request: https://example.com/x.png" in problems
    assert "console.error: boom" in problems
    assert json.dumps(problems)

"""The HTML report in a real headless Chromium, used as a reader would use it.

Chromium is driven through chromedriver's W3C WebDriver HTTP interface with
the standard library only, so nothing is downloaded: it needs Debian's
``chromium`` and ``chromium-driver`` packages (``make install-browser``). The
test is skipped only when they are not installed.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from jtai_tools.cli import app
from test_render import build_db

CHROMIUM = next(
    filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None
)
CHROMEDRIVER = shutil.which("chromedriver")
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"  # the W3C key of an element reference

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="needs chromium and chromedriver (make install-browser)",
)


class Browser:
    """A minimal W3C WebDriver client: just the commands these tests use."""

    def __init__(self, url: str) -> None:
        self.url = url
        args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--window-size=1200,900"]
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
        }}}
        self.session = self._call("POST", "/session", caps)["sessionId"]

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body if body is not None else {}).encode() if method == "POST" else None
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.loads(response.read())["value"]
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"WebDriver {method} {path}: {exc.read()[:500]!r}") from exc

    def cmd(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return self._call(method, f"/session/{self.session}{path}", body)

    def open(self, url: str) -> None:
        self.cmd("POST", "/url", {"url": url})

    def run(self, script: str, *args: Any) -> Any:
        return self.cmd("POST", "/execute/sync", {"script": script, "args": list(args)})

    def find(self, css: str) -> str:
        return self.cmd("POST", "/element", {"using": "css selector", "value": css})[ELEMENT]

    def click(self, element: str) -> None:
        self.cmd("POST", f"/element/{element}/click")

    def displayed(self, element: str) -> bool:
        return bool(self.cmd("GET", f"/element/{element}/displayed"))

    def text(self, element: str) -> str:
        return str(self.cmd("GET", f"/element/{element}/text"))

    def screenshot(self) -> bytes:
        return base64.b64decode(self.cmd("GET", "/screenshot"))

    def quit(self) -> None:
        self._call("DELETE", f"/session/{self.session}")


@pytest.fixture()
def browser(tmp_path: Path) -> Iterator[Browser]:
    """Chromium behind a chromedriver on a free local port, shut down after the test."""
    log = tmp_path / "chromedriver.log"
    with log.open("w") as sink:
        driver = subprocess.Popen([str(CHROMEDRIVER), "--port=0"], stdout=sink,
                                  stderr=subprocess.STDOUT)
    try:
        port = None
        for _ in range(200):
            found = re.search(r"started successfully on port (\d+)", log.read_text())
            if found:
                port = int(found.group(1))
                break
            time.sleep(0.05)
        assert port, f"chromedriver did not start: {log.read_text()}"
        session = Browser(f"http://127.0.0.1:{port}")
        try:
            yield session
        finally:
            session.quit()
    finally:
        driver.terminate()
        driver.wait(timeout=30)


def test_report_in_chromium_heatmap_click_shows_findings(browser: Browser,
                                                         tmp_path: Path) -> None:
    db = build_db(tmp_path / "jtai.db")
    page = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["report", "sutton", "lewisham", "surrey",
                                      "--output", str(page), "--db", str(db)])
    assert result.exit_code == 0, result.output
    browser.open(page.as_uri())

    # the heatmap and the finding lists are there
    shape = browser.run(
        "return [document.querySelectorAll('table.heatmap tbody tr').length,"
        " document.querySelectorAll('table.heatmap thead th').length,"
        " document.querySelectorAll('#themes ol.findings li').length,"
        " performance.getEntriesByType('resource').length];"
    )
    assert shape[0] >= 9 and shape[1] == 4  # themes; "Theme" + three areas
    assert shape[2] >= 11
    assert shape[3] == 0  # nothing fetched: styles and script are inline

    # the script recolours every cell on load exactly as the page was written
    written = re.findall(r'<td class="cell[^"]*" data-col="[^"]+" style="([^"]+)"',
                         page.read_text("utf-8"))
    shown_styles = browser.run(
        "return Array.from(document.querySelectorAll('table.heatmap td.cell')).map("
        "td => [td.style.backgroundColor, td.style.color]);")
    assert len(shown_styles) == len(written)
    assert shown_styles == [[_rgb(part) for part in style.split(";")] for style in written]
    # a legend says what colour and bar mean
    legend = browser.text(browser.find("#legend"))
    assert "all strengths" in legend and "all concerns" in legend and "Bar:" in legend

    panel = browser.find("#cell-panel")
    assert not browser.displayed(panel)
    cell = browser.find('a[data-cell="cell--supervision--sutton"]')
    assert browser.text(cell) == "2 | 0"
    browser.click(cell)
    assert browser.displayed(panel)
    shown = browser.text(browser.find("#cell-panel-body"))
    assert "Management oversight of casework is not consistently effective." in shown
    assert "Supervision does not always challenge drift" in shown
    assert "Records say" not in shown  # Lewisham's finding is in another cell
    assert "Sutton" in browser.text(browser.find("#cell-panel-title"))
    assert browser.run("return location.hash;") == "#cell--supervision--sutton"

    # a hostile finding is shown as text, never run
    lewisham = browser.find('a[data-cell="cell--supervision--lewisham"]')
    browser.click(lewisham)
    shown = browser.text(browser.find("#cell-panel-body"))
    assert "Records say \"<script>alert('x')</script>\" & other <b>odd</b> text" in shown
    assert browser.run("return Array.from(document.scripts).map(s => s.type);") == [
        "application/json", ""]  # our data and our script, nothing from the report

    # filtering out the SIF leaves Sutton's 2023 JTAI alone in its column
    browser.click(browser.find('input[name="type"][value="sif"]'))
    sutton = browser.find('a[data-cell="cell--supervision--sutton"]')
    assert browser.text(sutton) == "1 | 0"
    status = browser.text(browser.find("#filter-status"))
    assert status.startswith("3 of 4 reports shown")
    assert "Management oversight of casework" not in browser.text(browser.find("#themes"))
    browser.click(browser.find('input[name="type"][value="sif"]'))
    assert browser.text(sutton) == "2 | 0"
    # and the year filter does the same by year
    browser.run("var s = document.querySelector('select[name=from]'); s.value = '2023';"
                " s.dispatchEvent(new Event('change', {bubbles: true}));")
    assert browser.text(sutton) == "1 | 0"

    # what an analyst sees first: every report, the heatmap and its legend
    browser.run("var s = document.querySelector('select[name=from]'); s.value = '2017';"
                " s.dispatchEvent(new Event('change', {bubbles: true})); window.scrollTo(0, 0);")
    assert browser.text(sutton) == "2 | 0"
    shot = browser.screenshot()
    assert shot.startswith(b"\x89PNG") and len(shot) > 10_000
    (tmp_path / "report.png").write_bytes(shot)


def _rgb(declaration: str) -> str:
    """``background:#b2182b`` as the browser reports the colour: ``rgb(178, 24, 43)``."""
    value = declaration.split(":")[1].lstrip("#")
    return "rgb({}, {}, {})".format(*(int(value[i:i + 2], 16) for i in (0, 2, 4)))


def test_index_of_many_areas_picks_columns_and_opens_area_pages(
        browser: Browser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from jtai_tools import render

    monkeypatch.setattr(render, "MAX_AREAS_PER_PAGE", 2)
    db = build_db(tmp_path / "jtai.db")
    page = tmp_path / "all.html"
    result = CliRunner().invoke(app, ["report", "--output", str(page), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "one page per area" in result.output
    browser.open(page.as_uri())

    def shown_columns() -> list[str]:
        return browser.run("return Array.from(document.querySelectorAll("
                           "'table.heatmap thead th[data-col]')).filter(th =>"
                           " th.offsetParent !== null).map(th => th.dataset.col);")

    assert shown_columns() == ["lewisham", "surrey"]  # the first two of the list
    browser.click(browser.find('input[name="area"][value="sutton"]'))
    assert shown_columns() == ["lewisham", "surrey", "sutton"]
    browser.click(browser.find('button[data-areas="none"]'))
    assert shown_columns() == []
    browser.click(browser.find('button[data-areas="all"]'))
    # a cell opens its area's own page at the theme
    browser.click(browser.find('td[data-col="sutton"] a[href*="theme--supervision"]'))
    assert browser.run("return location.pathname;").endswith("/all-areas/sutton.html")
    assert browser.run("return location.hash;") == "#theme--supervision"
    text = browser.text(browser.find("#theme--supervision"))
    assert "Management oversight of casework is not consistently effective." in text
    assert browser.run("return document.querySelector('a.home').getAttribute('href');") == (
        "../all.html")

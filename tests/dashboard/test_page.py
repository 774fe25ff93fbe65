"""The dashboard in a real browser with no network: it draws every chart, logs no error, fetches
nothing, and leaves a screenshot in artifacts/dashboard.png for a human to look at."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from tests.dashboard.headless_chromium import INSTALL_HINT, find_chromium, open_page
from tests.dashboard.warehouse_rows import LoadedDate

from awstwin.core.paths import ARTIFACTS_DIR
from awstwin.dashboard import render_dashboard
from awstwin.dashboard.charts import CHARTS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(find_chromium() is None, reason=f"needs headless Chromium: {INSTALL_HINT}"),
]

SCREENSHOT = ARTIFACTS_DIR / "dashboard.png"
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")
DRAWN = "document.body && document.body.dataset.chartsDrawn"

# Per plotly chart: its traces, and the marks it drew in its SVG (points, lines, heatmap image, slices).
CHARTS_JS = """
Array.from(document.querySelectorAll("div.chart")).map(function (div) {
  return {
    id: div.id,
    plotted: div.classList.contains("js-plotly-plot"),
    svg: div.querySelectorAll("svg.main-svg").length,
    traces: (div._fullData || []).map(function (t) { return t.type; }),
    marks: div.querySelectorAll(
      ".scatterlayer .point, .scatterlayer .js-line, g.hm image, g.slice path").length,
    width: div.getBoundingClientRect().width
  };
})
"""


@pytest.fixture(scope="module")
def page(connection: Any, generated: LoadedDate, request: pytest.FixtureRequest, tmp_path_factory) -> Path:
    """The dashboard of the real dataset when ../shared/data has it, else of the generated data."""
    try:
        loaded: LoadedDate = request.getfixturevalue("real")
    except pytest.skip.Exception:
        loaded = generated
    path = tmp_path_factory.mktemp("page") / "dashboard.html"
    path.write_text(render_dashboard(connection, loaded.ingest_date), encoding="utf-8")
    return path


def test_dashboard_draws_every_chart_offline_without_errors(page: Path) -> None:
    SCREENSHOT.unlink(missing_ok=True)
    report = open_page(
        page.as_uri(), ready_expression=DRAWN, evaluate={"charts": CHARTS_JS}, screenshot=SCREENSHOT
    )

    assert report.ready, f"the charts never finished drawing; console: {report.console_errors}"
    assert report.console_errors == []
    assert [url for url in report.requests if not url.startswith(LOCAL_SCHEMES)] == []
    charts = report.evaluations["charts"]
    assert [c["id"] for c in charts] == list(CHARTS)
    for chart in charts:
        assert chart["plotted"] and chart["svg"] >= 1, chart
        assert chart["traces"] and chart["marks"] >= 1, f"chart {chart['id']} drew no data: {chart}"
        assert chart["width"] > 200, chart
    assert SCREENSHOT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert SCREENSHOT.stat().st_size > 50_000  # a full page with six charts, not a blank one


def test_the_page_is_one_file_that_names_no_other(page: Path) -> None:
    html = page.read_text()
    assert not re.search(r"<script[^>]+src=", html, re.I)
    markup = re.sub(r"<script\b[^>]*>.*?</script>", "", html, flags=re.S | re.I)  # plotly.js names URLs
    assert not re.search(r"<link\b|<iframe\b|<img\b|@import|url\(", markup, re.I)
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:[a-z]+:)?//""", markup, re.I)
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert "Plotly.newPlot" in html and html.count('class="chart"') == len(CHARTS)


def test_the_check_catches_a_page_that_needs_the_network(tmp_path: Path) -> None:
    """The harness itself can fail: a page loading plotly from a CDN errors and draws nothing."""
    broken = tmp_path / "cdn.html"
    broken.write_text(
        '<!DOCTYPE html><html><body><div id="c" class="chart"></div>'
        '<script src="https://cdn.plot.ly/plotly-2.35.2.min.js"></script>'
        '<script>Plotly.newPlot("c", [{y: [1, 2]}]).then(function () {'
        ' document.body.dataset.chartsDrawn = "1"; });</script></body></html>'
    )
    report = open_page(broken.as_uri(), ready_expression=DRAWN, evaluate={"charts": CHARTS_JS}, timeout=2)
    assert not report.ready
    assert any("cdn.plot.ly" in url for url in report.requests)
    assert any("Plotly is not defined" in error for error in report.console_errors), report.console_errors
    assert report.evaluations["charts"][0]["marks"] == 0

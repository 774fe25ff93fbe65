"""One self-contained HTML page: KPI cards, Findings, and a chart with its statistics per question.

Everything is inlined (plotly's JavaScript bundle from the installed package, the CSS, the figures as
JSON), and a Content-Security-Policy forbids any fetch, so the page opens the same from a laptop's
disk, an S3 download or an e-mail attachment, with no network.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import json
from collections.abc import Iterable, Sequence
from typing import Any

import plotly.io as pio
import plotly.offline

from awstwin.dashboard import charts, fmt, stats
from awstwin.dashboard.analysis import Analysis, GroupComparison, GroupedScores, analyse
from awstwin.dashboard.data import read_marts
from awstwin.dashboard.findings import Finding, findings

TITLE = "Student Performance Factors"
# No network: scripts and styles only from this file; images only as data/blob URLs (heatmaps, export).
CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data: blob:; font-src data:; connect-src 'none'"
)
PLOT_CONFIG = {"displaylogo": False, "responsive": True}

CSS = """
:root { --ink: #1d2433; --muted: #5b6474; --line: #e3e7ee; --accent: #1f5fa8; --ok: #1d7a46; --no: #8a5a00; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
  background: #f6f8fb; }
header, main, footer { max-width: 1180px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 28px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 0 0 10px; }
h3 { font-size: 15px; margin: 16px 0 6px; color: var(--muted); }
.sub { color: var(--muted); margin: 0 0 18px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 18px 20px;
  margin: 0 0 18px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px;
  background: none; border: 0; padding: 0; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; }
.card .label { color: var(--muted); font-size: 13px; }
.card .value { font-size: 24px; font-weight: 650; }
.card .note { color: var(--muted); font-size: 12px; }
.findings ol { margin: 0; padding-left: 20px; }
.findings li { margin: 0 0 10px; }
.badge { display: inline-block; font-size: 11px; font-weight: 600; text-transform: uppercase;
  letter-spacing: .03em; border-radius: 4px; padding: 1px 6px; margin-right: 6px; color: #fff; }
.badge.yes { background: var(--ok); } .badge.no { background: var(--no); }
.badge.na { background: var(--muted); }
.grid { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 18px; align-items: start; }
.grid.even { grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); }
@media (max-width: 860px) { .grid, .grid.even { grid-template-columns: 1fr; } }
.chart { width: 100%; min-height: 300px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 0 0 8px; }
th, td { text-align: right; padding: 4px 6px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { white-space: normal; vertical-align: bottom; }
.scroll { overflow-x: auto; }
th:first-child, td:first-child { text-align: left; }
th { color: var(--muted); font-weight: 600; }
.verdict { font-weight: 600; }
.note { color: var(--muted); font-size: 13px; }
footer { color: var(--muted); font-size: 13px; padding-bottom: 30px; }
code { background: #eef1f6; padding: 1px 4px; border-radius: 4px; }
"""

# Draws every figure and marks the page once all have rendered (a headless check waits for it).
BOOT_JS = """
(function () {
  var figures = JSON.parse(document.getElementById("figures").textContent);
  var config = JSON.parse(document.getElementById("plot-config").textContent);
  var ids = Object.keys(figures);
  Promise.all(ids.map(function (id) {
    return Plotly.newPlot(id, figures[id].data, figures[id].layout, config);
  })).then(function () {
    document.body.setAttribute("data-charts-drawn", String(ids.length));
  });
})();
"""


@functools.lru_cache(maxsize=1)
def plotly_js() -> str:
    """plotly.js from the installed plotly package (read once per process)."""
    return plotly.offline.get_plotlyjs()


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _script_json(value: Any) -> str:
    """JSON that is safe inside a <script> element (no '</' can close it)."""
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return text.replace("</", "<\\/")


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], css: str = "stats") -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{_e(cell)}</td>" for cell in row) + "</tr>" for row in rows)
    table_html = f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    return f'<div class="scroll">{table_html}</div>'


def _pairs(rows: Iterable[tuple[str, str]]) -> str:
    return table(("statistic", "value"), rows, "stats test")


def _chart(chart_id: str, figures: dict[str, Any]) -> str:
    if chart_id not in figures:
        return '<p class="note">Not enough data for this chart.</p>'
    return f'<div id="{chart_id}" class="chart" role="img" aria-label="{_e(chart_id[6:])} chart"></div>'


def _group_rows(groups: Sequence[stats.Summary], cis: Sequence[stats.Interval | None]) -> list[list[str]]:
    return [
        [
            g.label,
            fmt.count(g.n),
            fmt.score(g.mean),
            "n/a" if g.sd is None else fmt.score(g.sd),
            fmt.interval(ci),
        ]
        for g, ci in zip(groups, cis, strict=True)
    ]


GROUP_HEADERS = ("group", "n", "mean score", "SD", "95% CI of mean")


def _anova_rows(test: stats.Anova | None) -> list[tuple[str, str]]:
    if test is None:
        return [("one-way ANOVA", "not enough groups")]
    return [
        ("F", fmt.statistic(test.f)),
        ("degrees of freedom", f"{test.df_between}, {test.df_within}"),
        ("p-value", fmt.p_value(test.p)),
        ("effect size η²", fmt.coefficient(test.eta_squared)),
        ("n", fmt.count(test.n)),
        ("verdict (α = 0.05)", fmt.significance(test.p)),
    ]


def _welch_rows(cmp: GroupComparison | None) -> list[tuple[str, str]]:
    if cmp is None or cmp.test is None:
        return [("Welch's t-test", "not enough data in one of the groups")]
    test = cmp.test
    return [
        (f"difference ({cmp.a.label} − {cmp.b.label})", f"{fmt.score(test.diff)} points"),
        ("95% CI of the difference", fmt.interval(test.ci)),
        ("effect size Cohen's d", fmt.coefficient(test.cohens_d)),
        ("Welch t", fmt.statistic(test.t)),
        ("degrees of freedom (Welch)", fmt.df(test.df)),
        ("p-value", fmt.p_value(test.p)),
        ("n", fmt.count(test.n)),
        ("verdict (α = 0.05)", fmt.significance(test.p)),
    ]


def _kpi_cards(analysis: Analysis) -> str:
    k = analysis.marts.kpis
    share = analysis.extracurricular_share
    cards = [
        ("Students", fmt.count(k.n), "valid rows loaded"),
        ("Mean exam score", fmt.score(k.avg_exam_score), f"SD {fmt.score(k.sd_exam_score or 0)}"),
        ("Mean attendance", fmt.pct(k.avg_attendance), "of classes"),
        ("Hours studied", fmt.hours(k.avg_hours_studied), "mean per week"),
        ("Sleep", fmt.hours(k.avg_sleep_hours), "mean hours per night"),
        ("Physical activity", fmt.hours(k.avg_physical_activity), "mean hours per week"),
        (
            "Extracurricular",
            "n/a" if k.extracurricular_yes_pct is None else fmt.pct(k.extracurricular_yes_pct),
            "take part" + ("" if share is None else f", 95% CI {fmt.interval(share.ci, fmt.share)}"),
        ),
    ]
    return "".join(
        f'<div class="card"><div class="label">{_e(label)}</div><div class="value">{_e(value)}</div>'
        f'<div class="note">{_e(note)}</div></div>'
        for label, value, note in cards
    )


def _quarantine_line(analysis: Analysis) -> str:
    """How many rows of the date failed validation and why: they are in no figure of the page."""
    marts = analysis.marts
    if not marts.quarantined:
        return '<p class="sub" id="quarantine">No row of this date was quarantined.</p>'
    total = marts.kpis.n + marts.quarantined
    one = marts.quarantined == 1
    reasons = ", ".join(
        f"{reason.replace(':', ' ').replace('_', ' ')} ({fmt.count(n)})"
        for reason, n in marts.quarantine_reasons.items()
    )
    return (
        f'<p class="sub" id="quarantine">{fmt.count(marts.quarantined)} {"row" if one else "rows"} of '
        f"{fmt.count(total)} {'was' if one else 'were'} quarantined and left out of every figure: "
        f"{_e(reasons)}. They are in <code>public.student_performance_quarantine</code> with their "
        "original values.</p>"
    )


def _findings(items: Sequence[Finding]) -> str:
    badges = {True: ("yes", "significant"), False: ("no", "not significant"), None: ("na", "descriptive")}
    lines = []
    for item in items:
        css, word = badges[item.significant]
        lines.append(
            f'<li class="finding" data-topic="{item.topic}"><span class="badge {css}">{word}</span>'
            f'{_e(item.text)} <a href="#{item.topic}">numbers</a></li>'
        )
    return "<ol>" + "".join(lines) + "</ol>" if lines else '<p class="note">No data to test.</p>'


def _matrix(analysis: Analysis) -> str:
    cells = analysis.marts.attendance_tutoring
    cols = sorted({(c.tutoring_order, c.tutoring_group) for c in cells})
    rows = sorted({(c.attendance_order, c.attendance_band) for c in cells})
    by_key = {(c.attendance_band, c.tutoring_group): c.score for c in cells}
    body = []
    for _, band in rows:
        line = [band]
        for _, group in cols:
            s = by_key.get((band, group))
            line.append("" if s is None else f"{fmt.score(s.mean)} (n={fmt.count(s.n)})")
        body.append(line)
    return table(["attendance \\ tutoring", *(label for _, label in cols)], body, "stats matrix")


def _grouped_block(title: str, scores: GroupedScores, header: str) -> str:
    return (
        f"<h3>{_e(title)}</h3>"
        + table((header, *GROUP_HEADERS[1:]), _group_rows(scores.groups, scores.cis))
        + _pairs(_anova_rows(scores.anova))
    )


def _section_attendance(analysis: Analysis, figures: dict[str, Any]) -> str:
    return (
        '<section id="attendance"><h2>Exam score by attendance and tutoring sessions</h2>'
        + _chart("chart-attendance-tutoring", figures)
        + "<h3>Mean exam score (n) per cell</h3>"
        + _matrix(analysis)
        + '<div class="grid even"><div>'
        + _grouped_block(
            "By attendance band (all tutoring groups)", analysis.attendance_bands, "attendance %"
        )
        + "</div><div>"
        + _grouped_block(
            "By tutoring sessions a month (all attendance bands)", analysis.tutoring_groups, "sessions"
        )
        + "</div></div></section>"
    )


def _comparison_section(
    section_id: str,
    title: str,
    chart_id: str,
    cmp: GroupComparison | None,
    figures: dict[str, Any],
    note: str,
) -> str:
    groups = table(GROUP_HEADERS, [] if cmp is None else _group_rows([cmp.a, cmp.b], [cmp.a_ci, cmp.b_ci]))
    return (
        f'<section id="{section_id}"><h2>{_e(title)}</h2><div class="grid"><div>'
        + _chart(chart_id, figures)
        + "</div><div>"
        + groups
        + _pairs(_welch_rows(cmp))
        + f'<p class="note">{_e(note)}</p></div></div></section>'
    )


def _section_hours(analysis: Analysis, figures: dict[str, Any]) -> str:
    rows = [
        [
            b.score.label,
            fmt.count(b.score.n),
            fmt.hours(b.avg_hours_studied),
            fmt.score(b.score.mean),
            fmt.interval(ci),
        ]
        for b, ci in zip(analysis.hours, analysis.hours_cis, strict=True)
    ]
    fit = analysis.regression
    fit_rows = (
        [("regression", "not enough data")]
        if fit is None
        else [
            ("slope (points per hour)", fmt.coefficient(fit.slope)),
            ("intercept", fmt.score(fit.intercept)),
            ("Pearson r", fmt.coefficient(fit.r)),
            ("95% CI of r", fmt.interval(fit.r_ci, fmt.coefficient)),
            ("r²", fmt.coefficient(fit.r_squared)),
            ("t", fmt.statistic(fit.t)),
            ("p-value", fmt.p_value(fit.p)),
            ("n", fmt.count(fit.n)),
            ("verdict (α = 0.05)", fmt.significance(fit.p)),
        ]
    )
    return (
        '<section id="hours"><h2>Hours studied vs exam score</h2><div class="grid"><div>'
        + _chart("chart-study-hours", figures)
        + "</div><div>"
        + table(("hours band", "n", "mean hours", "mean score", "95% CI of mean"), rows)
        + _pairs(fit_rows)
        + '<p class="note">Points: mean score of each band of weekly study hours, placed at the band\'s mean '
        "hours. Line and r: least squares over every student, from the sums in "
        "<code>marts.study_hours_regression</code>.</p>" + "</div></div></section>"
    )


def _section_sleep(analysis: Analysis, figures: dict[str, Any]) -> str:
    return (
        '<section id="sleep"><h2>Sleep hours vs exam score</h2><div class="grid"><div>'
        + _chart("chart-sleep-hours", figures)
        + "</div><div>"
        + _grouped_block("Mean exam score per hours of sleep", analysis.sleep, "sleep hours")
        + '<p class="note">Dotted line: the mean exam score of all students.</p></div></div></section>'
    )


def _section_extracurricular(analysis: Analysis, figures: dict[str, Any]) -> str:
    share = analysis.extracurricular_share
    share_rows = (
        [("share taking part", "n/a")]
        if share is None
        else [
            ("share taking part", fmt.share(share.share)),
            ("95% CI (Wilson)", fmt.interval(share.ci, fmt.share)),
            ("n with a known answer", fmt.count(share.n)),
        ]
    )
    cmp = analysis.extracurricular
    groups = table(GROUP_HEADERS, [] if cmp is None else _group_rows([cmp.a, cmp.b], [cmp.a_ci, cmp.b_ci]))
    return (
        '<section id="extracurricular"><h2>Extracurricular activities</h2><div class="grid even"><div>'
        + _chart("chart-extracurricular-share", figures)
        + _pairs(share_rows)
        + "</div><div>"
        + _chart("chart-extracurricular-scores", figures)
        + groups
        + _pairs(_welch_rows(cmp))
        + "</div></div></section>"
    )


def _method(analysis: Analysis) -> str:
    return (
        '<section id="method"><h2>How these numbers are made</h2><p class="note">'
        f"Every figure comes from the warehouse schema <code>marts</code> for ingest_date "
        f"<code>{_e(analysis.ingest_date)}</code>, built from the valid rows of "
        "<code>public.student_performance_factors</code> (rows that failed validation are in quarantine, "
        "not here). 95% confidence intervals of means are t-intervals; two groups are compared with "
        "Welch's t-test (unequal variances), effect size Cohen's d; several groups with a one-way ANOVA, "
        "effect size η²; the study-hours line is least squares with Pearson r and its Fisher-z interval; "
        "the extracurricular share has a Wilson interval. Tests are two-sided at α = 0.05 with no "
        "correction for the six tests on this page. These are associations in observational data, not "
        "causes; the dataset is described by its publisher as synthetic.</p></section>"
    )


def render_page(analysis: Analysis, found: Sequence[Finding], generated_at: dt.datetime | None = None) -> str:
    """The whole HTML document for one analysis."""
    figures = charts.build(analysis)
    figures_json = (
        "{" + ",".join(f"{json.dumps(k)}:{pio.to_json(f, validate=False)}" for k, f in figures.items()) + "}"
    )
    when = (generated_at or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M UTC")
    title = f"{TITLE}: ingest date {analysis.ingest_date}"
    body = "".join(
        [
            f'<header><h1>{_e(title)}</h1><p class="sub">Exam scores of {fmt.count(analysis.marts.kpis.n)} '
            f"students from the warehouse marts; generated {_e(when)}.</p>",
            _quarantine_line(analysis),
            "</header><main>",
            f'<section id="kpis" class="cards">{_kpi_cards(analysis)}</section>',
            f'<section id="findings" class="findings"><h2>Findings</h2>{_findings(found)}</section>',
            _section_attendance(analysis, figures),
            _comparison_section(
                "school",
                "Public vs private schools",
                "chart-school-type",
                analysis.school,
                figures,
                "Points: mean exam score with its 95% confidence interval.",
            ),
            _section_hours(analysis, figures),
            _section_sleep(analysis, figures),
            _section_extracurricular(analysis, figures),
            _method(analysis),
            "</main><footer>awstwin dashboard: one self-contained file, no network needed.</footer>",
        ]
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body>{body}"
        f'<script type="application/json" id="figures">{_script_json(figures_json)}</script>'
        f'<script type="application/json" id="plot-config">{_script_json(PLOT_CONFIG)}</script>'
        f"<script>{plotly_js()}</script><script>{BOOT_JS}</script></body></html>\n"
    )


def render_dashboard(
    connection: Any, ingest_date: str | dt.date, generated_at: dt.datetime | None = None
) -> str:
    """The dashboard HTML for one ingest date, read from the marts through a DB-API connection."""
    analysis = analyse(read_marts(connection, ingest_date))
    return render_page(analysis, findings(analysis), generated_at)

"""The dashboard's charts as plotly figures, built from the Analysis (no computation happens here).

Means are drawn as points with their 95% confidence intervals, never as bars starting at zero, so
the eye judges a difference against its uncertainty.
"""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from awstwin.dashboard import fmt, stats
from awstwin.dashboard.analysis import Analysis, GroupComparison

ACCENT, MUTED, SECOND = "#1f5fa8", "#8a94a6", "#d9822b"
LAYOUT = {
    "template": "plotly_white",
    "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 13},
    "margin": {"l": 60, "r": 20, "t": 30, "b": 55},
    "height": 360,
    "hoverlabel": {"namelength": -1},
}
SCORE_AXIS = {"title": {"text": "mean exam score"}}


def _error_bars(means: Sequence[float], cis: Sequence[stats.Interval | None]) -> dict:
    return {
        "type": "data",
        "symmetric": False,
        "array": [0 if ci is None else float(ci.high) - m for m, ci in zip(means, cis, strict=True)],
        "arrayminus": [0 if ci is None else m - float(ci.low) for m, ci in zip(means, cis, strict=True)],
        "thickness": 1.5,
        "width": 6,
    }


def _ci_text(ci: stats.Interval | None) -> str:
    return fmt.interval(ci)


def _figure(traces: list, **layout: object) -> go.Figure:
    return go.Figure(data=traces, layout={**LAYOUT, **layout})


def attendance_tutoring(analysis: Analysis) -> go.Figure | None:
    """Heatmap: attendance bands (rows) x tutoring groups (columns), each cell's mean and n."""
    cells = analysis.marts.attendance_tutoring
    if not cells:
        return None
    rows = sorted({(c.attendance_order, c.attendance_band) for c in cells})
    cols = sorted({(c.tutoring_order, c.tutoring_group) for c in cells})
    by_key = {(c.attendance_band, c.tutoring_group): c.score for c in cells}
    z, text = [], []
    for _, band in rows:
        cells_row = [by_key.get((band, group)) for _, group in cols]
        z.append([None if s is None else round(s.mean, 2) for s in cells_row])
        text.append(["" if s is None else f"{fmt.score(s.mean)}<br>n={fmt.count(s.n)}" for s in cells_row])
    heatmap = go.Heatmap(
        z=z,
        x=[label for _, label in cols],
        y=[label for _, label in rows],
        text=text,
        texttemplate="%{text}",
        colorscale="Blues",
        colorbar={"title": {"text": "mean<br>score"}},
        hovertemplate="attendance %{y}%<br>tutoring %{x}<br>mean %{z:.2f}<extra></extra>",
        xgap=2,
        ygap=2,
    )
    return _figure(
        [heatmap],
        xaxis={"title": {"text": "tutoring sessions per month"}, "type": "category"},
        yaxis={"title": {"text": "attendance band (%)"}, "type": "category"},
        height=400,
    )


def _comparison(cmp: GroupComparison, color: str, axis_title: str) -> go.Figure:
    groups, cis = [cmp.a, cmp.b], [cmp.a_ci, cmp.b_ci]
    means = [g.mean for g in groups]
    points = go.Scatter(
        x=[g.label for g in groups],
        y=means,
        mode="markers",
        marker={"size": 12, "color": color},
        error_y=_error_bars(means, cis),
        customdata=[[fmt.count(g.n), _ci_text(ci)] for g, ci in zip(groups, cis, strict=True)],
        hovertemplate="%{x}: mean %{y:.2f}<br>95% CI %{customdata[1]}<br>n = %{customdata[0]}<extra></extra>",
        name="mean (95% CI)",
    )
    xaxis = {"type": "category", "range": [-0.6, 1.6], "title": {"text": axis_title}}
    return _figure([points], yaxis=SCORE_AXIS, xaxis=xaxis, height=320, showlegend=False)


def school_type(analysis: Analysis) -> go.Figure | None:
    return None if analysis.school is None else _comparison(analysis.school, ACCENT, "school type")


def study_hours(analysis: Analysis) -> go.Figure | None:
    """Binned means with CIs at each band's mean hours, and the least-squares line over the same range."""
    bands = analysis.hours
    if not bands:
        return None
    xs, means = [b.avg_hours_studied for b in bands], [b.score.mean for b in bands]
    traces = [
        go.Scatter(
            x=xs,
            y=means,
            mode="markers",
            marker={"size": 11, "color": ACCENT},
            error_y=_error_bars(means, analysis.hours_cis),
            customdata=[[b.score.label, fmt.count(b.score.n)] for b in bands],
            hovertemplate="%{customdata[0]} h: mean %{y:.2f} at %{x:.1f} h"
            "<br>n = %{customdata[1]}<extra></extra>",
            name="mean score per band (95% CI)",
        )
    ]
    fit = analysis.regression
    if fit is not None:
        line_x = [min(xs), max(xs)]
        traces.append(
            go.Scatter(
                x=line_x,
                y=[fit.intercept + fit.slope * x for x in line_x],
                mode="lines",
                line={"color": SECOND, "dash": "dash", "width": 2},
                name=f"least squares: {fmt.score(fit.intercept)} + {fmt.coefficient(fit.slope)} × hours "
                f"(r = {fmt.coefficient(fit.r)})",
                hoverinfo="skip",
            )
        )
    return _figure(
        traces,
        xaxis={"title": {"text": "hours studied per week"}},
        yaxis=SCORE_AXIS,
        legend={"orientation": "h", "y": -0.25},
        height=400,
    )


def sleep_hours(analysis: Analysis) -> go.Figure | None:
    groups = analysis.sleep.groups
    if not groups:
        return None
    means = [g.mean for g in groups]
    traces = [
        go.Scatter(
            x=[int(g.label) for g in groups],
            y=means,
            mode="markers+lines",
            line={"color": MUTED, "width": 1},
            marker={"size": 10, "color": ACCENT},
            error_y=_error_bars(means, analysis.sleep.cis),
            customdata=[[fmt.count(g.n)] for g in groups],
            hovertemplate="%{x} h: mean %{y:.2f}<br>n = %{customdata[0]}<extra></extra>",
            name="mean score (95% CI)",
        )
    ]
    overall = analysis.marts.kpis.avg_exam_score
    layout_lines = [
        {
            "type": "line",
            "xref": "paper",
            "x0": 0,
            "x1": 1,
            "y0": overall,
            "y1": overall,
            "line": {"color": SECOND, "dash": "dot", "width": 1.5},
        }
    ]
    return _figure(
        traces,
        xaxis={"title": {"text": "sleep hours per night"}, "dtick": 1},
        yaxis=SCORE_AXIS,
        shapes=layout_lines,
        showlegend=False,
    )


def extracurricular_share(analysis: Analysis) -> go.Figure | None:
    groups = analysis.marts.extracurricular
    if not groups:
        return None
    donut = go.Pie(
        labels=[g.label for g in groups],
        values=[g.n for g in groups],
        hole=0.55,
        sort=False,
        marker={"colors": [ACCENT if g.label == "Yes" else MUTED for g in groups]},
        texttemplate="%{label}<br>%{percent:.1%}",
        hovertemplate="%{label}: n = %{value:,}<extra></extra>",
    )
    return _figure([donut], height=320, showlegend=False, margin={"l": 20, "r": 20, "t": 20, "b": 20})


def extracurricular_scores(analysis: Analysis) -> go.Figure | None:
    return (
        None
        if analysis.extracurricular is None
        else _comparison(analysis.extracurricular, SECOND, "takes part in extracurricular activities")
    )


# Chart id -> builder, in page order; render.py places each id in its section.
CHARTS = {
    "chart-attendance-tutoring": attendance_tutoring,
    "chart-school-type": school_type,
    "chart-study-hours": study_hours,
    "chart-sleep-hours": sleep_hours,
    "chart-extracurricular-share": extracurricular_share,
    "chart-extracurricular-scores": extracurricular_scores,
}


def build(analysis: Analysis) -> dict[str, go.Figure]:
    """Every chart the data allows (a comparison with a missing group has none)."""
    return {chart_id: fig for chart_id, make in CHARTS.items() if (fig := make(analysis)) is not None}

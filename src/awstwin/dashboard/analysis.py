"""Every statistic the dashboard shows, computed once from the marts of one ingest date.

The page (render.py) and the Findings (findings.py) both read this object, so a sentence can only
quote a number that the page also shows in a card or a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from awstwin.dashboard import stats
from awstwin.dashboard.data import AttendanceTutoringCell, HoursBand, MartData, ScoreGroup

PUBLIC, PRIVATE = "Public", "Private"
YES, NO = "Yes", "No"


@dataclass(frozen=True)
class GroupComparison:
    """Two groups' exam scores with their 95% CIs and Welch's test of the difference (a - b)."""

    a: ScoreGroup
    b: ScoreGroup
    a_ci: stats.Interval | None
    b_ci: stats.Interval | None
    test: stats.Welch | None


@dataclass(frozen=True)
class GroupedScores:
    """Exam score per group (in the marts' order), each with its CI, and a one-way ANOVA across them."""

    groups: tuple[stats.Summary, ...]
    cis: tuple[stats.Interval | None, ...]
    anova: stats.Anova | None


@dataclass(frozen=True)
class Analysis:
    marts: MartData
    attendance_bands: GroupedScores  # attendance bands, all tutoring groups pooled
    tutoring_groups: GroupedScores  # tutoring groups, all attendance bands pooled
    school: GroupComparison | None
    hours: tuple[HoursBand, ...]
    hours_cis: tuple[stats.Interval | None, ...]
    regression: stats.Regression | None
    sleep: GroupedScores
    extracurricular: GroupComparison | None
    extracurricular_share: stats.Proportion | None

    @property
    def ingest_date(self) -> str:
        return self.marts.ingest_date


def _grouped(groups: Sequence[stats.Summary]) -> GroupedScores:
    try:
        test = stats.anova(groups)
    except ValueError:
        test = None
    return GroupedScores(tuple(groups), tuple(stats.mean_ci(g) for g in groups), test)


def _pooled_by(cells: Sequence[AttendanceTutoringCell], by_attendance: bool) -> GroupedScores:
    """Pool the attendance x tutoring cells over the other dimension, keeping the marts' order."""
    keyed: dict[tuple[int, str], list[ScoreGroup]] = {}
    for cell in cells:
        key = (
            (cell.attendance_order, cell.attendance_band)
            if by_attendance
            else (cell.tutoring_order, cell.tutoring_group)
        )
        keyed.setdefault(key, []).append(cell.score)
    return _grouped([stats.pool(scores, label, order) for (order, label), scores in sorted(keyed.items())])


def _compare(groups: Sequence[ScoreGroup], a_label: str, b_label: str) -> GroupComparison | None:
    by_label = {g.label: g for g in groups}
    if a_label not in by_label or b_label not in by_label:
        return None
    a, b = by_label[a_label], by_label[b_label]
    try:
        test = stats.welch(a, b)
    except ValueError:
        test = None
    return GroupComparison(a, b, stats.mean_ci(a), stats.mean_ci(b), test)


def _share(groups: Sequence[ScoreGroup]) -> stats.Proportion | None:
    total = sum(g.n for g in groups)
    yes = sum(g.n for g in groups if g.label == YES)
    return stats.wilson(yes, total) if total else None


def _regression(marts: MartData) -> stats.Regression | None:
    sums = marts.regression
    if sums is None:
        return None
    try:
        return stats.regression_from_sums(
            sums.n, sums.sum_x, sums.sum_y, sums.sum_xx, sums.sum_yy, sums.sum_xy
        )
    except ValueError:
        return None


def analyse(marts: MartData) -> Analysis:
    """All the page's statistics for one ingest date."""
    return Analysis(
        marts=marts,
        attendance_bands=_pooled_by(marts.attendance_tutoring, by_attendance=True),
        tutoring_groups=_pooled_by(marts.attendance_tutoring, by_attendance=False),
        school=_compare(marts.school_types, PUBLIC, PRIVATE),
        hours=marts.hours_bands,
        hours_cis=tuple(stats.mean_ci(band.score) for band in marts.hours_bands),
        regression=_regression(marts),
        sleep=_grouped(marts.sleep_hours),
        extracurricular=_compare(marts.extracurricular, YES, NO),
        extracurricular_share=_share(marts.extracurricular),
    )

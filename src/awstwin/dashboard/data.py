"""Read the marts of one ingest date through any DB-API connection (psycopg2 locally, Redshift on AWS).

The queries are plain SELECTs with a `%s` parameter and `CAST(... AS DATE)`, valid on both engines.
Rows come back sorted by the marts' own `*_order` columns: bands are never re-derived here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from awstwin.dashboard.marts import check_ingest_date


class MartsNotBuiltError(LookupError):
    """The marts hold no rows for the asked ingest date."""


@dataclass(frozen=True)
class Kpis:
    n: int
    avg_attendance: float
    avg_exam_score: float
    avg_sleep_hours: float
    avg_hours_studied: float
    avg_physical_activity: float
    extracurricular_yes_pct: float | None
    sd_exam_score: float | None


@dataclass(frozen=True)
class ScoreGroup:
    """Exam score of one group of students: its label, size, mean and sample SD (None when n = 1)."""

    label: str
    n: int
    mean: float
    sd: float | None
    order: int = 0


@dataclass(frozen=True)
class AttendanceTutoringCell:
    attendance_band: str
    attendance_order: int
    tutoring_group: str
    tutoring_order: int
    score: ScoreGroup


@dataclass(frozen=True)
class HoursBand:
    score: ScoreGroup
    avg_hours_studied: float


@dataclass(frozen=True)
class RegressionSums:
    n: int
    sum_x: int
    sum_y: int
    sum_xx: int
    sum_yy: int
    sum_xy: int


@dataclass(frozen=True)
class MartData:
    """Everything the dashboard shows, as read from the marts for one ingest date."""

    ingest_date: str
    kpis: Kpis
    attendance_tutoring: tuple[AttendanceTutoringCell, ...]
    school_types: tuple[ScoreGroup, ...]
    hours_bands: tuple[HoursBand, ...]
    sleep_hours: tuple[ScoreGroup, ...]
    extracurricular: tuple[ScoreGroup, ...]
    extracurricular_share_pct: dict[str, float]
    regression: RegressionSums | None
    # Rows of the date left out because they failed validation: {single reason: rows}; a row with two
    # reasons counts for both, so the total is `quarantined`, not the sum.
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    quarantined: int = 0


_WHERE = "WHERE ingest_date = CAST(%s AS DATE)"
QUERIES: dict[str, str] = {
    "kpis": "SELECT n, avg_attendance, avg_exam_score, avg_sleep_hours, avg_hours_studied, "
    f"avg_physical_activity, extracurricular_yes_pct, sd_exam_score FROM marts.kpi_summary {_WHERE}",
    "attendance_tutoring": "SELECT attendance_band, attendance_band_order, tutoring_sessions_group, "
    "tutoring_order, n, avg_exam_score, sd_exam_score FROM marts.score_by_attendance_tutoring "
    f"{_WHERE} ORDER BY attendance_band_order, tutoring_order",
    "school_types": "SELECT school_type, n, avg_exam_score, sd_exam_score FROM marts.score_by_school_type "
    f"{_WHERE} ORDER BY school_type",
    "hours_bands": "SELECT hours_band, hours_band_order, n, avg_hours_studied, avg_exam_score, sd_exam_score "
    f"FROM marts.score_by_study_hours_band {_WHERE} ORDER BY hours_band_order",
    "sleep_hours": "SELECT sleep_hours, n, avg_exam_score, sd_exam_score FROM marts.score_by_sleep_hours "
    f"{_WHERE} ORDER BY sleep_hours",
    "extracurricular": "SELECT extracurricular_activities, n, share_pct, avg_exam_score, sd_exam_score "
    f"FROM marts.extracurricular_share {_WHERE} ORDER BY extracurricular_activities",
    "regression": "SELECT n, sum_x, sum_y, sum_xx, sum_yy, sum_xy FROM marts.study_hours_regression "
    f"{_WHERE}",
    "quarantine": f"SELECT reasons, n FROM marts.quarantine_summary {_WHERE} ORDER BY reasons",
}
REASON_SEPARATOR = ";"  # the quarantine table joins "<Column>:<problem>" reasons with it


def per_reason(lists: list[tuple[Any, ...]]) -> dict[str, int]:
    """{single reason: rows} from (reasons list, rows) pairs."""
    counts: dict[str, int] = {}
    for text, rows in lists:
        for reason in filter(None, str(text).split(REASON_SEPARATOR)):
            counts[reason] = counts.get(reason, 0) + int(rows)
    return dict(sorted(counts.items()))


def _number(value: Any) -> Any:
    """DB-API drivers return NUMERIC as Decimal: figures become float, counts and sums stay int."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _fetch(connection: Any, name: str, ingest_date: str) -> list[tuple[Any, ...]]:
    cursor = connection.cursor()
    try:
        cursor.execute(QUERIES[name], (ingest_date,))
        return [tuple(_number(value) for value in row) for row in cursor.fetchall()]
    finally:
        cursor.close()


def _group(label: Any, n: Any, mean: Any, sd: Any, order: int = 0) -> ScoreGroup:
    return ScoreGroup(str(label), int(n), float(mean), _float(sd), int(order))


def read_kpis(connection: Any, ingest_date: str | dt.date) -> Kpis:
    """The KPI mart's row for one ingest date; raises MartsNotBuiltError when there is none."""
    date = check_ingest_date(ingest_date)
    rows = _fetch(connection, "kpis", date)
    if not rows:
        raise MartsNotBuiltError(
            f"marts.kpi_summary has no row for ingest_date {date}: build the marts for that date first "
            "(the DAG's marts task, or awstwin.dashboard.marts.build_marts)"
        )
    n, *figures = rows[0]
    return Kpis(int(n), *(_float(value) for value in figures))  # type: ignore[arg-type]


def report_kpis(connection: Any, ingest_date: str | dt.date) -> dict[str, float | int | None]:
    """run_report.json's `kpis` (issue 3): the KPI mart's figures rounded to 2 decimals, and n."""
    kpis = read_kpis(connection, ingest_date)
    figures = {name: getattr(kpis, name) for name in REPORT_KPIS}
    return {
        name: value if name == "n" or value is None else round(value, 2) for name, value in figures.items()
    }


REPORT_KPIS = (
    "avg_attendance",
    "avg_exam_score",
    "avg_sleep_hours",
    "avg_hours_studied",
    "avg_physical_activity",
    "extracurricular_yes_pct",
    "n",
)


def read_marts(connection: Any, ingest_date: str | dt.date) -> MartData:
    """All marts for one ingest date; raises MartsNotBuiltError when the KPI mart has no row for it."""
    date = check_ingest_date(ingest_date)
    kpis = read_kpis(connection, date)
    cells = tuple(
        AttendanceTutoringCell(band, int(band_order), group, int(group_order), _group(band, n_, mean, sd))
        for band, band_order, group, group_order, n_, mean, sd in _fetch(
            connection, "attendance_tutoring", date
        )
    )
    extracurricular_rows = _fetch(connection, "extracurricular", date)
    regression_rows = _fetch(connection, "regression", date)
    quarantine_rows = _fetch(connection, "quarantine", date)
    return MartData(
        ingest_date=date,
        kpis=kpis,
        attendance_tutoring=cells,
        school_types=tuple(_group(*row) for row in _fetch(connection, "school_types", date)),
        hours_bands=tuple(
            HoursBand(_group(label, n_, mean, sd, order), float(hours))
            for label, order, n_, hours, mean, sd in _fetch(connection, "hours_bands", date)
        ),
        sleep_hours=tuple(
            _group(hours, n_, mean, sd, int(hours))
            for hours, n_, mean, sd in _fetch(connection, "sleep_hours", date)
        ),
        extracurricular=tuple(_group(label, n_, mean, sd) for label, n_, _, mean, sd in extracurricular_rows),
        extracurricular_share_pct={str(row[0]): float(row[2]) for row in extracurricular_rows},
        regression=RegressionSums(*(int(v) for v in regression_rows[0])) if regression_rows else None,
        quarantine_reasons=per_reason(quarantine_rows),
        quarantined=sum(int(rows) for _, rows in quarantine_rows),
    )

"""The marts on a real Postgres, checked against the same figures computed in plain Python from the
rows that were loaded (csv + statistics, no SQL), for generated data and for the real Kaggle file."""

from __future__ import annotations

import os
import re
import statistics
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import pytest
import sqlglot
from tests.dashboard.warehouse_rows import GENERATED_DATE, LoadedDate, copy_rows

from awstwin.dashboard.data import MartsNotBuiltError, report_kpis
from awstwin.dashboard.marts import MART_TABLES, MARTS_SQL_DIR, build_marts, render, sql_files

# The bands of the marts contract (notes/MARTS.md), written out again here on purpose.
ATTENDANCE = (("0-59", 0, 59), ("60-69", 60, 69), ("70-79", 70, 79), ("80-89", 80, 89), ("90-100", 90, 100))
TUTORING = (("0", 0, 0), ("1", 1, 1), ("2", 2, 2), ("3", 3, 3), ("4+", 4, 10**9))
HOURS = (
    ("0-9", 0, 9),
    ("10-14", 10, 14),
    ("15-19", 15, 19),
    ("20-24", 20, 24),
    ("25-29", 25, 29),
    ("30+", 30, 10**9),
)


def band(value: int, edges: tuple[tuple[str, int, int], ...]) -> tuple[int, str]:
    return next((order, label) for order, (label, low, high) in enumerate(edges, 1) if low <= value <= high)


def query(connection: Any, sql: str, *params: Any) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def score_stats(rows: list[dict]) -> tuple[int, float, float | None]:
    scores = [r["exam_score"] for r in rows]
    return len(scores), statistics.fmean(scores), statistics.stdev(scores) if len(scores) > 1 else None


def grouped(rows: list[dict], key: Callable[[dict], Any]) -> dict[Any, list[dict]]:
    groups: dict[Any, list[dict]] = defaultdict(list)
    for row in rows:
        k = key(row)
        if k is not None:
            groups[k].append(row)
    return groups


def assert_close(actual: Any, expected: Any) -> None:
    if expected is None:
        assert actual is None
    else:
        assert actual == pytest.approx(expected, rel=1e-9, abs=1e-9)


def check_all_marts(connection: Any, loaded: LoadedDate) -> None:
    rows, date = loaded.rows, loaded.ingest_date

    (kpi,) = query(
        connection,
        "SELECT n, avg_attendance, avg_exam_score, avg_sleep_hours, avg_hours_studied, "
        "avg_physical_activity, extracurricular_yes_pct, sd_exam_score FROM marts.kpi_summary "
        "WHERE ingest_date = %s",
        date,
    )
    known = [r for r in rows if r["extracurricular_activities"] is not None]
    expected_kpi = (
        len(rows),
        *(statistics.fmean(r[c] for r in rows) for c in ("attendance", "exam_score", "sleep_hours")),
        *(statistics.fmean(r[c] for r in rows) for c in ("hours_studied", "physical_activity")),
        100 * sum(r["extracurricular_activities"] == "Yes" for r in known) / len(known),
        statistics.stdev(r["exam_score"] for r in rows),
    )
    assert kpi[0] == expected_kpi[0]
    for actual, expected in zip(kpi[1:], expected_kpi[1:], strict=True):
        assert_close(actual, expected)

    cells = grouped(
        rows, lambda r: (band(r["attendance"], ATTENDANCE), band(r["tutoring_sessions"], TUTORING))
    )
    actual_cells = query(
        connection,
        "SELECT attendance_band_order, attendance_band, tutoring_order, tutoring_sessions_group, n, "
        "avg_exam_score, sd_exam_score FROM marts.score_by_attendance_tutoring WHERE ingest_date = %s",
        date,
    )
    assert {((r[0], r[1]), (r[2], r[3])) for r in actual_cells} == set(cells)
    for a_order, a_label, t_order, t_label, n, mean, sd in actual_cells:
        exp_n, exp_mean, exp_sd = score_stats(cells[((a_order, a_label), (t_order, t_label))])
        assert n == exp_n
        assert_close(mean, exp_mean)
        assert_close(sd, exp_sd)

    simple: list[tuple[str, str, Callable[[dict], Any]]] = [
        ("score_by_school_type", "school_type", lambda r: r["school_type"]),
        ("score_by_sleep_hours", "sleep_hours", lambda r: r["sleep_hours"]),
        ("extracurricular_share", "extracurricular_activities", lambda r: r["extracurricular_activities"]),
    ]
    for table, column, key in simple:
        expected = {k: score_stats(v) for k, v in grouped(rows, key).items()}
        actual = query(
            connection,
            f"SELECT {column}, n, avg_exam_score, sd_exam_score FROM marts.{table} WHERE ingest_date = %s",
            date,
        )
        assert {r[0] for r in actual} == set(expected), table
        for label, n, mean, sd in actual:
            assert n == expected[label][0], (table, label)
            assert_close(mean, expected[label][1])
            assert_close(sd, expected[label][2])

    shares = dict(
        query(
            connection,
            "SELECT extracurricular_activities, share_pct FROM marts.extracurricular_share "
            "WHERE ingest_date = %s",
            date,
        )
    )
    for label, group in grouped(known, lambda r: r["extracurricular_activities"]).items():
        assert_close(shares[label], 100 * len(group) / len(known))

    bands = grouped(rows, lambda r: band(r["hours_studied"], HOURS))
    actual_bands = query(
        connection,
        "SELECT hours_band_order, hours_band, n, avg_hours_studied, avg_exam_score, sd_exam_score "
        "FROM marts.score_by_study_hours_band WHERE ingest_date = %s",
        date,
    )
    assert {(r[0], r[1]) for r in actual_bands} == set(bands)
    for order, label, n, hours, mean, sd in actual_bands:
        group = bands[(order, label)]
        assert n == len(group)
        assert_close(hours, statistics.fmean(r["hours_studied"] for r in group))
        assert_close(mean, score_stats(group)[1])
        assert_close(sd, score_stats(group)[2])

    (sums,) = query(
        connection,
        "SELECT n, sum_x, sum_y, sum_xx, sum_yy, sum_xy FROM marts.study_hours_regression "
        "WHERE ingest_date = %s",
        date,
    )
    xs, ys = [r["hours_studied"] for r in rows], [r["exam_score"] for r in rows]
    assert tuple(int(v) for v in sums) == (
        len(rows),
        sum(xs),
        sum(ys),
        sum(x * x for x in xs),
        sum(y * y for y in ys),
        sum(x * y for x, y in zip(xs, ys, strict=True)),
    )


def test_marts_match_python_on_generated_data(connection: Any, generated: LoadedDate) -> None:
    assert len(generated.rows) == generated.raw_rows - 5  # the injected invalid rows never reach the marts
    check_all_marts(connection, generated)


def test_marts_match_python_on_the_real_dataset(connection: Any, real: LoadedDate) -> None:
    assert (real.raw_rows, len(real.rows)) == (6607, 6606)  # one Exam_Score of 101 is quarantined
    check_all_marts(connection, real)


def test_report_kpis_are_the_kpi_mart_rounded(connection: Any, real: LoadedDate) -> None:
    rows = real.rows
    expected = {
        f"avg_{column}": round(statistics.fmean(r[column] for r in rows), 2)
        for column in ("attendance", "exam_score", "sleep_hours", "hours_studied", "physical_activity")
    }
    yes = sum(r["extracurricular_activities"] == "Yes" for r in rows)
    expected |= {"extracurricular_yes_pct": round(100 * yes / len(rows), 2), "n": len(rows)}
    assert report_kpis(connection, real.ingest_date) == expected
    with pytest.raises(MartsNotBuiltError, match="1999-12-31"):
        report_kpis(connection, "1999-12-31")


def test_every_row_falls_in_exactly_one_band(connection: Any, generated: LoadedDate) -> None:
    for table in ("score_by_attendance_tutoring", "score_by_study_hours_band"):
        (total,) = query(
            connection, f"SELECT SUM(n) FROM marts.{table} WHERE ingest_date = %s", generated.ingest_date
        )[0]
        assert total == len(generated.rows), table
    orders = query(
        connection,
        "SELECT DISTINCT attendance_band, attendance_band_order FROM marts.score_by_attendance_tutoring "
        "WHERE ingest_date = %s ORDER BY attendance_band_order",
        generated.ingest_date,
    )
    assert [label for label, _ in orders] == sorted(
        (label for label, _ in orders), key=lambda b: int(b.split("-")[0])
    )


def _mart_rows(connection: Any, date: str) -> dict[str, list[tuple]]:
    return {
        t: sorted(query(connection, f"SELECT * FROM marts.{t} WHERE ingest_date = %s", date))
        for t in MART_TABLES
    }


def test_rebuilding_a_date_replaces_only_that_date(
    connection: Any, generated: LoadedDate, real: LoadedDate
) -> None:
    before_real = _mart_rows(connection, real.ingest_date)
    before = _mart_rows(connection, GENERATED_DATE)
    build_marts(connection, GENERATED_DATE)  # same rows again: nothing changes, nothing doubles
    assert _mart_rows(connection, GENERATED_DATE) == before

    copy_rows(connection, GENERATED_DATE, generated.rows[:1000])  # a backfill with other data
    try:
        build_marts(connection, GENERATED_DATE)
        (n,) = query(connection, "SELECT n FROM marts.kpi_summary WHERE ingest_date = %s", GENERATED_DATE)[0]
        assert n == 1000
        assert (
            len(query(connection, "SELECT * FROM marts.kpi_summary WHERE ingest_date = %s", GENERATED_DATE))
            == 1
        )
        assert _mart_rows(connection, real.ingest_date) == before_real
    finally:
        copy_rows(connection, GENERATED_DATE, generated.rows)
        build_marts(connection, GENERATED_DATE)
    assert _mart_rows(connection, GENERATED_DATE) == before


def test_a_failing_file_leaves_the_marts_as_they_were(
    connection: Any, generated: LoadedDate, tmp_path
) -> None:
    before = _mart_rows(connection, GENERATED_DATE)
    for path in sql_files():
        (tmp_path / path.name).write_text(path.read_text())
    (tmp_path / "99_broken.sql").write_text("SELECT no_such_column FROM marts.kpi_summary;")
    copy_rows(connection, GENERATED_DATE, generated.rows[:10])
    try:
        with pytest.raises(RuntimeError, match=r"99_broken\.sql failed for 2024-01-15"):
            build_marts(connection, GENERATED_DATE, tmp_path)
        assert _mart_rows(connection, GENERATED_DATE) == before  # the one transaction rolled back
    finally:
        copy_rows(connection, GENERATED_DATE, generated.rows)


# Postgres-only syntax that Redshift rejects (or that the marts contract rules out).
NOT_PORTABLE = {
    "CORR aggregate": r"\bCORR\s*\(",
    "FILTER clause": r"\bFILTER\s*\(",
    ":: cast": r"::",
    "ILIKE": r"\bILIKE\b",
    "SERIAL": r"\bSERIAL\b",
    "ON CONFLICT": r"\bON\s+CONFLICT\b",
    "RETURNING": r"\bRETURNING\b",
    "DISTINCT ON": r"\bDISTINCT\s+ON\b",
    "generate_series": r"\bGENERATE_SERIES\b",
    "TEXT type": r"\bTEXT\b",
    "JSONB": r"\bJSONB?\b",
}


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Airflow reads its home at import: point it at a temp folder unless a test run already chose one."""
    os.environ.setdefault("AIRFLOW_HOME", str(tmp_path_factory.mktemp("airflow-home")))
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")


@pytest.mark.parametrize("path", sql_files(), ids=lambda p: p.name)
def test_marts_sql_is_portable_and_dated(path, airflow_home) -> None:
    raw = path.read_text()
    sql = render(path, "2024-03-01")
    code = re.sub(r"--[^\n]*", "", sql)
    for name, pattern in NOT_PORTABLE.items():
        assert not re.search(pattern, code, re.IGNORECASE), f"{path.name} uses {name}"
    from airflow.providers.common.sql.hooks.sql import DbApiHook  # how the DAG's SQL operator splits a file

    statements = DbApiHook.split_sql_string(sql)
    assert statements, path.name
    for statement in statements:
        for dialect in ("redshift", "postgres"):
            sqlglot.parse_one(statement, read=dialect)  # raises ParseError when the dialect rejects it
    if path.name[:2] >= "10":  # the per-date marts: delete the date, then insert it
        assert "params.ingest_date" in raw
        assert re.match(
            r"DELETE FROM marts\.\w+ WHERE ingest_date = CAST\('2024-03-01' AS DATE\)", statements[0]
        )
        assert statements[1].startswith("INSERT INTO marts.")
        assert "'2024-03-01'" in statements[1]


def test_the_dag_sql_operator_renders_the_files_as_build_marts_does(airflow_home) -> None:
    """SQLExecuteQueryOperator(sql=[file, ...]) with the DAG folder as template path: same SQL, and an
    unset params.ingest_date falls back to the run's ds."""
    import pendulum
    from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
    from airflow.sdk import DAG

    dags = MARTS_SQL_DIR.parents[1]
    files = [str(path.relative_to(dags)) for path in sql_files()]
    assert files[0] == "sql/marts/00_schema.sql"
    with DAG(
        "marts_render",
        schedule=None,
        start_date=pendulum.datetime(2024, 1, 1),
        template_searchpath=[str(dags)],
    ) as dag:
        task = SQLExecuteQueryOperator(task_id="marts", conn_id="unused", sql=files, split_statements=True)
    task.render_template_fields(
        {"params": {"ingest_date": None}, "ds": "2024-03-01"}, jinja_env=dag.get_template_env()
    )
    assert [sql.strip() for sql in task.sql] == [render(path, "2024-03-01").strip() for path in sql_files()]


def test_render_refuses_a_date_that_is_not_a_date() -> None:
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        render(sql_files()[-1], "2024-01-01'; DROP TABLE x; --")

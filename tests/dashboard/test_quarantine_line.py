"""The dashboard says how many rows of its date were quarantined and why (marts.quarantine_summary,
built with the other marts from the warehouse's quarantine table)."""

from __future__ import annotations

from typing import Any

from tests.dashboard.warehouse_rows import LoadedDate, copy_rows

from awstwin.dashboard.data import read_marts
from awstwin.dashboard.marts import build_marts
from awstwin.dashboard.render import render_dashboard

DATE = "2024-01-20"
QUARANTINE = "public.student_performance_quarantine"


def _quarantine(connection: Any, reasons: list[str]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {QUARANTINE} WHERE ingest_date = %s", (DATE,))
        for index, text in enumerate(reasons):
            cursor.execute(
                f"INSERT INTO {QUARANTINE} (ingest_date, row_key, reasons, loaded_at) "
                "VALUES (%s, %s, %s, now())",
                (DATE, f"k-{index}", text),
            )
    connection.commit()


def test_the_page_says_how_many_rows_were_quarantined_and_why(connection: Any, generated: LoadedDate) -> None:
    copy_rows(connection, DATE, generated.rows)
    _quarantine(connection, ["Exam_Score:out_of_range", "Exam_Score:out_of_range;Gender:unknown_category"])
    try:
        build_marts(connection, DATE)
        marts = read_marts(connection, DATE)
        assert marts.quarantined == 2
        assert marts.quarantine_reasons == {"Exam_Score:out_of_range": 2, "Gender:unknown_category": 1}
        page = render_dashboard(connection, DATE)
        total = f"{len(generated.rows) + 2:,}"
        assert (
            f"2 rows of {total} were quarantined and left out of every figure: Exam Score out of range (2), "
            "Gender unknown category (1)" in page
        )
        _quarantine(connection, [])
        build_marts(connection, DATE)
        assert "No row of this date was quarantined." in render_dashboard(connection, DATE)
    finally:
        _quarantine(connection, [])
        copy_rows(connection, DATE, [])
        build_marts(connection, DATE)  # the date's marts are empty again

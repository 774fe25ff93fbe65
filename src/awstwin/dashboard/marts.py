"""The marts SQL (dags/sql/marts/*.sql), rendered and run the way the DAG's SQL operator runs them.

In Airflow, SQLExecuteQueryOperator renders each file with Jinja (`params.ingest_date or ds`) and runs
them in name order in one transaction. Outside Airflow (tests, a one-off rebuild) `build_marts` does the
same on any DB-API connection, so the files are tested exactly as the DAG will run them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import jinja2

from awstwin.core.paths import DAGS_DIR

MARTS_SQL_DIR = DAGS_DIR / "sql" / "marts"
SCHEMA = "marts"

# The tables the marts SQL builds, in the order the dashboard reads them.
MART_TABLES: tuple[str, ...] = (
    "kpi_summary",
    "score_by_attendance_tutoring",
    "score_by_school_type",
    "score_by_study_hours_band",
    "score_by_sleep_hours",
    "extracurricular_share",
    "study_hours_regression",
    "quarantine_summary",
)


def check_ingest_date(ingest_date: str | dt.date) -> str:
    """The date as YYYY-MM-DD; anything else is refused before it reaches SQL text."""
    text = ingest_date.isoformat() if isinstance(ingest_date, dt.date) else str(ingest_date)
    try:
        dt.date.fromisoformat(text)
    except ValueError as error:
        raise ValueError(f"ingest_date must be a date as YYYY-MM-DD, not {text!r}") from error
    if len(text) != 10:
        raise ValueError(f"ingest_date must be a date as YYYY-MM-DD, not {text!r}")
    return text


def sql_files(folder: Path = MARTS_SQL_DIR) -> list[Path]:
    """The marts files in the order they run (name order: 00_schema.sql first)."""
    files = sorted(folder.glob("*.sql"))
    if not files:
        raise FileNotFoundError(f"no marts SQL files in {folder}")
    return files


def render(path: Path, ingest_date: str | dt.date) -> str:
    """One file's SQL for one ingest date, with the template context Airflow would give it."""
    date = check_ingest_date(ingest_date)
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    try:
        template = environment.from_string(path.read_text())
        return template.render(params={"ingest_date": date}, ds=date)
    except jinja2.TemplateError as error:
        line = getattr(error, "lineno", None)
        raise ValueError(f"{path}{f':{line}' if line else ''}: cannot render template: {error}") from error


def build_marts(connection: Any, ingest_date: str | dt.date, folder: Path = MARTS_SQL_DIR) -> list[Path]:
    """Rebuild every mart for one ingest date in one transaction (all files commit, or none do)."""
    files = sql_files(folder)
    try:
        with connection.cursor() as cursor:
            for path in files:
                try:
                    cursor.execute(render(path, ingest_date))
                except Exception as error:
                    raise RuntimeError(f"marts SQL {path.name} failed for {ingest_date}: {error}") from error
        connection.commit()
    except BaseException:
        connection.rollback()
        raise
    return files

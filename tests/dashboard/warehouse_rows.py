"""Student rows loaded into the warehouse table the way the Glue job leaves them: valid rows only
(schema.row_problems), integers cast, categorical values trimmed and normalised, empty categoricals
as NULL, one ingest date each; the typed rows are kept so tests can recompute every figure."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from awstwin.data import schema

REPO = Path(__file__).resolve().parents[2]
TABLE = "public.student_performance_factors"
GENERATED_DATE = "2024-01-15"
REAL_DATE = "2024-02-01"
GENERATED_ROWS = 3000

# Used only when postgres_init/ does not (yet) create the table: the same 20 columns + ingest_date.
FALLBACK_DDL = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (ingest_date DATE NOT NULL, "
    + ", ".join(f"{c.sql_name} {c.type_for('sql')}" for c in schema.COLUMNS)
    + ", loaded_at TIMESTAMP)"
)


@dataclass(frozen=True)
class LoadedDate:
    """One ingest date in the warehouse and the typed rows that were loaded for it."""

    ingest_date: str
    rows: list[dict[str, Any]]
    raw_rows: int


def typed_valid_rows(lines: Iterable[str]) -> tuple[list[dict[str, Any]], int]:
    """The CSV's valid rows as {sql_name: int | str | None}, and how many rows the file had."""
    rows, raw = [], 0
    for record in csv.DictReader(lines):
        raw += 1
        if schema.row_problems(record):
            continue
        typed: dict[str, Any] = {}
        for col in schema.COLUMNS:
            text = (record[col.name] or "").strip()
            if col.kind == "integer":
                typed[col.sql_name] = int(text)
            else:
                typed[col.sql_name] = col.normalise(text) if text else None
        rows.append(typed)
    return rows, raw


def copy_rows(connection: Any, ingest_date: str, rows: list[dict[str, Any]]) -> None:
    """Replace one ingest date's rows with `rows`, through COPY FROM STDIN (empty field = NULL)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow(
            [ingest_date, *("" if row[c.sql_name] is None else row[c.sql_name] for c in schema.COLUMNS)]
        )
    buffer.seek(0)
    columns = ", ".join(["ingest_date", *(c.sql_name for c in schema.COLUMNS)])
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE ingest_date = %s", (ingest_date,))
        cursor.copy_expert(f"COPY {TABLE} ({columns}) FROM STDIN WITH (FORMAT csv)", buffer)
    connection.commit()

"""Row counts the run report states, read from the warehouse itself (never from the DAG's claims)."""

from __future__ import annotations

import contextlib
from typing import Any

import psycopg2

from awstwin.pipeline.profile import Profile

# Issue 3 adds the quarantine table; until it exists no row can be quarantined, so the count is 0.
QUARANTINE_TABLE = "public.student_performance_quarantine"


def connect(profile: Profile) -> Any:
    return psycopg2.connect(
        host=profile.warehouse_host,
        port=profile.warehouse_port,
        dbname=profile.warehouse_db,
        user=profile.warehouse_user,
        password=profile.warehouse_password,
        connect_timeout=10,
    )


def _table_exists(cursor: Any, qualified: str) -> bool:
    schema, _, name = qualified.rpartition(".")
    cursor.execute(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = %s AND table_name = %s",
        (schema or "public", name),
    )
    return bool(cursor.fetchone()[0])


def _count(cursor: Any, table: str, ingest_date: str) -> int:
    # The table name comes from the profile, never from user input; the date is a bound parameter.
    cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE ingest_date = %s", (ingest_date,))
    return int(cursor.fetchone()[0])


def warehouse_counts(profile: Profile, ingest_date: str) -> tuple[int, int]:
    """(rows loaded, rows quarantined) for one ingest date."""
    with contextlib.closing(connect(profile)) as connection, connection.cursor() as cursor:
        loaded = _count(cursor, profile.warehouse_table, ingest_date)
        quarantined = (
            _count(cursor, QUARANTINE_TABLE, ingest_date) if _table_exists(cursor, QUARANTINE_TABLE) else 0
        )
    return loaded, quarantined

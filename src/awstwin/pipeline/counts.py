"""Row counts the run report states, read from the warehouse itself (never from the DAG's claims)."""

from __future__ import annotations

import contextlib
from typing import Any

import psycopg2

from awstwin.core.profile import Profile
from awstwin.pipeline.publication import stage_table

# The quarantine table's reasons column joins "<column>:<problem>" items with this (the Glue job's).
REASON_SEPARATOR = ";"


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
    quarantine = profile.warehouse_quarantine_table
    with contextlib.closing(connect(profile)) as connection, connection.cursor() as cursor:
        loaded = _count(cursor, profile.warehouse_table, ingest_date)
        quarantined = _count(cursor, quarantine, ingest_date) if _table_exists(cursor, quarantine) else 0
    return loaded, quarantined


def staged_counts(profile: Profile, run: str) -> tuple[int, int] | None:
    """(rows, quarantined rows) in one run's staging tables, or None when the run left none (the job
    did not get that far, or the run was published and its staging tables dropped)."""
    table, quarantine = (
        stage_table(t, run) for t in (profile.warehouse_table, profile.warehouse_quarantine_table)
    )
    with contextlib.closing(connect(profile)) as connection, connection.cursor() as cursor:
        if not _table_exists(cursor, table):
            return None
        cursor.execute(f"SELECT COUNT(*) FROM {table}")
        loaded = int(cursor.fetchone()[0])
        quarantined = 0
        if _table_exists(cursor, quarantine):
            cursor.execute(f"SELECT COUNT(*) FROM {quarantine}")
            quarantined = int(cursor.fetchone()[0])
    return loaded, quarantined


def quarantine_reasons(profile: Profile, ingest_date: str) -> dict[str, int]:
    """{reason: rows quarantined for it} for one ingest date; a row with two reasons counts in both."""
    quarantine = profile.warehouse_quarantine_table
    reasons: dict[str, int] = {}
    with contextlib.closing(connect(profile)) as connection, connection.cursor() as cursor:
        if not _table_exists(cursor, quarantine):
            return reasons
        cursor.execute(
            f"SELECT reasons, COUNT(*) FROM {quarantine} WHERE ingest_date = %s GROUP BY reasons",
            (ingest_date,),
        )
        for text, rows in cursor.fetchall():
            for reason in filter(None, str(text).split(REASON_SEPARATOR)):
                reasons[reason] = reasons.get(reason, 0) + int(rows)
    return dict(sorted(reasons.items()))

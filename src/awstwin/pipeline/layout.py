"""The warehouse tables' columns, in the order the Glue job loads them, and a check of a live stack.

postgres_init/ creates the tables with CREATE TABLE IF NOT EXISTS, which never changes a table that is
already there: a warehouse kept from an earlier version (its data folder under .state/) keeps its old
columns, and the job's load would fail half-way through a run. Likewise a bucket kept from before
runs had folders of their own holds files right in a date's folder, which the crawlers would take
for another table. `layout_problems` finds both before the run starts and says what to do.
"""

from __future__ import annotations

import contextlib

from awstwin.core import aws
from awstwin.core.profile import Profile
from awstwin.data import schema
from awstwin.pipeline.counts import connect

VALUES = tuple(c.sql_name for c in schema.COLUMNS)
LOADED_COLUMNS = ("ingest_date", "row_key", *VALUES, "loaded_at")
QUARANTINE_COLUMNS = ("ingest_date", "row_key", "reasons", *VALUES, "loaded_at")


def table_columns(profile: Profile, qualified: str) -> list[str] | None:
    """The table's columns in order, or None when it does not exist."""
    table_schema, _, name = qualified.rpartition(".")
    with contextlib.closing(connect(profile)) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = %s "
            "ORDER BY ordinal_position",
            (table_schema or "public", name),
        )
        columns = [row[0] for row in cursor.fetchall()]
    return columns or None


def zone_layout_problems(profile: Profile) -> list[str]:
    """Files right in a date's folder (ingest_date=<d>/file, the layout before run folders)."""
    s3 = aws.client(profile, "s3")
    problems = []
    for prefix, _ in profile.zones:
        try:
            pages = s3.get_paginator("list_objects_v2").paginate(Bucket=profile.bucket, Prefix=prefix)
            keys = [item["Key"] for page in pages for item in page.get("Contents") or []]
        except s3.exceptions.NoSuchBucket:
            return []
        old = [key for key in keys if key[len(prefix) :].count("/") == 1]
        if old:
            problems.append(
                f"s3://{profile.bucket}/{old[0]} (and {len(old) - 1} more) is in the layout from before runs "
                f"had folders of their own (ingest_date=<d>/run=<id>/): `make clean` (the local state) or "
                f"move them, then run again"
            )
    return problems


def layout_problems(profile: Profile) -> list[str]:
    """What keeps the job from loading this warehouse or the crawlers from reading the zones (empty
    when nothing does)."""
    problems = zone_layout_problems(profile) if profile.is_local else []
    for table, expected in (
        (profile.warehouse_table, LOADED_COLUMNS),
        (profile.warehouse_quarantine_table, QUARANTINE_COLUMNS),
    ):
        columns = table_columns(profile, table)
        if columns is not None and columns != list(expected):
            missing = [c for c in expected if c not in columns]
            extra = [c for c in columns if c not in expected]
            if missing:
                what = f"it lacks {', '.join(missing)}"
            elif extra:
                what = f"it has columns the job does not load: {', '.join(extra)}"
            else:
                what = "its columns are in another order"
            problems.append(
                f"{table} does not have the columns postgres_init/ declares ({what}); its rows can be "
                f"loaded again from raw: drop it (DROP TABLE {table}; or `make clean` for the whole "
                "local state) and run again"
            )
    return problems

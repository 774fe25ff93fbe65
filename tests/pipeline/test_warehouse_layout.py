"""The warehouse DDL in postgres_init/ declares the columns the Glue job loads, in its order (a COPY
into Redshift may match columns by position), and the Redshift-only tuning stays out of the folder
the local warehouse and the postgres:16 container apply."""

from __future__ import annotations

import re
from pathlib import Path

from awstwin.core.paths import POSTGRES_INIT_DIR
from awstwin.pipeline.layout import LOADED_COLUMNS, QUARANTINE_COLUMNS
from awstwin.warehouse.sqlfiles import sql_files


def _declared(path: Path, table: str) -> list[str]:
    text = path.read_text()
    body = re.search(rf"CREATE TABLE IF NOT EXISTS {re.escape(table)} \((.*?)\n\);", text, re.S)
    assert body, f"{path.name} does not create {table}"
    return [line.split()[0] for line in body.group(1).strip().splitlines() if line.strip()]


def test_ddl_declares_the_loaded_columns_in_order() -> None:
    main = POSTGRES_INIT_DIR / "001_student_performance_factors.sql"
    quarantine = POSTGRES_INIT_DIR / "002_student_performance_quarantine.sql"
    assert _declared(main, "public.student_performance_factors") == list(LOADED_COLUMNS)
    assert _declared(quarantine, "public.student_performance_quarantine") == list(QUARANTINE_COLUMNS)


def test_redshift_tuning_is_not_applied_locally() -> None:
    applied = [p.name for p in sql_files(POSTGRES_INIT_DIR)]
    assert applied == ["001_student_performance_factors.sql", "002_student_performance_quarantine.sql"]
    tuning = (POSTGRES_INIT_DIR / "redshift" / "010_tuning.sql").read_text()
    assert "SORTKEY" in tuning
    for name in applied:  # nothing Redshift-only where Postgres runs it
        text = (POSTGRES_INIT_DIR / name).read_text().upper()
        assert not any(word in text for word in ("SORTKEY", "DISTKEY", "DISTSTYLE", "ENCODE "))

"""`make run PROFILE=aws` applies the schema folders to a warehouse it did not start (Redshift)."""

from __future__ import annotations

from pathlib import Path

import pytest

from awstwin.warehouse.errors import SqlFileError
from awstwin.warehouse.sqlfiles import apply_to

REPO = Path(__file__).resolve().parents[2]


def _params(warehouse) -> dict[str, object]:  # noqa: ANN001
    p = warehouse.connection_params()
    return {k: p[k] for k in ("host", "port", "user", "password", "dbname")}


def test_the_project_schema_applies_twice_over_the_protocol(warehouse):
    files = apply_to([REPO / "postgres_init"], _params(warehouse))
    assert [f.name for f in files] == sorted(f.name for f in (REPO / "postgres_init").glob("*.sql"))
    apply_to([REPO / "postgres_init"], _params(warehouse))  # idempotent, as every run applies it
    tables = {r[0] for r in warehouse.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert {"student_performance_factors", "student_performance_quarantine"} <= tables


def test_a_failing_file_is_named_with_its_line(warehouse, tmp_path):
    (tmp_path / "01_bad.sql").write_text("SELECT 1;\nSELEC oops;\n")
    with pytest.raises(SqlFileError) as caught:
        apply_to([tmp_path], _params(warehouse))
    assert "01_bad.sql:2" in str(caught.value)

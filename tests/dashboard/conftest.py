"""A real warehouse (Postgres on a free port) loaded with generated and real student rows, with the
marts built for each ingest date, as session fixtures."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from tests.conftest import REAL_DATASET, local_warehouse
from tests.dashboard.warehouse_rows import (
    FALLBACK_DDL,
    GENERATED_DATE,
    GENERATED_ROWS,
    REAL_DATE,
    LoadedDate,
    copy_rows,
    typed_valid_rows,
)

from awstwin.core.paths import POSTGRES_INIT_DIR
from awstwin.dashboard.marts import build_marts
from awstwin.data import generator
from awstwin.warehouse import Warehouse


@pytest.fixture(scope="session")
def warehouse() -> Iterator[Warehouse]:
    """A real local Postgres on a free port with the warehouse table from postgres_init/."""
    with local_warehouse("awstwin-dashboard-warehouse-") as server:
        if (POSTGRES_INIT_DIR / "001_student_performance_factors.sql").exists():
            server.apply_sql_dir(POSTGRES_INIT_DIR)
        server.execute(FALLBACK_DDL)
        yield server


@pytest.fixture(scope="session")
def connection(warehouse: Warehouse) -> Iterator[Any]:
    with contextlib.closing(warehouse.connect()) as conn:
        yield conn


@pytest.fixture(scope="session")
def generated(connection: Any, tmp_path_factory: pytest.TempPathFactory) -> LoadedDate:
    """A generated dataset (with a few invalid rows that must not reach the marts) under its own date."""
    path = tmp_path_factory.mktemp("generated") / "students.csv"
    generator.generate(path, rows=GENERATED_ROWS, seed=7, invalid_rows={"Exam_Score": 3, "Attendance": 2})
    with path.open(newline="") as handle:
        rows, raw = typed_valid_rows(handle)
    copy_rows(connection, GENERATED_DATE, rows)
    build_marts(connection, GENERATED_DATE)
    return LoadedDate(GENERATED_DATE, rows, raw)


@pytest.fixture(scope="session")
def real(connection: Any) -> LoadedDate:
    """The real Kaggle file under its own date; skipped when ../shared/data does not hold it."""
    if not REAL_DATASET.exists():
        pytest.skip(f"the real dataset is not at {REAL_DATASET} (it is never copied into the repo)")
    with REAL_DATASET.open(newline="") as handle:
        rows, raw = typed_valid_rows(handle)
    copy_rows(connection, REAL_DATE, rows)
    build_marts(connection, REAL_DATE)
    return LoadedDate(REAL_DATE, rows, raw)

"""PyAthena, unchanged, against the endpoint: the DB-API cursor with pyformat parameters, the pandas
cursor, and SQLAlchemy over PyAthena's dialect (reflection, and Core selects that name columns as
`schema.table.column`, which Athena resolves). https://laughingman7743.github.io/PyAthena/"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from tests.clients.conftest import run_client

SCRIPT = Path(__file__).with_name("python") / "pyathena_calls.py"

# Tiers: the clients' environment comes from a package registry, and each client is a process of its own
pytestmark = [pytest.mark.network, pytest.mark.slow]


def test_pyathena_cursors_and_sqlalchemy(clients_env: Path, endpoint: Any) -> None:
    done = run_client([str(clients_env / "python"), str(SCRIPT), uuid.uuid4().hex[:8]], endpoint)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["description"] == [["student", "varchar"], ["score", "integer"], ["taken", "date"]]
    assert report["dbapi_rows"] == [["ada", "90", "2023-05-01"], ["cy", "85", "2024-01-15"]]
    assert report["fetchone"] == 3 and report["query_id"] and report["data_scanned"]
    assert report["output_location"].endswith(".csv") and "/staging/" in report["output_location"]
    assert report["pandas_rows"] == [
        ["ada", "90", "2023-05-01"],
        ["bob", "70", "2023-06-02"],
        ["cy", "85", "2024-01-15"],
    ]
    assert report["pandas_dtypes"]["score"] == "Int64" and report["pandas_dtypes"]["taken"].startswith(
        "datetime64"
    )
    assert report["sa_tables"] == ["scores"]
    assert report["sa_columns"] == [["student", "VARCHAR"], ["score", "INTEGER"], ["taken", "DATE"]]
    assert report["sa_rows"] == [["bob", "70"], ["cy", "85"]]
    assert abs(report["sa_text"] - 81.6667) < 0.001

"""awswrangler (AWS SDK for pandas), unchanged, against the endpoint: a partitioned Parquet dataset
with its catalog table, the catalog read back (tables, types, partitions, columns), Athena with and
without the CTAS approach, an appended partition, the table dropped. `wr.athena.to_iceberg` fails
with Athena's own error: the endpoint has no Iceberg tables (README, where it differs from AWS).
https://aws-sdk-pandas.readthedocs.io/en/stable/tutorials/006%20-%20Amazon%20Athena.html"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from tests.clients.conftest import run_client

SCRIPT = Path(__file__).with_name("python") / "wrangler_calls.py"

# Tiers: the clients' environment comes from a package registry, and each client is a process of its own
pytestmark = [pytest.mark.network, pytest.mark.slow]


def test_awswrangler_datasets_catalog_and_athena(clients_env: Path, endpoint: Any) -> None:
    done = run_client([str(clients_env / "python"), str(SCRIPT), uuid.uuid4().hex[:8]], endpoint)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["written_files"] == 2 and len(report["partitions_written"]) == 2
    assert report["tables"] == ["scores"] and report["exists"] and report["databases"]
    assert report["types"] == {"student": "string", "score": "bigint", "passed": "boolean", "year": "string"}
    assert report["partitions"] == ["2023", "2024"]
    assert report["columns"] == ["student", "score", "passed", "year"]
    assert report["read_parquet_rows"] == 4
    expected = [["2023", "2", "160"], ["2024", "2", "145"]]
    assert report["athena_ctas_false"] == expected and report["athena_ctas_true"] == expected
    assert report["athena_ctas_true_dtypes"] == report["athena_ctas_false_dtypes"]
    assert report["athena_ctas_false_dtypes"]["n"] == "Int64"
    assert report["partitions_after_append"] == ["2023", "2024", "2025"]
    assert report["count_after_append"] == 8
    assert report["to_iceberg"].startswith("QueryFailed:")  # refused, never a silent success
    assert report["deleted"] is True and report["deleted_again"] is False

"""dbt with dbt-athena, unchanged, against the endpoint: `dbt build` loads two seeds, builds a table
model and an incremental model that replaces its partitions (insert_overwrite), and runs the tests;
after a seed changes, a second build takes the incremental path and replaces only the partitions it
selects. https://docs.getdbt.com/reference/resource-configs/athena-configs"""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.clients.conftest import run_client

PROJECT = Path(__file__).with_name("dbt_project")

# Tiers: the clients' environment comes from a package registry, and each client is a process of its own
pytestmark = [pytest.mark.network, pytest.mark.slow]
SECOND_SCORES = """student_id,score,taken_on
1,90,2024-05-01
2,70,2024-05-01
3,85,2024-05-01
1,95,2024-05-02
2,80,2024-05-02
3,60,2024-05-03
"""


def _rows(athena: Any, sql: str, database: str, output: str) -> list[list[str | None]]:
    query = athena.start_query_execution(
        QueryString=sql,
        QueryExecutionContext={"Database": database},
        ResultConfiguration={"OutputLocation": output},
    )["QueryExecutionId"]
    while (state := athena.get_query_execution(QueryExecutionId=query)["QueryExecution"]["Status"])[
        "State"
    ] in (
        "QUEUED",
        "RUNNING",
    ):
        time.sleep(0.1)
    assert state["State"] == "SUCCEEDED", state
    rows = athena.get_query_results(QueryExecutionId=query)["ResultSet"]["Rows"]
    return [[d.get("VarCharValue") for d in row["Data"]] for row in rows[1:]]


def test_dbt_build_seeds_models_incremental_and_tests(
    clients_env: Path, endpoint: Any, aws: Callable[[str], Any], tmp_path: Path
) -> None:
    project = tmp_path / "project"
    shutil.copytree(PROJECT, project)
    tag = uuid.uuid4().hex[:8]
    bucket, schema = f"dbt-{tag}", f"dbt_{tag}"
    aws("s3").create_bucket(Bucket=bucket)
    env = {
        "DBT_BUCKET": bucket,
        "DBT_SCHEMA": schema,
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    build = [str(clients_env / "dbt"), "build", "--profiles-dir", ".", "--project-dir", "."]

    first = run_client(build, endpoint, cwd=project, env=env)
    assert "PASS=10 WARN=0 ERROR=0 SKIP=0" in first.stdout, first.stdout[-3000:]
    assert "OK created sql incremental model" in first.stdout

    (project / "seeds" / "scores.csv").write_text(SECOND_SCORES)
    second = run_client(build, endpoint, cwd=project, env=env)
    assert "PASS=10 WARN=0 ERROR=0 SKIP=0" in second.stdout, second.stdout[-3000:]

    athena, output = aws("athena"), f"s3://{bucket}/checks/"
    daily = _rows(
        athena,
        "SELECT taken_on, school_type, avg_score, exams FROM daily_scores ORDER BY 1, 2",
        schema,
        output,
    )
    assert daily == [
        ["2024-05-01", "Private", "70.0", "1"],
        ["2024-05-01", "Public", "87.5", "2"],
        ["2024-05-02", "Private", "80.0", "1"],  # the partition the second run selected, replaced
        ["2024-05-02", "Public", "95.0", "1"],
        ["2024-05-03", "Public", "60.0", "1"],
    ]
    table = aws("glue").get_table(DatabaseName=schema, Name="daily_scores")["Table"]
    assert [k["Name"] for k in table["PartitionKeys"]] == ["taken_on"]
    partitions = aws("glue").get_partitions(DatabaseName=schema, TableName="daily_scores")["Partitions"]
    assert sorted(p["Values"][0] for p in partitions) == ["2024-05-01", "2024-05-02", "2024-05-03"]
    students = _rows(athena, "SELECT name, exams FROM student_scores ORDER BY name", schema, output)
    assert students == [["ada", "2"], ["bob", "2"], ["cy", "2"]]

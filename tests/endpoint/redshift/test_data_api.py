"""The Redshift Data API through boto3: statements run on the warehouse (through the Redshift front)
and their results, errors, batches, parameters, sessions, cancel and the catalog, as AWS documents them.

https://docs.aws.amazon.com/redshift-data/latest/APIReference/Welcome.html
https://docs.aws.amazon.com/redshift/latest/mgmt/data-api.html
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.endpoint.redshift.conftest import Stack, wait

from awstwin.endpoint.redshift import data_api


def error_of(call: Any, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response


def test_a_select_returns_typed_fields_and_column_metadata(run, data, table) -> None:
    assert run(f"INSERT INTO {table} VALUES (1, 'Ada', 91.5), (2, NULL, NULL)")["ResultRows"] == 2
    described = run(
        f"SELECT id, name, score, id::BIGINT * 10 AS big, 0.5::FLOAT8 AS half, id = 1 AS first, "
        f"DATE '2024-03-01' AS day, TIMESTAMP '2024-03-01 10:20:30.5' AS at FROM {table} ORDER BY id"
    )
    assert described["Status"] == "FINISHED" and described["HasResultSet"] is True
    assert described["ResultRows"] == 2 and described["Duration"] > 0 and described["RedshiftPid"] > 0
    result = data.get_statement_result(Id=described["Id"])
    assert result["TotalNumRows"] == 2
    assert result["Records"][0] == [
        {"longValue": 1},
        {"stringValue": "Ada"},
        {"stringValue": "91.50"},  # DECIMAL is text in the Data API (its JDBC type mapping)
        {"longValue": 10},
        {"doubleValue": 0.5},
        {"booleanValue": True},
        {"stringValue": "2024-03-01"},
        {"stringValue": "2024-03-01 10:20:30.5"},
    ]
    assert result["Records"][1][1] == {"isNull": True} and result["Records"][1][2] == {"isNull": True}
    columns = {c["name"]: c for c in result["ColumnMetadata"]}
    assert [c["typeName"] for c in result["ColumnMetadata"]] == [
        "int4", "varchar", "numeric", "int8", "float8", "bool", "date", "timestamp"
    ]  # fmt: skip
    schema, name = table.split(".")
    assert columns["id"]["schemaName"] == schema and columns["id"]["tableName"] == name
    assert columns["id"]["nullable"] == 0 and columns["name"]["nullable"] == 1
    assert columns["name"]["precision"] == 20 and columns["name"]["isCaseSensitive"] is True
    assert (columns["score"]["precision"], columns["score"]["scale"]) == (5, 2)
    assert columns["big"]["tableName"] == "" and columns["id"]["isSigned"] is True


def test_a_statement_goes_through_the_states_aws_reports(stack: Stack, data) -> None:
    started = data.execute_statement(
        Sql="SELECT pg_sleep(1.5)", WorkgroupName=stack.workgroup, Database="dev", SecretArn=stack.secret_arn
    )
    assert set(started) >= {"Id", "CreatedAt", "Database", "SecretArn", "WorkgroupName"}
    seen = {data.describe_statement(Id=started["Id"])["Status"]}
    assert seen <= {"SUBMITTED", "PICKED", "STARTED"}
    assert wait(data, started["Id"])["Status"] == "FINISHED"
    listed = data.list_statements(Status="ALL")["Statements"]
    assert listed[0]["Id"] == started["Id"] and listed[0]["QueryString"] == "SELECT pg_sleep(1.5)"


def test_named_parameters_are_bound_as_text_the_warehouse_converts(run, data, table) -> None:
    parameters = [{"name": "id", "value": "7"}, {"name": "who", "value": "O'Neil"}]
    inserted = run(f"INSERT INTO {table} (id, name) VALUES (:id, :who)", Parameters=parameters)
    assert inserted["Status"] == "FINISHED", inserted
    assert inserted["QueryParameters"] == parameters
    found = run(
        f"SELECT name, ':id' AS literal, id::TEXT AS cast FROM {table} WHERE id = :id AND id + :id = 14",
        Parameters=[{"name": "id", "value": "7"}],
    )
    record = data.get_statement_result(Id=found["Id"])["Records"][0]
    assert record == [{"stringValue": "O'Neil"}, {"stringValue": ":id"}, {"stringValue": "7"}]


def test_parameters_that_do_not_match_the_sql_are_refused(stack: Stack, data, table) -> None:
    where = {"WorkgroupName": stack.workgroup, "Database": "dev", "SecretArn": stack.secret_arn}
    missing = error_of(data.execute_statement, Sql=f"SELECT * FROM {table} WHERE id = :id", **where)
    assert missing["Error"]["Code"] == "ValidationException" and ":id" in missing["Error"]["Message"]
    unused = error_of(
        data.execute_statement, Sql="SELECT 1", Parameters=[{"name": "id", "value": "1"}], **where
    )
    assert unused["Error"]["Code"] == "ValidationException" and "id" in unused["Error"]["Message"]


def test_a_failing_statement_reports_the_warehouse_error(run, data) -> None:
    failed = run("SELECT FROM WHERE")
    assert failed["Status"] == "FAILED"
    # https://docs.aws.amazon.com/redshift/latest/mgmt/data-api.html: 'ERROR: syntax error ... Position: 12'
    assert failed["Error"].startswith('ERROR: syntax error at or near "WHERE"')
    assert "\n Position: 13" in failed["Error"]
    missing = run("SELECT * FROM public.no_such_table_here")
    assert missing["Error"] == 'ERROR: relation "public.no_such_table_here" does not exist\n Position: 15'
    answer = error_of(data.get_statement_result, Id=missing["Id"])
    assert answer["Error"]["Code"] == "ResourceNotFoundException"
    assert answer["Error"]["Message"] == data_api.NO_RESULT


def test_a_batch_is_one_transaction_with_a_result_per_statement(run, data, table) -> None:
    described = run(
        [
            f"INSERT INTO {table} (id, name) VALUES (1, 'a'), (2, 'b')",
            f"UPDATE {table} SET name = 'c' WHERE id = 2",
            f"SELECT id, name FROM {table} ORDER BY id",
        ]
    )
    assert described["Status"] == "FINISHED"
    subs = described["SubStatements"]
    assert [s["Id"] for s in subs] == [f"{described['Id']}:{n}" for n in (1, 2, 3)]
    assert [s["ResultRows"] for s in subs] == [2, 1, 2] and [s["HasResultSet"] for s in subs] == [
        False,
        False,
        True,
    ]
    assert "QueryString" not in described
    third = data.get_statement_result(Id=subs[2]["Id"])["Records"]
    assert third == [[{"longValue": 1}, {"stringValue": "a"}], [{"longValue": 2}, {"stringValue": "c"}]]
    assert data.describe_statement(Id=subs[1]["Id"])["QueryString"].startswith("UPDATE")

    failed = run([f"INSERT INTO {table} (id) VALUES (3)", f"INSERT INTO {table} (id) VALUES (NULL)"])
    assert failed["Status"] == "FAILED" and "violates not-null constraint" in failed["Error"]
    assert [s["Status"] for s in failed["SubStatements"]] == ["FINISHED", "FAILED"]
    count = run(f"SELECT COUNT(*) FROM {table}")
    assert data.get_statement_result(Id=count["Id"])["Records"] == [[{"longValue": 2}]]  # rolled back

    auto = run(
        [f"INSERT INTO {table} (id) VALUES (4)", f"INSERT INTO {table} (id) VALUES (NULL)"],
        ExecutionMode="AUTO_COMMIT",
    )
    assert auto["Status"] == "FAILED" and auto["ExecutionMode"] == "AUTO_COMMIT"
    count = run(f"SELECT COUNT(*) FROM {table}")
    assert data.get_statement_result(Id=count["Id"])["Records"] == [[{"longValue": 3}]]  # 4 stays


def test_large_results_come_in_pages_that_boto3_paginates(run, data) -> None:
    described = run("SELECT n, repeat('x', 500) AS pad FROM generate_series(1, 6000) AS n ORDER BY n")
    first = data.get_statement_result(Id=described["Id"])
    assert "NextToken" in first and 0 < len(first["Records"]) < 6000 and first["TotalNumRows"] == 6000
    pages = list(data.get_paginator("get_statement_result").paginate(Id=described["Id"]))
    numbers = [record[0]["longValue"] for page in pages for record in page["Records"]]
    assert numbers == list(range(1, 6001)) and len(pages) > 1
    bad = error_of(data.get_statement_result, Id=described["Id"], NextToken="bm90LWEtdG9rZW4")
    assert bad["Error"]["Code"] == "ValidationException"


def test_csv_results_come_from_get_statement_result_v2(run, data, table) -> None:
    run(f"INSERT INTO {table} VALUES (1, 'a,b', 2.5), (2, NULL, NULL)")
    described = run(f"SELECT id, name, score FROM {table} ORDER BY id", ResultFormat="CSV")
    assert described["ResultFormat"] == "CSV"
    result = data.get_statement_result_v2(Id=described["Id"])
    assert result["ResultFormat"] == "CSV" and result["TotalNumRows"] == 2
    assert result["Records"] == [{"CSVRecords": 'id,name,score\n1,"a,b",2.50\n2,,\n'}]
    wrong = error_of(data.get_statement_result, Id=described["Id"])
    assert wrong["Error"]["Code"] == "ValidationException"


def test_cancel_aborts_a_running_query(stack: Stack, data) -> None:
    where = {"WorkgroupName": stack.workgroup, "Database": "dev", "SecretArn": stack.secret_arn}
    started = data.execute_statement(Sql="SELECT pg_sleep(60)", **where)
    deadline = time.monotonic() + 30
    while data.describe_statement(Id=started["Id"])["Status"] != "STARTED":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert data.cancel_statement(Id=started["Id"])["Status"] is True
    assert wait(data, started["Id"])["Status"] == "ABORTED"
    again = error_of(data.cancel_statement, Id=started["Id"])
    assert again["Error"]["Code"] == "ValidationException"
    assert again["Error"]["Message"] == (
        f"Could not cancel a query that is already in ABORTED state with ID: {started['Id']}"
    )


def test_a_session_keeps_temp_tables_between_statements(stack: Stack, data) -> None:
    where = {"WorkgroupName": stack.workgroup, "Database": "dev", "SecretArn": stack.secret_arn}
    first = data.execute_statement(
        Sql="CREATE TEMP TABLE scratch AS SELECT 42 AS answer", SessionKeepAliveSeconds=60, **where
    )
    session = first["SessionId"]
    assert wait(data, first["Id"])["SessionId"] == session
    sessions = data.list_sessions()["Sessions"]
    assert any(s["SessionId"] == session and s["Status"] == "AVAILABLE" for s in sessions)
    second = data.execute_statement(Sql="SELECT answer FROM scratch", SessionId=session)
    assert wait(data, second["Id"])["Status"] == "FINISHED"
    assert data.get_statement_result(Id=second["Id"])["Records"] == [[{"longValue": 42}]]
    elsewhere = wait(data, data.execute_statement(Sql="SELECT answer FROM scratch", **where)["Id"])
    assert elsewhere["Status"] == "FAILED"  # another session: no such table
    mixed = error_of(data.execute_statement, Sql="SELECT 1", SessionId=session, Database="dev")
    assert mixed["Error"]["Code"] == "ValidationException"
    gone = error_of(data.execute_statement, Sql="SELECT 1", SessionId=str(uuid.uuid4()))
    assert gone["Error"]["Code"] == "ResourceNotFoundException"


def test_list_statements_filters_by_status_name_and_workgroup(stack: Stack, run, data) -> None:
    name = f"nightly-{uuid.uuid4().hex[:6]}"
    ok = run("SELECT 1", StatementName=f"{name}-a")
    bad = run("SELECT nope", StatementName=f"{name}-b")
    finished = [s["Id"] for s in data.list_statements(StatementName=name)["Statements"]]
    assert finished == [ok["Id"]]  # FINISHED ones unless Status says otherwise
    every = data.list_statements(StatementName=name, Status="ALL")["Statements"]
    assert [s["Id"] for s in every] == [bad["Id"], ok["Id"]]  # newest first
    assert every[0]["Status"] == "FAILED" and every[0]["IsBatchStatement"] is False
    none = data.list_statements(StatementName=name, Status="ALL", WorkgroupName="other-workgroup")
    assert none["Statements"] == []


def test_the_catalog_operations_read_the_warehouse(stack: Stack, data, table) -> None:
    where = {"WorkgroupName": stack.workgroup, "SecretArn": stack.secret_arn}
    assert "dev" in data.list_databases(Database="dev", **where)["Databases"]
    assert "public" in data.list_schemas(Database="dev", SchemaPattern="pub%", **where)["Schemas"]
    schema, name = table.split(".")
    tables = data.list_tables(Database="dev", SchemaPattern=schema, TablePattern=name, **where)["Tables"]
    assert tables == [{"name": name, "schema": schema, "type": "TABLE"}]
    described = data.describe_table(Database="dev", Schema=schema, Table=name, **where)
    assert described["TableName"] == name
    columns = [(c["name"], c["typeName"], c["nullable"], c["precision"]) for c in described["ColumnList"]]
    assert columns == [("id", "int4", 0, 10), ("name", "varchar", 1, 20), ("score", "numeric", 1, 5)]
    listed = list(
        data.get_paginator("list_schemas").paginate(Database="dev", PaginationConfig={"PageSize": 1}, **where)
    )
    assert len(listed) > 1 and all(len(page["Schemas"]) == 1 for page in listed)


def test_temporary_credentials_log_in_as_the_callers_iam_user(stack: Stack, data, run, table) -> None:
    """No SecretArn: the Data API derives the user from the caller (moto's default identity)."""
    started = data.execute_statement(Sql="SELECT current_user", WorkgroupName=stack.workgroup, Database="dev")
    assert started["DbUser"] == "IAM:moto"
    assert wait(data, started["Id"])["Status"] == "FINISHED"
    assert data.get_statement_result(Id=started["Id"])["Records"] == [[{"stringValue": "IAM:moto"}]]
    denied = data.execute_statement(
        Sql=f"SELECT * FROM {table}", WorkgroupName=stack.workgroup, Database="dev"
    )
    failed = wait(data, denied["Id"])  # a new IAM user has PUBLIC's privileges only, as on Redshift
    assert failed["Status"] == "FAILED" and "permission denied" in failed["Error"]
    cluster_user = error_of(
        data.execute_statement, Sql="SELECT 1", WorkgroupName=stack.workgroup, Database="dev", DbUser="bob"
    )
    assert cluster_user["Error"]["Code"] == "ValidationException"


@pytest.mark.parametrize(
    ("where", "code", "message"),
    [
        (
            {"WorkgroupName": "no-such-workgroup", "Database": "dev"},
            "ValidationException",
            data_api.NO_ENDPOINT,
        ),
        ({"ClusterIdentifier": "a-cluster", "Database": "dev"}, "ValidationException", data_api.NO_ENDPOINT),
        ({"Database": "dev"}, "ValidationException", data_api.NO_TARGET),
    ],
)
def test_a_statement_without_a_known_workgroup_is_refused_as_aws_refuses_it(
    data, where, code, message
) -> None:
    answer = error_of(data.execute_statement, Sql="SELECT 1", **where)
    assert (answer["Error"]["Code"], answer["Error"]["Message"]) == (code, message)
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_statement_ids_are_checked_and_unknown_ones_not_found(data) -> None:
    malformed = error_of(data.describe_statement, Id="InvalidStatementId")
    assert malformed["Error"]["Code"] == "ValidationException"
    assert malformed["Error"]["Message"].startswith("id must satisfy regex pattern:")
    unknown = str(uuid.uuid4())
    answer = error_of(data.describe_statement, Id=unknown)
    assert answer["Error"] == {"Code": "ResourceNotFoundException", "Message": "Query does not exist."}
    assert answer["ResourceId"] == unknown


def test_too_many_active_statements_are_refused(stack: Stack, data, monkeypatch) -> None:
    monkeypatch.setattr(data_api, "MAX_ACTIVE_STATEMENTS", 2)
    where = {"WorkgroupName": stack.workgroup, "Database": "dev", "SecretArn": stack.secret_arn}
    running = [data.execute_statement(Sql="SELECT pg_sleep(30)", **where)["Id"] for _ in range(2)]
    try:
        answer = error_of(data.execute_statement, Sql="SELECT 1", **where)
        assert answer["Error"]["Code"] == "ActiveStatementsExceededException"
    finally:
        for statement_id in running:
            data.cancel_statement(Id=statement_id)
    assert {wait(data, statement_id)["Status"] for statement_id in running} == {"ABORTED"}


def test_a_client_token_makes_execute_statement_idempotent(stack: Stack, data) -> None:
    where = {"WorkgroupName": stack.workgroup, "Database": "dev", "SecretArn": stack.secret_arn}
    token = str(uuid.uuid4())
    first = data.execute_statement(Sql="SELECT 1", ClientToken=token, **where)
    second = data.execute_statement(Sql="SELECT 1", ClientToken=token, **where)
    assert first["Id"] == second["Id"]
    assert data.execute_statement(Sql="SELECT 1", **where)["Id"] != first["Id"]


def test_copy_and_unload_run_through_the_data_api(stack: Stack, run, data, table) -> None:
    """The front's Redshift statements work from the Data API: UNLOAD to the endpoint's S3, COPY back."""
    bucket = f"data-api-{uuid.uuid4().hex[:8]}"
    stack.client("s3").create_bucket(Bucket=bucket)
    run(f"INSERT INTO {table} SELECT n, 'n' || n, n / 4.0 FROM generate_series(1, 250) AS n")
    unloaded = run(
        f"UNLOAD ('SELECT * FROM {table}') TO 's3://{bucket}/export/t_' IAM_ROLE default FORMAT AS PARQUET"
    )
    assert unloaded["Status"] == "FINISHED", unloaded
    keys = [o["Key"] for o in stack.client("s3").list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys and all(key.startswith("export/t_") and key.endswith(".parquet") for key in keys)
    copy = run(
        [
            f"CREATE TABLE {table}_back (LIKE {table})",
            f"COPY {table}_back FROM 's3://{bucket}/export/t_' IAM_ROLE default FORMAT AS PARQUET",
        ]
    )
    assert copy["Status"] == "FINISHED", copy
    assert copy["SubStatements"][1]["ResultRows"] == 250
    count = run(f"SELECT COUNT(*), SUM(id) FROM {table}_back")
    assert data.get_statement_result(Id=count["Id"])["Records"] == [
        [{"longValue": 250}, {"longValue": 31375}]
    ]


@pytest.mark.network  # installs the newest boto3 from PyPI into a side environment
@pytest.mark.slow
def test_the_newest_boto3_drives_the_data_api(stack: Stack) -> None:
    """The newest boto3 from PyPI (a side environment, as tests/endpoint/protocol builds them)."""
    import json
    import subprocess
    from pathlib import Path

    from tests.endpoint.protocol.test_sdk_versions import _side_python

    python = _side_python("newest", None)
    script = Path(__file__).with_name("data_api_calls.py")
    done = subprocess.run(
        [str(python), str(script), stack.endpoint.url, stack.workgroup, stack.secret_arn],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["records"] == [[{"longValue": 42}, {"stringValue": "x"}]]
    assert report["columns"] == ["twice", "label"] and report["batch"] == ["FINISHED", "FINISHED"]

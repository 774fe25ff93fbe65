"""The Athena API around executions: lifecycle, errors, workgroups, history, saved queries, metadata."""

from __future__ import annotations

import time
import uuid

import pytest
from botocore.exceptions import ClientError
from tests.endpoint.athena.conftest import wait


def test_failed_queries_report_athena_errors(lake):
    missing = lake.failed("SELECT * FROM nowhere")
    assert missing["StateChangeReason"] == (
        f"TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.{lake.database}.nowhere' does not exist"
    )
    assert missing["AthenaError"] == {
        "ErrorCategory": 2,
        "ErrorType": 1301,
        "Retryable": False,
        "ErrorMessage": missing["StateChangeReason"],
    }
    assert lake.failed("SELECT 1 FROM nodb.t")["StateChangeReason"] == (
        "SCHEMA_NOT_FOUND: line 1:15: Schema 'nodb' does not exist"
    )
    lake.put("t/a.csv", "1\n")
    lake.ok(f"CREATE EXTERNAL TABLE t (a int) LOCATION 's3://{lake.bucket}/t/'")
    column = lake.failed("SELECT a,\n  nope FROM t")
    assert column["StateChangeReason"] == (
        "COLUMN_NOT_FOUND: line 2:3: Column 'nope' cannot be resolved or requester is not authorized to "
        "access requested resources"
    )
    syntax = lake.failed("SELECT a FROM t WHERE")
    assert syntax["StateChangeReason"].startswith("SYNTAX_ERROR: line 1:")
    assert syntax["AthenaError"]["ErrorType"] == 1006
    assert lake.failed("SELEC 1")["StateChangeReason"] == "SYNTAX_ERROR: line 1:1: mismatched input 'SELEC'"
    function = lake.failed("SELECT no_such_function(a) FROM t")
    assert function["StateChangeReason"].startswith(
        "FUNCTION_NOT_FOUND: line 1:8: Function 'no_such_function'"
    )
    failed_id = lake.start("SELECT * FROM nowhere2")
    wait(lake.athena, failed_id)
    with pytest.raises(lake.athena.exceptions.InvalidRequestException, match="FAILED"):
        lake.athena.get_query_results(QueryExecutionId=failed_id)


def test_execution_record_has_athena_fields(lake):
    execution = lake.ok("SELECT 1 AS one")
    assert execution["StatementType"] == "DML"
    assert execution["SubstatementType"] == "SELECT"
    assert execution["Query"] == "SELECT 1 AS one"
    assert execution["WorkGroup"] == "primary"
    assert execution["QueryExecutionContext"]["Database"] == lake.database
    assert execution["EngineVersion"]["EffectiveEngineVersion"] == "Athena engine version 3"
    status = execution["Status"]
    assert status["CompletionDateTime"] >= status["SubmissionDateTime"]
    stats = execution["Statistics"]
    assert stats["TotalExecutionTimeInMillis"] >= stats["EngineExecutionTimeInMillis"] >= 0
    assert {"QueryQueueTimeInMillis", "ServiceProcessingTimeInMillis", "DataScannedInBytes"} <= set(stats)
    ddl = lake.ok("CREATE DATABASE IF NOT EXISTS other_db")
    assert ddl["StatementType"] == "DDL"
    assert ddl["ResultConfiguration"]["OutputLocation"].endswith(f"{ddl['QueryExecutionId']}.txt")
    assert lake.ok("SHOW DATABASES")["StatementType"] == "UTILITY"


def test_no_output_location_anywhere_is_rejected_with_the_fix(athena):
    with pytest.raises(ClientError) as caught:
        athena.start_query_execution(QueryString="SELECT 1")
    error = caught.value.response["Error"]
    assert error["Code"] == "InvalidRequestException"
    assert "No output location provided" in error["Message"] and "OutputLocation" in error["Message"]


def test_missing_output_bucket_fails_the_query(athena):
    query_id = athena.start_query_execution(
        QueryString="SELECT 1", ResultConfiguration={"OutputLocation": "s3://no-such-bucket-athena-test/x/"}
    )["QueryExecutionId"]
    status = wait(athena, query_id)["Status"]
    assert status["State"] == "FAILED"
    assert status["StateChangeReason"] == "Unable to verify/create output bucket no-such-bucket-athena-test"


def test_client_request_token_is_idempotent(lake):
    token = "token-" + uuid.uuid4().hex
    first = lake.start("SELECT 1", ClientRequestToken=token)
    second = lake.start("SELECT 1", ClientRequestToken=token)
    assert first == second
    assert lake.start("SELECT 1") != first


def test_stop_query_execution_cancels_a_running_query(lake):
    query_id = lake.start(
        "SELECT count(*) FROM UNNEST(sequence(1, 100000)) a(x) CROSS JOIN UNNEST(sequence(1, 100000)) b(y) "
        "WHERE (a.x * b.y) % 1000003 = 7"
    )
    deadline = time.monotonic() + 20
    while lake.athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]["State"] != (
        "RUNNING"
    ):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    lake.athena.stop_query_execution(QueryExecutionId=query_id)
    execution = wait(lake.athena, query_id, timeout=30)
    assert execution["Status"]["State"] == "CANCELLED"
    lake.athena.stop_query_execution(QueryExecutionId=query_id)  # stopping a finished query is a no-op


def test_batch_get_and_list_newest_first(lake, athena):
    group = "wg-" + uuid.uuid4().hex[:8]
    athena.create_work_group(
        Name=group, Configuration={"ResultConfiguration": {"OutputLocation": lake.output}}
    )
    ids = [lake.start(f"SELECT {i}", WorkGroup=group) for i in range(3)]
    for query_id in ids:
        wait(athena, query_id)
    listed = athena.list_query_executions(WorkGroup=group)["QueryExecutionIds"]
    assert listed == list(reversed(ids))
    page = athena.list_query_executions(WorkGroup=group, MaxResults=2)
    assert page["QueryExecutionIds"] == list(reversed(ids))[:2] and page["NextToken"]
    batch = athena.batch_get_query_execution(QueryExecutionIds=[ids[0], "no-such-id"])
    assert [q["QueryExecutionId"] for q in batch["QueryExecutions"]] == [ids[0]]
    assert batch["UnprocessedQueryExecutionIds"][0]["QueryExecutionId"] == "no-such-id"
    with pytest.raises(athena.exceptions.InvalidRequestException, match="was not found"):
        athena.get_query_execution(QueryExecutionId="no-such-id")


def test_workgroups_supply_and_enforce_the_result_location(lake, athena):
    name = "wg-" + uuid.uuid4().hex[:8]
    athena.create_work_group(
        Name=name,
        Description="team",
        Configuration={
            "ResultConfiguration": {"OutputLocation": f"s3://{lake.bucket}/wg-results/"},
            "EnforceWorkGroupConfiguration": True,
        },
        Tags=[{"Key": "team", "Value": "data"}],
    )
    group = athena.get_work_group(WorkGroup=name)["WorkGroup"]
    assert group["State"] == "ENABLED" and group["Description"] == "team"
    assert name in [g["Name"] for g in athena.list_work_groups()["WorkGroups"]]
    assert "primary" in [g["Name"] for g in athena.list_work_groups()["WorkGroups"]]
    # the workgroup's location wins over the client's while it is enforced
    enforced = lake.ok("SELECT 1", WorkGroup=name)
    assert enforced["ResultConfiguration"]["OutputLocation"].startswith(f"s3://{lake.bucket}/wg-results/")
    athena.update_work_group(WorkGroup=name, ConfigurationUpdates={"EnforceWorkGroupConfiguration": False})
    client = lake.ok("SELECT 1", WorkGroup=name)
    assert client["ResultConfiguration"]["OutputLocation"].startswith(lake.output)
    # no location from the client: the workgroup's
    query_id = athena.start_query_execution(QueryString="SELECT 2", WorkGroup=name)["QueryExecutionId"]
    assert wait(athena, query_id)["ResultConfiguration"]["OutputLocation"].startswith(
        f"s3://{lake.bucket}/wg-results/"
    )
    athena.update_work_group(WorkGroup=name, State="DISABLED")
    with pytest.raises(athena.exceptions.InvalidRequestException, match="disabled"):
        lake.start("SELECT 1", WorkGroup=name)
    arn = f"arn:aws:athena:us-east-1:123456789012:workgroup/{name}"
    assert athena.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "team", "Value": "data"}]
    with pytest.raises(athena.exceptions.InvalidRequestException, match="not empty"):
        athena.delete_work_group(WorkGroup=name)
    athena.delete_work_group(WorkGroup=name, RecursiveDeleteOption=True)
    with pytest.raises(athena.exceptions.InvalidRequestException, match="is not found"):
        athena.get_work_group(WorkGroup=name)
    with pytest.raises(athena.exceptions.InvalidRequestException, match="primary"):
        athena.delete_work_group(WorkGroup="primary")


def test_named_queries_and_prepared_statements(lake, athena):
    named = athena.create_named_query(Name="top", Database=lake.database, QueryString="SELECT 42")[
        "NamedQueryId"
    ]
    assert athena.get_named_query(NamedQueryId=named)["NamedQuery"]["QueryString"] == "SELECT 42"
    assert named in athena.list_named_queries()["NamedQueryIds"]
    athena.delete_named_query(NamedQueryId=named)
    athena.create_prepared_statement(
        StatementName="by_x",
        WorkGroup="primary",
        QueryStatement="SELECT x * 2 FROM UNNEST(ARRAY[?, ?]) AS t(x)",
    )
    assert lake.rows("EXECUTE by_x USING 1, 5") == [["2"], ["10"]]
    assert lake.rows("EXECUTE by_x", ExecutionParameters=["3", "4"]) == [["6"], ["8"]]
    lake.ok("PREPARE by_y FROM SELECT ? AS y")
    assert (
        athena.get_prepared_statement(StatementName="by_y", WorkGroup="primary")["PreparedStatement"][
            "QueryStatement"
        ]
        == "SELECT ? AS y"
    )
    lake.ok("DEALLOCATE PREPARE by_y")
    athena.delete_prepared_statement(StatementName="by_x", WorkGroup="primary")
    with pytest.raises(athena.exceptions.ResourceNotFoundException):
        athena.get_prepared_statement(StatementName="by_x", WorkGroup="primary")


def test_catalog_metadata_apis(lake, athena):
    lake.ok(
        f"""CREATE EXTERNAL TABLE meta (a bigint COMMENT 'the a', b string) PARTITIONED BY (dt string)
        ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' LOCATION 's3://{lake.bucket}/meta/'"""
    )
    assert athena.list_data_catalogs()["DataCatalogsSummary"] == [
        {"CatalogName": "AwsDataCatalog", "Type": "GLUE"}
    ]
    assert athena.get_data_catalog(Name="AwsDataCatalog")["DataCatalog"]["Type"] == "GLUE"
    pages = athena.get_paginator("list_databases").paginate(
        CatalogName="AwsDataCatalog", PaginationConfig={"PageSize": 2}
    )
    names = [d["Name"] for p in pages for d in p["DatabaseList"]]
    assert lake.database in names and len(names) == len(set(names))
    database = athena.get_database(CatalogName="AwsDataCatalog", DatabaseName=lake.database)["Database"]
    assert database["Name"] == lake.database
    with pytest.raises(athena.exceptions.MetadataException):
        athena.get_database(CatalogName="AwsDataCatalog", DatabaseName="no_such_db")
    metadata = athena.get_table_metadata(
        CatalogName="AwsDataCatalog", DatabaseName=lake.database, TableName="meta"
    )
    table = metadata["TableMetadata"]
    assert table["Columns"] == [
        {"Name": "a", "Type": "bigint", "Comment": "the a"},
        {"Name": "b", "Type": "string"},
    ]
    assert table["PartitionKeys"] == [{"Name": "dt", "Type": "string"}]
    assert table["Parameters"]["location"] == f"s3://{lake.bucket}/meta/"
    listed = athena.list_table_metadata(CatalogName="AwsDataCatalog", DatabaseName=lake.database)
    assert [t["Name"] for t in listed["TableMetadataList"]] == ["meta"]
    with pytest.raises(athena.exceptions.MetadataException):
        athena.get_table_metadata(CatalogName="AwsDataCatalog", DatabaseName=lake.database, TableName="nope")

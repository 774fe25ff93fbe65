"""Batch catalog calls and table versions, as boto3 sends them, with Errors for what failed."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError


def _table(glue, database: str, name: str) -> None:
    glue.create_table(
        DatabaseName=database,
        TableInput={
            "Name": name,
            "StorageDescriptor": {"Columns": [{"Name": "a", "Type": "int"}], "Location": "s3://b/t/"},
            "PartitionKeys": [{"Name": "dt", "Type": "string"}],
        },
    )


def test_batch_update_partition_and_delete_table_version(aws):
    glue = aws("glue")
    database = f"batches_{uuid.uuid4().hex[:8]}"
    glue.create_database(DatabaseInput={"Name": database})
    _table(glue, database, "t")
    glue.create_partition(
        DatabaseName=database,
        TableName="t",
        PartitionInput={"Values": ["1"], "StorageDescriptor": {"Location": "s3://b/t/dt=1/"}},
    )
    answer = glue.batch_update_partition(
        DatabaseName=database,
        TableName="t",
        Entries=[
            {"PartitionValueList": ["1"], "PartitionInput": {"Values": ["1"], "Parameters": {"k": "v"}}},
            {"PartitionValueList": ["9"], "PartitionInput": {"Values": ["9"]}},
        ],
    )
    assert [e["PartitionValueList"] for e in answer["Errors"]] == [["9"]]
    assert glue.get_partition(DatabaseName=database, TableName="t", PartitionValues=["1"])["Partition"][
        "Parameters"
    ] == {"k": "v"}

    table = glue.get_table(DatabaseName=database, Name="t")["Table"]
    table_input = {k: table[k] for k in ("Name", "StorageDescriptor", "PartitionKeys")}
    glue.update_table(DatabaseName=database, TableInput={**table_input, "Description": "v2"})
    versions = glue.get_table_versions(DatabaseName=database, TableName="t")["TableVersions"]
    archived = [v["VersionId"] for v in versions if v["VersionId"] != "1"]
    assert archived == ["0"]
    glue.delete_table_version(DatabaseName=database, TableName="t", VersionId="0")
    assert [
        v["VersionId"] for v in glue.get_table_versions(DatabaseName=database, TableName="t")["TableVersions"]
    ] == ["1"]
    with pytest.raises(ClientError) as caught:
        glue.delete_table_version(DatabaseName=database, TableName="t", VersionId="0")
    assert caught.value.response["Error"]["Code"] == "EntityNotFoundException"


def test_batch_delete_connection_reports_the_missing(aws):
    glue = aws("glue")
    name = f"conn_{uuid.uuid4().hex[:8]}"
    glue.create_connection(
        ConnectionInput={
            "Name": name,
            "ConnectionType": "JDBC",
            "ConnectionProperties": {"JDBC_CONNECTION_URL": "jdbc:postgresql://localhost:5439/dev"},
        }
    )
    answer = glue.batch_delete_connection(ConnectionNameList=[name, "no_such_connection"])
    assert answer["Succeeded"] == [name]
    assert list(answer["Errors"]) == ["no_such_connection"]
    with pytest.raises(ClientError):
        glue.get_connection(Name=name)


def test_get_databases_pages_with_opaque_tokens(aws):
    glue = aws("glue")
    for _ in range(3):
        glue.create_database(DatabaseInput={"Name": f"paged_{uuid.uuid4().hex[:8]}"})
    pages = list(glue.get_paginator("get_databases").paginate(PaginationConfig={"PageSize": 2}))
    assert len(pages) >= 2 and all(len(p["DatabaseList"]) <= 2 for p in pages)
    names = [d["Name"] for p in pages for d in p["DatabaseList"]]
    assert len(names) == len(set(names))
    with pytest.raises(ClientError) as caught:
        glue.get_databases(NextToken="7")
    assert caught.value.response["Error"]["Code"] == "InvalidInputException"

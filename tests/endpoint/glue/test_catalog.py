"""The Data Catalog through boto3: databases, tables with versions, connections, errors."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

CSV_SD = {
    "Columns": [{"Name": "id", "Type": "bigint"}, {"Name": "name", "Type": "string"}],
    "Location": "s3://bucket/people/",
    "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
    "SerdeInfo": {
        "SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
        "Parameters": {"field.delim": ","},
    },
}


@pytest.fixture
def glue(aws):
    return aws("glue")


@pytest.fixture
def db(glue):
    name = f"db_{uuid.uuid4().hex[:8]}"
    glue.create_database(DatabaseInput={"Name": name, "Description": "test"})
    return name


def error_of(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    response = caught.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


def test_database_lifecycle(glue):
    glue.create_database(DatabaseInput={"Name": "Sales_DB", "Parameters": {"owner": "bi"}})
    got = glue.get_database(Name="sales_db")["Database"]
    assert got["Name"] == "sales_db"
    assert got["Parameters"] == {"owner": "bi"}
    assert got["CatalogId"] == "123456789012"
    assert got["CreateTime"].year >= 2024
    with pytest.raises(ClientError) as caught:
        glue.create_database(DatabaseInput={"Name": "sales_db"})
    assert error_of(caught)[:2] == ("AlreadyExistsException", 400)

    glue.update_database(Name="sales_db", DatabaseInput={"Name": "sales_db", "Description": "now described"})
    assert glue.get_database(Name="sales_db")["Database"]["Description"] == "now described"
    names = [d["Name"] for d in glue.get_databases()["DatabaseList"]]
    assert "sales_db" in names

    glue.create_table(DatabaseName="sales_db", TableInput={"Name": "t1", "StorageDescriptor": CSV_SD})
    glue.delete_database(Name="sales_db")
    with pytest.raises(ClientError) as caught:
        glue.get_database(Name="sales_db")
    code, status, message = error_of(caught)
    assert (code, status) == ("EntityNotFoundException", 400)
    assert "sales_db" in message
    # Its tables went with it: a new database of that name starts empty.
    glue.create_database(DatabaseInput={"Name": "sales_db"})
    assert glue.get_tables(DatabaseName="sales_db")["TableList"] == []
    glue.delete_database(Name="sales_db")


def test_table_create_get_and_errors(glue, db):
    glue.create_table(
        DatabaseName=db,
        TableInput={
            "Name": "Student_Performance",
            "StorageDescriptor": CSV_SD,
            "PartitionKeys": [{"Name": "ingest_date", "Type": "string"}],
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {"classification": "csv"},
        },
    )
    table = glue.get_table(DatabaseName=db, Name="student_performance")["Table"]
    assert table["Name"] == "student_performance"
    assert table["DatabaseName"] == db
    assert table["CatalogId"] == "123456789012"
    assert table["IsRegisteredWithLakeFormation"] is False
    assert table["StorageDescriptor"]["Columns"] == CSV_SD["Columns"]
    assert table["CreateTime"] == table["UpdateTime"]
    assert table["VersionId"] == "0"

    with pytest.raises(ClientError) as caught:
        glue.create_table(DatabaseName=db, TableInput={"Name": "student_performance"})
    assert error_of(caught)[:2] == ("AlreadyExistsException", 400)
    with pytest.raises(ClientError) as caught:
        glue.get_table(DatabaseName=db, Name="nope")
    code, status, message = error_of(caught)
    assert (code, status) == ("EntityNotFoundException", 400)
    assert message == f"Table nope not found in database {db}."
    with pytest.raises(ClientError) as caught:
        glue.create_table(DatabaseName="no_such_db", TableInput={"Name": "x"})
    assert error_of(caught)[0] == "EntityNotFoundException"
    assert "no_such_db" in error_of(caught)[2]


def test_get_tables_expression_and_paging(glue, db):
    for name in ["orders", "order_items", "customers", "students"]:
        glue.create_table(DatabaseName=db, TableInput={"Name": name, "StorageDescriptor": CSV_SD})

    def names(**kwargs):
        return [t["Name"] for t in glue.get_tables(DatabaseName=db, **kwargs)["TableList"]]

    assert names() == ["customers", "order_items", "orders", "students"]
    assert names(Expression="order.*") == ["order_items", "orders"]
    assert names(Expression="*s") == ["customers", "order_items", "orders", "students"]
    assert names(Expression="*item*") == ["order_items"]
    assert names(Expression="customers|students") == ["customers", "students"]
    first = glue.get_tables(DatabaseName=db, MaxResults=3)
    assert len(first["TableList"]) == 3
    rest = glue.get_tables(DatabaseName=db, MaxResults=3, NextToken=first["NextToken"])
    assert [t["Name"] for t in rest["TableList"]] == ["students"]
    assert "NextToken" not in rest
    paginated = [
        t["Name"]
        for p in glue.get_paginator("get_tables").paginate(DatabaseName=db, PaginationConfig={"PageSize": 1})
        for t in p["TableList"]
    ]
    assert paginated == names()


def test_update_table_keeps_versions(glue, db):
    glue.create_table(DatabaseName=db, TableInput={"Name": "people", "StorageDescriptor": CSV_SD})
    wider = {**CSV_SD, "Columns": [*CSV_SD["Columns"], {"Name": "age", "Type": "bigint"}]}
    glue.update_table(DatabaseName=db, TableInput={"Name": "people", "StorageDescriptor": wider})
    table = glue.get_table(DatabaseName=db, Name="people")["Table"]
    assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]] == ["id", "name", "age"]
    assert table["VersionId"] == "1"
    assert table["UpdateTime"] >= table["CreateTime"]
    versions = glue.get_table_versions(DatabaseName=db, TableName="people")["TableVersions"]
    assert [v["VersionId"] for v in versions] == ["1", "0"]
    assert len(versions[1]["Table"]["StorageDescriptor"]["Columns"]) == 2
    old = glue.get_table_version(DatabaseName=db, TableName="people", VersionId="0")["TableVersion"]
    assert old["Table"]["StorageDescriptor"]["Columns"] == CSV_SD["Columns"]
    with pytest.raises(ClientError) as caught:
        glue.update_table(DatabaseName=db, TableInput={"Name": "ghost"})
    assert error_of(caught)[0] == "EntityNotFoundException"


def test_delete_and_batch_delete_tables(glue, db):
    for name in ["a", "b", "c"]:
        glue.create_table(DatabaseName=db, TableInput={"Name": name})
    glue.delete_table(DatabaseName=db, Name="a")
    result = glue.batch_delete_table(DatabaseName=db, TablesToDelete=["b", "zzz"])
    assert [e["TableName"] for e in result["Errors"]] == ["zzz"]
    assert result["Errors"][0]["ErrorDetail"]["ErrorCode"] == "EntityNotFoundException"
    assert [t["Name"] for t in glue.get_tables(DatabaseName=db)["TableList"]] == ["c"]


def test_search_tables(glue, db):
    glue.create_table(
        DatabaseName=db,
        TableInput={
            "Name": "exam_scores",
            "StorageDescriptor": CSV_SD,
            "Parameters": {"classification": "csv"},
        },
    )
    found = glue.search_tables(SearchText="exam")["TableList"]
    assert any(t["Name"] == "exam_scores" and t["DatabaseName"] == db for t in found)
    filtered = glue.search_tables(Filters=[{"Key": "DatabaseName", "Value": db}])["TableList"]
    assert [t["Name"] for t in filtered] == ["exam_scores"]


def test_jdbc_connection(glue):
    name = f"warehouse-{uuid.uuid4().hex[:6]}"
    glue.create_connection(
        ConnectionInput={
            "Name": name,
            "ConnectionType": "JDBC",
            "ConnectionProperties": {
                "JDBC_CONNECTION_URL": "jdbc:postgresql://127.0.0.1:5439/dev",
                "USERNAME": "awsuser",
                "PASSWORD": "secret",
            },
        }
    )
    got = glue.get_connection(Name=name)["Connection"]
    assert got["ConnectionProperties"]["PASSWORD"] == "secret"
    assert got["ConnectionType"] == "JDBC"
    hidden = glue.get_connection(Name=name, HidePassword=True)["Connection"]
    assert "PASSWORD" not in hidden["ConnectionProperties"]
    assert hidden["ConnectionProperties"]["USERNAME"] == "awsuser"
    glue.update_connection(
        Name=name,
        ConnectionInput={
            "Name": name,
            "ConnectionType": "JDBC",
            "ConnectionProperties": {
                "JDBC_CONNECTION_URL": "jdbc:postgresql://127.0.0.1:5439/dev",
                "SECRET_ID": "warehouse-secret",
            },
        },
    )
    props = glue.get_connection(Name=name)["Connection"]["ConnectionProperties"]
    assert props == {
        "JDBC_CONNECTION_URL": "jdbc:postgresql://127.0.0.1:5439/dev",
        "SECRET_ID": "warehouse-secret",
    }
    listed = glue.get_connections(Filter={"ConnectionType": "JDBC"}, HidePassword=True)["ConnectionList"]
    assert name in [c["Name"] for c in listed]
    with pytest.raises(ClientError) as caught:
        glue.create_connection(
            ConnectionInput={
                "Name": "bad",
                "ConnectionType": "JDBC",
                "ConnectionProperties": {"USERNAME": "x"},
            }
        )
    assert error_of(caught)[0] == "InvalidInputException"
    assert "JDBC_CONNECTION_URL" in error_of(caught)[2]
    glue.delete_connection(ConnectionName=name)
    with pytest.raises(ClientError) as caught:
        glue.get_connection(Name=name)
    assert error_of(caught)[0] == "EntityNotFoundException"

"""Partitions: CRUD, batches, paging, and the `Expression` filter GlueCatalogPartitionSensor sends."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from awstwin.core.config import EndpointSettings
from awstwin.endpoint.context import EndpointContext
from awstwin.endpoint.glue.catalog.models import CatalogBackend
from awstwin.endpoint.glue.exceptions import InvalidInputException
from awstwin.endpoint.glue.tags import TagBackend

KEYS = [
    {"Name": "year", "Type": "int"},
    {"Name": "month", "Type": "string"},
    {"Name": "day", "Type": "string"},
]


def partition(values: list[str]) -> dict:
    return {
        "Values": values,
        "StorageDescriptor": {
            "Location": "s3://b/t/" + "/".join(f"{k['Name']}={v}" for k, v in zip(KEYS, values, strict=False))
        },
    }


@pytest.fixture
def glue(aws):
    return aws("glue")


@pytest.fixture
def table(glue):
    db = f"db_{uuid.uuid4().hex[:8]}"
    glue.create_database(DatabaseInput={"Name": db})
    glue.create_table(DatabaseName=db, TableInput={"Name": "events", "PartitionKeys": KEYS})
    values = [[str(y), m, d] for y in (2022, 2023, 2024) for m in ("01", "02", "11") for d in ("01", "15")]
    result = glue.batch_create_partition(
        DatabaseName=db, TableName="events", PartitionInputList=[partition(v) for v in values]
    )
    assert result["Errors"] == []
    return db


def values_for(glue, db, expression):
    found = glue.get_partitions(DatabaseName=db, TableName="events", Expression=expression)["Partitions"]
    return sorted(tuple(p["Values"]) for p in found)


def test_partition_crud(glue, table):
    got = glue.get_partition(DatabaseName=table, TableName="events", PartitionValues=["2023", "02", "15"])
    part = got["Partition"]
    assert part["Values"] == ["2023", "02", "15"]
    assert part["StorageDescriptor"]["Location"] == "s3://b/t/year=2023/month=02/day=15"
    assert part["DatabaseName"] == table and part["TableName"] == "events"
    assert "CreationTime" in part
    with pytest.raises(ClientError) as caught:
        glue.create_partition(
            DatabaseName=table, TableName="events", PartitionInput=partition(["2023", "02", "15"])
        )
    assert caught.value.response["Error"]["Code"] == "AlreadyExistsException"
    with pytest.raises(ClientError) as caught:
        glue.create_partition(DatabaseName=table, TableName="events", PartitionInput=partition(["2023"]))
    assert caught.value.response["Error"]["Code"] == "InvalidInputException"

    glue.update_partition(
        DatabaseName=table,
        TableName="events",
        PartitionValueList=["2023", "02", "15"],
        PartitionInput={**partition(["2023", "02", "15"]), "Parameters": {"recordCount": "7"}},
    )
    updated = glue.get_partition(DatabaseName=table, TableName="events", PartitionValues=["2023", "02", "15"])
    assert updated["Partition"]["Parameters"] == {"recordCount": "7"}

    batch = glue.batch_get_partition(
        DatabaseName=table,
        TableName="events",
        PartitionsToGet=[{"Values": ["2023", "02", "15"]}, {"Values": ["1999", "01", "01"]}],
    )
    assert [p["Values"] for p in batch["Partitions"]] == [["2023", "02", "15"]]

    glue.delete_partition(DatabaseName=table, TableName="events", PartitionValues=["2023", "02", "15"])
    with pytest.raises(ClientError) as caught:
        glue.get_partition(DatabaseName=table, TableName="events", PartitionValues=["2023", "02", "15"])
    assert caught.value.response["Error"]["Code"] == "EntityNotFoundException"
    result = glue.batch_delete_partition(
        DatabaseName=table,
        TableName="events",
        PartitionsToDelete=[{"Values": ["2024", "11", "15"]}, {"Values": ["2023", "02", "15"]}],
    )
    assert [e["PartitionValues"] for e in result["Errors"]] == [["2023", "02", "15"]]
    assert len(glue.get_partitions(DatabaseName=table, TableName="events")["Partitions"]) == 16


@pytest.mark.parametrize(
    ("expression", "count"),
    [
        ("year='2024' AND month='01' AND day='15'", 1),
        ("year>'2022' AND month='01'", 4),
        ("year > 2022", 12),
        ("year >= 2023 and month in ('01', '11')", 8),
        ("month = '02' OR day = '15'", 12),
        ("year BETWEEN 2022 AND 2023 AND day='01'", 6),
        ("month LIKE '1%'", 6),
        ("NOT (year = 2024) AND month <> '01'", 8),
        ("(year = 2022 OR year = 2024) AND (month = '11')", 4),
        ('`year` = 2023 and day = "01"', 3),
    ],
)
def test_get_partitions_expression(glue, table, expression, count):
    assert len(values_for(glue, table, expression)) == count


def test_numeric_key_compares_numerically(glue):
    db = f"db_{uuid.uuid4().hex[:8]}"
    glue.create_database(DatabaseInput={"Name": db})
    glue.create_table(
        DatabaseName=db,
        TableInput={
            "Name": "t",
            "PartitionKeys": [{"Name": "n", "Type": "bigint"}, {"Name": "s", "Type": "string"}],
        },
    )
    for n in ("9", "10", "100"):
        glue.create_partition(DatabaseName=db, TableName="t", PartitionInput={"Values": [n, n]})
    by_number = glue.get_partitions(DatabaseName=db, TableName="t", Expression="n > 9")["Partitions"]
    assert sorted(p["Values"][0] for p in by_number) == ["10", "100"]
    by_text = glue.get_partitions(DatabaseName=db, TableName="t", Expression="s > '9'")["Partitions"]
    assert by_text == []  # '10' and '100' sort before '9' as strings


def test_invalid_expression_names_it(glue, table):
    for bad, hint in [("year = ", "does not parse"), ("colour = 'red'", "colour")]:
        with pytest.raises(ClientError) as caught:
            glue.get_partitions(DatabaseName=table, TableName="events", Expression=bad)
        error = caught.value.response["Error"]
        assert error["Code"] == "InvalidInputException"
        assert bad in error["Message"] and hint in error["Message"]


def test_get_partitions_paging(glue, table):
    seen = []
    token = None
    while True:
        kwargs = {"NextToken": token} if token else {}
        page = glue.get_partitions(DatabaseName=table, TableName="events", MaxResults=5, **kwargs)
        assert len(page["Partitions"]) <= 5
        seen += [tuple(p["Values"]) for p in page["Partitions"]]
        token = page.get("NextToken")
        if not token:
            break
    assert len(seen) == len(set(seen)) == 18
    pages = glue.get_paginator("get_partitions").paginate(
        DatabaseName=table, TableName="events", Expression="year = 2024", PaginationConfig={"PageSize": 2}
    )
    assert sum(len(p["Partitions"]) for p in pages) == 6


def test_catalog_survives_restart(tmp_path):
    ctx = EndpointContext(settings=EndpointSettings(state_dir=tmp_path), state_dir=tmp_path)
    catalog = CatalogBackend(ctx, TagBackend(ctx))
    catalog.create_database(DatabaseInput={"Name": "keep"})
    catalog.create_table(
        DatabaseName="keep", TableInput={"Name": "t", "PartitionKeys": [{"Name": "d", "Type": "string"}]}
    )
    catalog.create_partition(DatabaseName="keep", TableName="t", PartitionInput={"Values": ["2024-01-01"]})
    catalog.create_connection(
        ConnectionInput={
            "Name": "wh",
            "ConnectionType": "JDBC",
            "ConnectionProperties": {"JDBC_CONNECTION_URL": "jdbc:postgresql://h/dev"},
        }
    )

    again = EndpointContext(settings=EndpointSettings(state_dir=tmp_path), state_dir=tmp_path)
    reborn = CatalogBackend(again, TagBackend(again))
    assert reborn.get_table(DatabaseName="keep", Name="t")["Table"]["PartitionKeys"][0]["Name"] == "d"
    found = reborn.get_partitions(DatabaseName="keep", TableName="t", Expression="d='2024-01-01'")[
        "Partitions"
    ]
    assert [p["Values"] for p in found] == [["2024-01-01"]]
    assert reborn.get_connection(Name="wh")["Connection"]["ConnectionType"] == "JDBC"


def test_in_process_result_is_a_copy(tmp_path):
    ctx = EndpointContext(settings=EndpointSettings(state_dir=tmp_path), state_dir=tmp_path)
    catalog = CatalogBackend(ctx, TagBackend(ctx))
    catalog.create_database(DatabaseInput={"Name": "d"})
    catalog.create_table(DatabaseName="d", TableInput={"Name": "t", "Parameters": {"a": "1"}})
    catalog.get_table(DatabaseName="d", Name="t")["Table"]["Parameters"]["a"] = "changed"
    assert catalog.get_table(DatabaseName="d", Name="t")["Table"]["Parameters"] == {"a": "1"}
    with pytest.raises(InvalidInputException):
        catalog.get_partitions(DatabaseName="d", TableName="t", Expression="x = 1")

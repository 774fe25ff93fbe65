"""Crawlers group folders into tables and partitions as AWS does, and Athena reads what they wrote.

- https://docs.aws.amazon.com/glue/latest/dg/crawler-s3-folder-table-partition.html: folders whose
  files are compatible and similar are partitions of one table.
- https://docs.aws.amazon.com/glue/latest/dg/crawler-grouping-policy.html: data compatibility (format,
  compression) and schema similarity; `{"A","B"}` vs `{"C","D"}` make two tables year_2017/year_2018.
- https://repost.aws/knowledge-center/glue-crawler-detect-schema: schemas are similar when the
  largest cluster holds more than 70% of them and there are at most five clusters.
- https://docs.aws.amazon.com/athena/latest/ug/updates-and-partitions.html: partitions keep their
  own schemas, and Athena fails a query with HIVE_PARTITION_SCHEMA_MISMATCH when a partition's type
  cannot be read as the table's; the crawler's InheritFromTable option is AWS's cure
  (https://repost.aws/knowledge-center/athena-hive-partition-schema-mismatch).
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from tests.endpoint.athena.conftest import Lake

from awstwin.endpoint.glue.catalog.formats import LAZY_SIMPLE_SERDE, OPEN_CSV_SERDE

INHERIT = json.dumps(
    {"Version": 1.0, "CrawlerOutput": {"Partitions": {"AddOrUpdateBehavior": "InheritFromTable"}}}
)


def crawl(glue: Any, lake: Lake, path: str, name: str | None = None, **kwargs: Any) -> dict[str, dict]:
    """Run a crawler (new, or `name` again) over `s3://<bucket>/<path>` into the lake's database;
    returns {name: table}."""
    if name is None:
        name = f"c-{uuid.uuid4().hex[:8]}"
        glue.create_crawler(
            Name=name,
            Role="arn:aws:iam::123456789012:role/glue",
            DatabaseName=lake.database,
            Targets={"S3Targets": [{"Path": f"s3://{lake.bucket}/{path}"}]},
            **kwargs,
        )
    crawls = len(glue.list_crawls(CrawlerName=name)["Crawls"])
    glue.start_crawler(Name=name)
    deadline = time.monotonic() + 60
    while (crawler := glue.get_crawler(Name=name)["Crawler"])["State"] != "READY" or len(
        glue.list_crawls(CrawlerName=name)["Crawls"]
    ) == crawls:
        assert time.monotonic() < deadline, "the crawler did not finish"
        time.sleep(0.05)
    assert crawler["LastCrawl"]["Status"] == "SUCCEEDED", crawler["LastCrawl"]
    return {t["Name"]: t for t in glue.get_tables(DatabaseName=lake.database)["TableList"]}


def columns(doc: dict) -> list[tuple[str, str]]:
    return [(c["Name"], c["Type"]) for c in doc["StorageDescriptor"]["Columns"]]


def partitions(glue: Any, lake: Lake, table: str) -> dict[str, dict]:
    found = glue.get_partitions(DatabaseName=lake.database, TableName=table)["Partitions"]
    return {"/".join(p["Values"]): p for p in found}


@pytest.fixture
def glue(aws):
    return aws("glue")


@pytest.fixture
def lake(aws) -> Lake:
    """A bucket, result location and Athena database of this test's own (as tests/endpoint/athena)."""
    suffix = uuid.uuid4().hex[:10]
    lake = Lake(aws("athena"), aws("s3"), f"grouping-{suffix}", f"db_{suffix}")
    lake.s3.create_bucket(Bucket=lake.bucket)
    lake.ok(f"CREATE DATABASE {lake.database}")
    return lake


def products(lake: Lake, quoted_doubles: bool = True) -> None:
    """The classic case: suppliers whose prices are decimals in some folders and integers in others."""
    header = '"supplier_name";"product_name";"price"\n'
    lake.put(
        "products/supplier=double_a/data.csv", header + '"double_a";"Sean";9068.08\n"double_a";"Ann";42.5\n'
    )
    lake.put("products/supplier=double_b/data.csv", header + '"double_b";"Bob";1.25\n')
    lake.put("products/supplier=int_a/data.csv", header + '"int_a";"Kayla";9092\n"int_a";"Kim";959\n')


def test_partitions_that_differ_in_types_are_one_table_and_athena_says_mismatch(glue, lake):
    products(lake)
    tables = crawl(glue, lake, "products/")
    assert list(tables) == ["products"]
    table = tables["products"]
    assert table["PartitionKeys"] == [{"Name": "supplier", "Type": "string"}]
    assert columns(table) == [("supplier_name", "string"), ("product_name", "string"), ("price", "double")]
    parts = partitions(glue, lake, "products")
    assert columns(parts["double_a"])[-1] == ("price", "double")
    assert columns(parts["int_a"])[-1] == ("price", "bigint")  # the partition's own schema
    assert parts["int_a"]["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"] == OPEN_CSV_SERDE
    status = lake.failed("SELECT count(*) FROM products")
    assert status["StateChangeReason"] == (
        "HIVE_PARTITION_SCHEMA_MISMATCH: There is a mismatch between the table and partition schemas. The "
        "types are incompatible and cannot be coerced. The column 'price' in table "
        f"'{lake.database}.products' is declared as type 'double', but partition 'supplier=int_a' "
        "declared column 'price' as type 'bigint'."
    )
    # Only the partitions a query reads are checked, as in Trino
    assert lake.rows("SELECT sum(price) FROM products WHERE supplier IN ('double_a', 'double_b')") == [
        ["9111.83"]
    ]


def test_inherit_from_table_gives_partitions_the_tables_schema(glue, lake):
    products(lake)
    crawl(glue, lake, "products/", Configuration=INHERIT)
    parts = partitions(glue, lake, "products")
    assert {columns(p)[-1] for p in parts.values()} == {("price", "double")}
    assert lake.rows("SELECT supplier, sum(price) FROM products GROUP BY supplier ORDER BY supplier") == [
        ["double_a", "9110.58"],
        ["double_b", "1.25"],
        ["int_a", "10051.0"],
    ]


def test_partitions_that_differ_in_quoting_are_one_table_each_with_its_serde(glue, lake):
    lake.put("orders/day=1/a.csv", 'id,note,total\n1,"a, b",2.5\n2,"c",4\n')
    lake.put("orders/day=2/a.csv", "id,note,total\n3,plain,1.5\n")
    lake.put("orders/day=3/a.csv", "id,note,total\n4,more,3.0\n")
    tables = crawl(glue, lake, "orders/")
    assert list(tables) == ["orders"]
    assert columns(tables["orders"]) == [("id", "bigint"), ("note", "string"), ("total", "double")]
    parts = partitions(glue, lake, "orders")
    serdes = {k: p["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"] for k, p in parts.items()}
    assert serdes == {"1": OPEN_CSV_SERDE, "2": LAZY_SIMPLE_SERDE, "3": LAZY_SIMPLE_SERDE}
    # The table takes the SerDe most of its files have; Athena reads each partition with its own.
    assert tables["orders"]["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"] == LAZY_SIMPLE_SERDE
    rows = lake.rows("SELECT day, id, note, total FROM orders ORDER BY id")
    assert rows == [
        ["1", "1", "a, b", "2.5"],
        ["1", "2", "c", "4.0"],
        ["2", "3", "plain", "1.5"],
        ["3", "4", "more", "3.0"],
    ]


def test_dissimilar_partition_folders_are_tables_of_their_own(glue, lake):
    """AWS's own example: {"A","B"} under year=2017, {"C","D"} under year=2018 give two tables."""
    lake.put("table1/year=2017/data1.json", '{"A": 1, "B": 2}\n')
    lake.put("table1/year=2018/data2.json", '{"C": 3, "D": 4}\n')
    tables = crawl(glue, lake, "table1/")
    assert sorted(tables) == ["year_2017", "year_2018"]
    assert columns(tables["year_2017"]) == [("a", "bigint"), ("b", "bigint")]


def test_combine_compatible_schemas_makes_one_table_of_them(glue, lake):
    lake.put("table1/year=2017/data1.json", '{"A": 1, "B": 2}\n')
    lake.put("table1/year=2018/data2.json", '{"C": 3, "D": 4}\n')
    config = json.dumps({"Version": 1.0, "Grouping": {"TableGroupingPolicy": "CombineCompatibleSchemas"}})
    tables = crawl(glue, lake, "table1/", Configuration=config)
    assert list(tables) == ["table1"]
    assert columns(tables["table1"]) == [("a", "bigint"), ("b", "bigint"), ("c", "bigint"), ("d", "bigint")]
    assert tables["table1"]["PartitionKeys"] == [{"Name": "year", "Type": "string"}]


@pytest.mark.parametrize(("similar", "other", "tables"), [(8, 2, 1), (7, 3, 10)])
def test_more_than_seventy_percent_alike_is_one_table(glue, lake, similar, other, tables):
    """8 files of one schema and 2 of another: one table with both's columns; 7 and 3: a table per
    file (the partition threshold is "higher than 0.7")."""
    for i in range(similar):
        lake.put(f"mixed/a{i}.json", json.dumps({"id": i, "first_name": "x", "last_name": "y"}) + "\n")
    for i in range(other):
        lake.put(f"mixed/b{i}.json", json.dumps({"city": "c", "country": "d"}) + "\n")
    found = crawl(glue, lake, "mixed/")
    assert len(found) == tables
    if tables == 1:
        assert [n for n, _ in columns(found["mixed"])] == ["id", "first_name", "last_name", "city", "country"]


def test_files_adding_columns_join_the_table_and_partitions_keep_their_own_columns(glue, lake):
    lake.put("t/dt=2024-01-01/a.csv", "id,name\n1,a\n")
    lake.put("t/dt=2024-01-02/a.csv", "id,name,score\n2,b,1.5\n")
    tables = crawl(glue, lake, "t/")
    assert columns(tables["t"]) == [("id", "bigint"), ("name", "string"), ("score", "double")]
    parts = partitions(glue, lake, "t")
    assert columns(parts["2024-01-01"]) == [("id", "bigint"), ("name", "string")]
    # CSV is read by index: the partition without `score` reads it as NULL
    assert lake.rows("SELECT dt, id, score FROM t ORDER BY id") == [
        ["2024-01-01", "1", None],
        ["2024-01-02", "2", "1.5"],
    ]


def test_quoted_csv_typed_columns_read_in_athena(glue, lake):
    """OpenCSVSerDe tables are typed; Athena parses BIGINT, DOUBLE and BOOLEAN from the text."""
    lake.put("q/a.csv", '"id","name","amount","ok"\n"1","Smith, John","2.5","true"\n"2","Doe","3","false"\n')
    tables = crawl(glue, lake, "q/")
    assert columns(tables["q"]) == [
        ("id", "bigint"),
        ("name", "string"),
        ("amount", "double"),
        ("ok", "boolean"),
    ]
    assert lake.rows("SELECT sum(id), sum(amount), count_if(ok) FROM q") == [["3", "5.5", "1"]]


def test_recrawl_updates_a_partitions_own_schema(glue, lake):
    lake.put("r/k=1/a.csv", "id,v\n1,2\n")
    lake.put("r/k=2/a.csv", "id,v\n2,3\n")
    crawl(glue, lake, "r/")
    name = glue.list_crawlers()["CrawlerNames"]
    name = next(n for n in name if glue.get_crawler(Name=n)["Crawler"]["DatabaseName"] == lake.database)
    lake.put("r/k=1/a.csv", "id,v\n1,2.5\n")
    crawl(glue, lake, "r/", name=name)
    parts = partitions(glue, lake, "r")
    assert columns(parts["1"]) == [("id", "bigint"), ("v", "double")]
    assert columns(parts["2"]) == [("id", "bigint"), ("v", "bigint")]
    table = glue.get_table(DatabaseName=lake.database, Name="r")["Table"]
    assert columns(table) == [("id", "bigint"), ("v", "double")]

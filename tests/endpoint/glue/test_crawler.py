"""Crawlers through boto3: a crawl lists S3, infers tables and partitions, and writes the catalog."""

from __future__ import annotations

import io
import json
import time
import uuid
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from botocore.exceptions import ClientError
from tests.conftest import REAL_DATASET

from awstwin.endpoint.glue.catalog.formats import OPEN_CSV_SERDE, StorageFormat


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def put(root: Path, bucket: str, key: str, data: bytes | str) -> None:
    """The endpoint's S3 keeps each object as a plain file: writing one there is uploading it."""
    path = root / bucket / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)


def wait_ready(glue: Any, name: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        crawler = glue.get_crawler(Name=name)["Crawler"]
        if crawler["State"] == "READY" and "LastCrawl" in crawler:
            return crawler
        time.sleep(0.05)
    raise AssertionError(f"crawler {name} did not become READY within {timeout}s")


def crawl(glue: Any, name: str, database: str, paths: list[str] | list[dict], **kwargs: Any) -> dict:
    """Create (or update) a crawler over `paths`, run it, and return it READY."""
    targets = [p if isinstance(p, dict) else {"Path": p} for p in paths]
    try:
        glue.create_crawler(
            Name=name,
            Role="arn:aws:iam::123456789012:role/glue",
            DatabaseName=database,
            Targets={"S3Targets": targets},
            **kwargs,
        )
    except glue.exceptions.AlreadyExistsException:
        glue.update_crawler(Name=name, Targets={"S3Targets": targets}, **kwargs)
    glue.start_crawler(Name=name)
    return wait_ready(glue, name)


def columns(table: dict) -> list[tuple[str, str]]:
    return [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]]


BIGINT_COLUMNS = [
    "hours_studied",
    "attendance",
    "sleep_hours",
    "previous_scores",
    "tutoring_sessions",
    "physical_activity",
    "exam_score",
]


@pytest.fixture
def glue(aws):
    return aws("glue")


@pytest.fixture
def root(endpoint):
    return endpoint.endpoint.context.s3_root


@pytest.fixture
def bucket(root):
    name = unique("crawl")
    (root / name).mkdir(parents=True)
    return name


def test_real_dataset_crawls_into_twenty_typed_columns(glue, aws, root, bucket):
    if not REAL_DATASET.exists():
        pytest.skip(f"the real dataset is not at {REAL_DATASET}")
    put(
        root,
        bucket,
        "raw/student_performance/ingest_date=2024-01-01/StudentPerformanceFactors.csv",
        REAL_DATASET.read_bytes(),
    )
    db, name = unique("db").replace("-", "_"), unique("raw")
    crawler = crawl(glue, name, db, [f"s3://{bucket}/raw/student_performance/"])
    assert crawler["LastCrawl"]["Status"] == "SUCCEEDED", crawler["LastCrawl"]
    assert crawler["LastCrawl"]["LogGroup"] == "/aws-glue/crawlers"
    assert crawler["LastCrawl"]["LogStream"] == name

    table = glue.get_table(DatabaseName=db, Name="student_performance")["Table"]
    header = REAL_DATASET.read_text().splitlines()[0].split(",")
    assert [n for n, _ in columns(table)] == [h.lower() for h in header]
    assert len(columns(table)) == 20
    assert [n for n, t in columns(table) if t == "bigint"] == BIGINT_COLUMNS
    assert all(t == "string" for n, t in columns(table) if n not in BIGINT_COLUMNS)
    sd = table["StorageDescriptor"]
    assert sd["Location"] == f"s3://{bucket}/raw/student_performance/"
    assert sd["SerdeInfo"]["Parameters"] == {"field.delim": ","}
    params = table["Parameters"]
    assert params["skip.header.line.count"] == "1"
    assert params["classification"] == "csv" and params["delimiter"] == ","
    assert params["recordCount"] == "6607" and params["objectCount"] == "1"
    assert params["UPDATED_BY_CRAWLER"] == name
    assert table["PartitionKeys"] == [{"Name": "ingest_date", "Type": "string"}]

    parts = glue.get_partitions(
        DatabaseName=db, TableName="student_performance", Expression="ingest_date='2024-01-01'"
    )["Partitions"]
    assert [p["Values"] for p in parts] == [["2024-01-01"]]
    assert parts[0]["StorageDescriptor"]["Location"] == (
        f"s3://{bucket}/raw/student_performance/ingest_date=2024-01-01/"
    )

    fmt = StorageFormat.from_table(table)
    assert (fmt.kind, fmt.delimiter, fmt.skip_header_lines, fmt.quote_char) == ("csv", ",", 1, None)

    metrics = glue.get_crawler_metrics(CrawlerNameList=[name])["CrawlerMetricsList"][0]
    assert metrics["TablesCreated"] == 1 and metrics["LastRuntimeSeconds"] > 0

    events = aws("logs").get_log_events(logGroupName="/aws-glue/crawlers", logStreamName=name)["events"]
    messages = [e["message"] for e in events]
    assert any("Created table student_performance" in m and "20 columns" in m for m in messages), messages
    assert any("Created partitions with values [['2024-01-01']]" in m for m in messages)
    assert messages[-1].endswith("Crawler has finished running and is in state READY")


def test_target_without_scheme_and_table_prefix(glue, root, bucket):
    put(root, bucket, "sales/2024/part1.csv", "id,amount\n1,2.5\n")
    put(root, bucket, "sales/2025/part1.csv", "id,amount\n2,3\n")
    db = unique("db").replace("-", "_")
    crawler = crawl(glue, unique("c"), db, [f"{bucket}/sales"], TablePrefix="raw_")
    assert crawler["LastCrawl"]["Status"] == "SUCCEEDED"
    table = glue.get_table(DatabaseName=db, Name="raw_sales")["Table"]
    assert table["PartitionKeys"] == [{"Name": "partition_0", "Type": "string"}]
    assert columns(table) == [("id", "bigint"), ("amount", "double")]
    values = sorted(
        p["Values"][0] for p in glue.get_partitions(DatabaseName=db, TableName="raw_sales")["Partitions"]
    )
    assert values == ["2024", "2025"]


def test_one_table_per_folder_of_compatible_files_and_exclusions(glue, root, bucket):
    put(root, bucket, "lake/orders/a.csv", "order_id,total\n1,9.5\n")
    put(root, bucket, "lake/orders/b.csv", "order_id,total\n2,3.25\n")
    put(
        root,
        bucket,
        "lake/customers/c.json",
        '{"customer_id": 1, "name": "ann"}\n{"customer_id": 2, "name": "bob"}\n',
    )
    put(root, bucket, "lake/tmp/junk.csv", "x,y\n1,2\n")
    put(root, bucket, "lake/orders/_SUCCESS", "")
    db = unique("db").replace("-", "_")
    crawler = crawl(glue, unique("c"), db, [{"Path": f"s3://{bucket}/lake/", "Exclusions": ["tmp/**"]}])
    assert crawler["LastCrawl"]["Status"] == "SUCCEEDED"
    tables = {t["Name"]: t for t in glue.get_tables(DatabaseName=db)["TableList"]}
    assert sorted(tables) == ["customers", "orders"]
    assert tables["orders"]["Parameters"]["objectCount"] == "2"
    assert tables["orders"]["PartitionKeys"] == []
    assert columns(tables["customers"]) == [("customer_id", "bigint"), ("name", "string")]
    assert tables["customers"]["Parameters"]["classification"] == "json"
    assert tables["customers"]["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"] == (
        "org.openx.data.jsonserde.JsonSerDe"
    )


def test_parquet_and_multi_level_hive_partitions(glue, root, bucket):
    for year, month in [("2023", "12"), ("2024", "01"), ("2024", "02")]:
        buffer = io.BytesIO()
        pq.write_table(pa.table({"id": pa.array([1, 2], pa.int32()), "v": [0.5, 1.5]}), buffer)
        put(root, bucket, f"events/year={year}/month={month}/part-0.parquet", buffer.getvalue())
    db = unique("db").replace("-", "_")
    crawl(glue, unique("c"), db, [f"s3://{bucket}/events"])
    table = glue.get_table(DatabaseName=db, Name="events")["Table"]
    assert columns(table) == [("id", "int"), ("v", "double")]
    assert [k["Name"] for k in table["PartitionKeys"]] == ["year", "month"]
    assert (
        table["StorageDescriptor"]["InputFormat"]
        == "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    )
    found = glue.get_partitions(
        DatabaseName=db, TableName="events", Expression="year > '2023' AND month = '02'"
    )
    assert [p["Values"] for p in found["Partitions"]] == [["2024", "02"]]


def test_quoted_csv_uses_open_csv_serde_and_is_typed(glue, root, bucket):
    """Glue's built-in classifier types a quoted CSV's columns (bigint, double, boolean) and gives it
    OpenCSVSerDe, whose typed columns Athena parses
    (https://docs.aws.amazon.com/athena/latest/ug/csv-serde.html, non-string data)."""
    put(root, bucket, "people/p.csv", 'id|name|score\n1|"Smith| John"|2\n2|"Doe"|3\n')
    db = unique("db").replace("-", "_")
    crawl(glue, unique("c"), db, [f"s3://{bucket}/people/"])
    table = glue.get_table(DatabaseName=db, Name="people")["Table"]
    serde = table["StorageDescriptor"]["SerdeInfo"]
    assert serde["SerializationLibrary"] == OPEN_CSV_SERDE
    assert serde["Parameters"] == {"separatorChar": "|", "quoteChar": '"'}
    assert columns(table) == [("id", "bigint"), ("name", "string"), ("score", "bigint")]
    assert table["Parameters"]["areColumnsQuoted"] == "true"
    assert StorageFormat.from_table(table).strips_quotes


def test_missing_targets_fail_the_crawl_with_a_message(glue, root, bucket):
    name = unique("c")
    db = unique("db").replace("-", "_")
    crawler = crawl(glue, name, db, [f"s3://{bucket}/nothing/here/"])
    assert crawler["State"] == "READY"
    assert crawler["LastCrawl"]["Status"] == "FAILED"
    assert f"s3://{bucket}/nothing/here/" in crawler["LastCrawl"]["ErrorMessage"]
    crawler = crawl(glue, name, db, ["s3://no-such-bucket-anywhere/data/"])
    assert crawler["LastCrawl"]["Status"] == "FAILED"
    assert "no-such-bucket-anywhere" in crawler["LastCrawl"]["ErrorMessage"]
    crawls = glue.list_crawls(CrawlerName=name)["Crawls"]
    assert [c["State"] for c in crawls] == ["FAILED", "FAILED"]


def test_recrawl_adds_partitions_and_columns(glue, root, bucket):
    put(root, bucket, "t/dt=2024-01-01/a.csv", "id,name\n1,a\n")
    db, name = unique("db").replace("-", "_"), unique("c")
    crawl(glue, name, db, [f"s3://{bucket}/t/"])
    put(root, bucket, "t/dt=2024-01-02/a.csv", "id,name,score\n2,b,1.5\n")
    crawler = crawl(glue, name, db, [f"s3://{bucket}/t/"])
    assert crawler["LastCrawl"]["Status"] == "SUCCEEDED"
    table = glue.get_table(DatabaseName=db, Name="t")["Table"]
    assert columns(table) == [("id", "bigint"), ("name", "string"), ("score", "double")]
    values = sorted(p["Values"][0] for p in glue.get_partitions(DatabaseName=db, TableName="t")["Partitions"])
    assert values == ["2024-01-01", "2024-01-02"]
    metrics = glue.get_crawler_metrics(CrawlerNameList=[name])["CrawlerMetricsList"][0]
    assert (metrics["TablesCreated"], metrics["TablesUpdated"]) == (0, 1)
    versions = glue.get_table_versions(DatabaseName=db, TableName="t")["TableVersions"]
    assert len(versions) == 2
    summary = json.loads(glue.list_crawls(CrawlerName=name)["Crawls"][0]["Summary"])
    assert summary["PARTITION"]["ADD"]["Count"] == 1


def test_update_behavior_log_leaves_the_table(glue, root, bucket):
    put(root, bucket, "t/a.csv", "id,name\n1,a\n")
    db, name = unique("db").replace("-", "_"), unique("c")
    policy = {"UpdateBehavior": "LOG", "DeleteBehavior": "LOG"}
    crawl(glue, name, db, [f"s3://{bucket}/t/"], SchemaChangePolicy=policy)
    put(root, bucket, "t/b.csv", "id,name,extra\n2,b,true\n")
    crawl(glue, name, db, [f"s3://{bucket}/t/"], SchemaChangePolicy=policy)
    table = glue.get_table(DatabaseName=db, Name="t")["Table"]
    assert columns(table) == [("id", "bigint"), ("name", "string")]


@pytest.mark.parametrize(
    ("behavior", "expect"),
    [("DEPRECATE_IN_DATABASE", "deprecated"), ("DELETE_FROM_DATABASE", "deleted"), ("LOG", "kept")],
)
def test_delete_behavior(glue, root, bucket, behavior, expect):
    put(root, bucket, "lake/a/x.csv", "id,v\n1,2\n")
    put(root, bucket, "lake/b/y.json", '{"k": "v"}\n')
    put(root, bucket, "lake/c/z.json", '{"other": 1, "thing": 2}\n')
    db, name = unique("db").replace("-", "_"), unique("c")
    policy = {"UpdateBehavior": "UPDATE_IN_DATABASE", "DeleteBehavior": behavior}
    crawl(glue, name, db, [f"s3://{bucket}/lake/"], SchemaChangePolicy=policy)
    (root / bucket / "lake/b/y.json").unlink()
    crawl(glue, name, db, [f"s3://{bucket}/lake/"], SchemaChangePolicy=policy)
    names = [t["Name"] for t in glue.get_tables(DatabaseName=db)["TableList"]]
    metrics = glue.get_crawler_metrics(CrawlerNameList=[name])["CrawlerMetricsList"][0]
    if expect == "deleted":
        assert names == ["a", "c"] and metrics["TablesDeleted"] == 1
    else:
        assert names == ["a", "b", "c"]
        params = glue.get_table(DatabaseName=db, Name="b")["Table"]["Parameters"]
        assert ("DEPRECATED_BY_CRAWLER" in params) is (expect == "deprecated")


def test_crawler_crud_and_errors(glue):
    name = unique("crud")
    glue.create_crawler(
        Name=name,
        Role="r",
        DatabaseName="d",
        Targets={"S3Targets": [{"Path": "s3://b/p"}]},
        Schedule="cron(0 12 * * ? *)",
        Tags={"team": "data"},
    )
    with pytest.raises(ClientError) as caught:
        glue.create_crawler(Name=name, Role="r", Targets={"S3Targets": [{"Path": "s3://b/p"}]})
    assert caught.value.response["Error"]["Code"] == "AlreadyExistsException"
    got = glue.get_crawler(Name=name)["Crawler"]
    assert got["State"] == "READY" and got["Version"] == 1
    assert got["Schedule"] == {"ScheduleExpression": "cron(0 12 * * ? *)", "State": "SCHEDULED"}
    assert got["SchemaChangePolicy"] == {
        "UpdateBehavior": "UPDATE_IN_DATABASE",
        "DeleteBehavior": "DEPRECATE_IN_DATABASE",
    }
    glue.update_crawler(Name=name, TablePrefix="p_", Description="nightly")
    got = glue.get_crawler(Name=name)["Crawler"]
    assert (got["TablePrefix"], got["Description"], got["Version"]) == ("p_", "nightly", 2)
    glue.update_crawler_schedule(CrawlerName=name, Schedule="cron(0 6 * * ? *)")
    assert glue.get_crawler(Name=name)["Crawler"]["Schedule"]["ScheduleExpression"] == "cron(0 6 * * ? *)"
    assert name in glue.list_crawlers(Tags={"team": "data"})["CrawlerNames"]
    assert name not in glue.list_crawlers(Tags={"team": "other"})["CrawlerNames"]
    batch = glue.batch_get_crawlers(CrawlerNames=[name, "ghost"])
    assert [c["Name"] for c in batch["Crawlers"]] == [name] and batch["CrawlersNotFound"] == ["ghost"]
    assert name in [c["Name"] for c in glue.get_crawlers()["Crawlers"]]
    arn = f"arn:aws:glue:us-east-1:123456789012:crawler/{name}"
    assert glue.get_tags(ResourceArn=arn)["Tags"] == {"team": "data"}
    with pytest.raises(ClientError) as caught:
        glue.stop_crawler(Name=name)
    assert caught.value.response["Error"]["Code"] == "CrawlerNotRunningException"
    glue.delete_crawler(Name=name)
    for call in (
        lambda: glue.get_crawler(Name=name),
        lambda: glue.start_crawler(Name=name),
        lambda: glue.get_tags(ResourceArn=arn),
    ):
        with pytest.raises(ClientError) as caught:
            call()
        assert caught.value.response["Error"]["Code"] == "EntityNotFoundException"
        assert name in caught.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as caught:
        glue.create_crawler(Name=name, Role="r", Targets={})
    assert caught.value.response["Error"]["Code"] == "InvalidInputException"


def test_grouping_configuration(glue, root, bucket):
    put(root, bucket, "lake/a/2024/x.csv", "id,v\n1,2\n")
    put(root, bucket, "lake/b/2024/y.csv", "id,v\n3,4\n")
    db = unique("db").replace("-", "_")
    crawl(glue, unique("c"), db, [f"s3://{bucket}/lake/"])
    lake = glue.get_table(DatabaseName=db, Name="lake")["Table"]
    assert [k["Name"] for k in lake["PartitionKeys"]] == ["partition_0", "partition_1"]

    db2 = unique("db").replace("-", "_")
    by_level = json.dumps({"Version": 1.0, "Grouping": {"TableLevelConfiguration": 3}})
    crawl(glue, unique("c"), db2, [f"s3://{bucket}/lake/"], Configuration=by_level)
    tables = {t["Name"]: t for t in glue.get_tables(DatabaseName=db2)["TableList"]}
    assert sorted(tables) == ["a", "b"]
    assert tables["a"]["StorageDescriptor"]["Location"] == f"s3://{bucket}/lake/a/"
    assert [k["Name"] for k in tables["a"]["PartitionKeys"]] == ["partition_0"]

    put(root, bucket, "mixed/top.csv", "id,v\n1,2\n")
    put(root, bucket, "mixed/sub/deeper.csv", "id,v\n3,4\n")
    db3 = unique("db").replace("-", "_")
    crawl(glue, unique("c"), db3, [f"s3://{bucket}/mixed/"])
    assert sorted(t["Name"] for t in glue.get_tables(DatabaseName=db3)["TableList"]) == ["mixed", "sub"]
    db4 = unique("db").replace("-", "_")
    combine = json.dumps({"Version": 1.0, "Grouping": {"TableGroupingPolicy": "CombineCompatibleSchemas"}})
    crawl(glue, unique("c"), db4, [f"s3://{bucket}/mixed/"], Configuration=combine)
    single = glue.get_tables(DatabaseName=db4)["TableList"]
    assert [(t["Name"], t["Parameters"]["objectCount"]) for t in single] == [("mixed", "2")]


def test_a_single_file_target_is_a_table_named_after_the_file(glue, root, bucket):
    put(root, bucket, "drop/orders.csv", "id,total\n1,2.5\n")
    put(root, bucket, "drop/orders.csv.bak/ignored.csv", "x,y\n1,2\n")
    db = unique("db").replace("-", "_")
    crawler = crawl(glue, unique("c"), db, [f"s3://{bucket}/drop/orders.csv"])
    assert crawler["LastCrawl"]["Status"] == "SUCCEEDED"
    tables = glue.get_tables(DatabaseName=db)["TableList"]
    assert [(t["Name"], t["StorageDescriptor"]["Location"]) for t in tables] == [
        ("orders_csv", f"s3://{bucket}/drop/orders.csv")
    ]

"""JdbcTargets: a real crawl of the local warehouse's tables through a Glue connection, then a real job
reading a crawled table with `from_catalog`.

- https://docs.aws.amazon.com/glue/latest/webapi/API_JdbcTarget.html (ConnectionName, Path,
  Exclusions, EnableAdditionalMetadata)
- include paths `database/schema/%` (https://docs.aws.amazon.com/glue/latest/dg/define-crawler-choose-data-sources.html)
- the parameters the crawler sets (https://docs.aws.amazon.com/glue/latest/dg/table-properties-crawler.html)
"""

from __future__ import annotations

import json
import textwrap
import time
import uuid
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from awstwin.endpoint.glue.crawler.jdbc_crawl import IncludePath, glue_type

ROLE = "arn:aws:iam::123456789012:role/glue"


@pytest.fixture(scope="module")
def database(warehouse: Any) -> str:
    """A database of this module's own in the session's warehouse, with tables, a view and comments."""
    name = f"crawl_{uuid.uuid4().hex[:8]}"
    admin = warehouse.connect()
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}")
    admin.close()
    with warehouse.connect(name) as connection, connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE public.sales (id integer PRIMARY KEY, amount numeric(10,2), qty bigint, "
            "ratio double precision, small smallint, ok boolean, sold date, at timestamp, "
            "note varchar(40), code char(3), body text, tags text[], raw bytea, ref uuid)"
        )
        cursor.execute("COMMENT ON TABLE public.sales IS 'one row per sale'")
        cursor.execute("COMMENT ON COLUMN public.sales.amount IS 'in euros'")
        cursor.execute(
            "INSERT INTO public.sales (id, amount, qty, note, ok) VALUES "
            "(1, 9.50, 3, 'first', true), (2, 20.25, 1, 'second', false)"
        )
        cursor.execute(
            "CREATE VIEW public.big_sales AS SELECT id, amount FROM public.sales WHERE amount > 10"
        )
        cursor.execute("CREATE TABLE public.tmp_scratch (x int)")
        cursor.execute("CREATE SCHEMA other")
        cursor.execute("CREATE TABLE other.elsewhere (y int)")
        connection.commit()
    return name


def jdbc_url(warehouse: Any, database: str, subprotocol: str = "postgresql") -> str:
    return (
        warehouse.jdbc_url.rsplit("/", 1)[0].replace("jdbc:postgresql:", f"jdbc:{subprotocol}:")
        + f"/{database}"
    )


def crawl(glue: Any, targets: list[dict], database: str, **kwargs: Any) -> dict:
    name = f"jdbc-{uuid.uuid4().hex[:8]}"
    glue.create_crawler(
        Name=name, Role=ROLE, DatabaseName=database, Targets={"JdbcTargets": targets}, **kwargs
    )
    return run(glue, name)


def run(glue: Any, name: str) -> dict:
    crawls = len(glue.list_crawls(CrawlerName=name)["Crawls"])
    glue.start_crawler(Name=name)
    deadline = time.monotonic() + 60
    while (crawler := glue.get_crawler(Name=name)["Crawler"])["State"] != "READY" or len(
        glue.list_crawls(CrawlerName=name)["Crawls"]
    ) == crawls:
        assert time.monotonic() < deadline, "the crawler did not finish"
        time.sleep(0.05)
    return crawler


def columns(table: dict) -> list[tuple[str, str]]:
    return [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]]


@pytest.mark.parametrize(
    ("pg", "glue"),
    [
        ("integer", "int"),
        ("numeric(10,2)", "decimal(10,2)"),
        ("character varying(40)", "string"),
        ("timestamp without time zone", "timestamp"),
        ("timestamp with time zone", "timestamp"),
        ("text[]", "array<string>"),
        ("uuid", "string"),
    ],
)
def test_type_mapping(pg, glue):
    assert glue_type(pg) == glue


def test_include_paths_cover_locations():
    assert IncludePath.parse("dev/public/%").covers("dev.public.sales")
    assert not IncludePath.parse("dev/public/%").covers("dev.other.sales")
    assert IncludePath.parse("dev/%").covers("dev.other.sales")
    assert IncludePath.parse("dev/public/sale_").covers("dev.public.sales")  # JDBC's `_`: one character


def test_jdbc_target_crawls_tables_and_views_with_their_types(aws, warehouse, database):
    glue = aws("glue")
    connection = f"wh-{uuid.uuid4().hex[:6]}"
    glue.create_connection(
        ConnectionInput={
            "Name": connection,
            "ConnectionType": "JDBC",
            "ConnectionProperties": {
                "JDBC_CONNECTION_URL": jdbc_url(warehouse, "postgres"),  # the path names the database
                "USERNAME": warehouse.user,
                "PASSWORD": warehouse.password,
            },
        }
    )
    catalog_db = f"jdbc_{uuid.uuid4().hex[:8]}"
    target = {
        "ConnectionName": connection,
        "Path": f"{database}/public/%",
        "Exclusions": ["tmp_*"],
        "EnableAdditionalMetadata": ["COMMENTS"],
    }
    crawler = crawl(glue, [target], catalog_db, TablePrefix="wh_")
    assert crawler["LastCrawl"]["Status"] == "SUCCEEDED", crawler["LastCrawl"]
    tables = {t["Name"]: t for t in glue.get_tables(DatabaseName=catalog_db)["TableList"]}
    assert sorted(tables) == [f"wh_{database}_public_big_sales", f"wh_{database}_public_sales"]
    sales = tables[f"wh_{database}_public_sales"]
    assert columns(sales) == [
        ("id", "int"),
        ("amount", "decimal(10,2)"),
        ("qty", "bigint"),
        ("ratio", "double"),
        ("small", "smallint"),
        ("ok", "boolean"),
        ("sold", "date"),
        ("at", "timestamp"),
        ("note", "string"),
        ("code", "string"),
        ("body", "string"),
        ("tags", "array<string>"),
        ("raw", "binary"),
        ("ref", "string"),
    ]
    assert sales["StorageDescriptor"]["Location"] == f"{database}.public.sales"
    params = sales["Parameters"]
    assert params["classification"] == "postgresql"
    assert params["connectionName"] == connection
    assert params["typeOfData"] == "table"
    assert sales["Description"] == "one row per sale"
    assert sales["StorageDescriptor"]["Columns"][1]["Comment"] == "in euros"
    assert tables[f"wh_{database}_public_big_sales"]["Parameters"]["typeOfData"] == "view"


@pytest.mark.spark  # the job reading the crawled table is a glueetl run
def test_secret_credentials_redshift_subprotocol_and_a_job_reading_the_crawled_table(
    aws, warehouse, database
):
    glue, s3 = aws("glue"), aws("s3")
    secret = f"wh-secret-{uuid.uuid4().hex[:6]}"
    aws("secretsmanager").create_secret(
        Name=secret, SecretString=json.dumps({"username": warehouse.user, "password": warehouse.password})
    )
    connection = f"wh-{uuid.uuid4().hex[:6]}"
    glue.create_connection(
        ConnectionInput={
            "Name": connection,
            "ConnectionType": "JDBC",
            "ConnectionProperties": {
                "JDBC_CONNECTION_URL": jdbc_url(warehouse, database, "redshift"),
                "SECRET_ID": secret,
            },
        }
    )
    catalog_db = f"jdbc_{uuid.uuid4().hex[:8]}"
    crawler = crawl(glue, [{"ConnectionName": connection, "Path": f"{database}/public/sales"}], catalog_db)
    assert crawler["LastCrawl"]["Status"] == "SUCCEEDED", crawler["LastCrawl"]
    table = glue.get_table(DatabaseName=catalog_db, Name=f"{database}_public_sales")["Table"]
    assert table["Parameters"]["classification"] == "redshift"

    bucket = f"jdbc-job-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    script = textwrap.dedent(
        f"""
        import sys
        from awsglue.context import GlueContext
        from awsglue.utils import getResolvedOptions
        from pyspark.context import SparkContext

        args = getResolvedOptions(sys.argv, ["JOB_NAME"])
        glue_context = GlueContext(SparkContext.getOrCreate())
        frame = glue_context.create_dynamic_frame.from_catalog(
            database="{catalog_db}", table_name="{database}_public_sales"
        )
        frame.toDF().select("id", "amount", "qty", "note", "ok").write.parquet("s3://{bucket}/out/")
        """
    )
    s3.put_object(Bucket=bucket, Key="job.py", Body=script.encode())
    job = f"read-crawled-{uuid.uuid4().hex[:6]}"
    glue.create_job(
        Name=job,
        Role=ROLE,
        GlueVersion="5.0",
        Command={"Name": "glueetl", "ScriptLocation": f"s3://{bucket}/job.py"},
        Connections={"Connections": [connection]},
    )
    run_id = glue.start_job_run(JobName=job)["JobRunId"]
    deadline = time.monotonic() + 300
    while (job_run := glue.get_job_run(JobName=job, RunId=run_id)["JobRun"])["JobRunState"] in (
        "STARTING",
        "RUNNING",
        "STOPPING",
    ):
        assert time.monotonic() < deadline
        time.sleep(0.5)
    assert job_run["JobRunState"] == "SUCCEEDED", job_run.get("ErrorMessage")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="out/")["Contents"]]
    rows = []
    for key in keys:
        if key.endswith(".parquet"):
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            rows += pq.read_table(pa.BufferReader(body)).to_pylist()
    got = sorted((r["id"], float(r["amount"]), r["qty"], r["note"], r["ok"]) for r in rows)
    assert got == [(1, 9.5, 3, "first", True), (2, 20.25, 1, "second", False)]


def test_recrawl_updates_changed_tables_and_deprecates_dropped_ones(aws, warehouse, database):
    glue = aws("glue")
    with warehouse.connect(database) as connection, connection.cursor() as cursor:
        cursor.execute("CREATE SCHEMA IF NOT EXISTS moving")
        cursor.execute("CREATE TABLE moving.stays (a int)")
        cursor.execute("CREATE TABLE moving.goes (b int)")
        connection.commit()
    connection_name = f"wh-{uuid.uuid4().hex[:6]}"
    glue.create_connection(
        ConnectionInput={
            "Name": connection_name,
            "ConnectionType": "JDBC",
            "ConnectionProperties": {
                "JDBC_CONNECTION_URL": jdbc_url(warehouse, database),
                "USERNAME": warehouse.user,
                "PASSWORD": warehouse.password,
            },
        }
    )
    catalog_db = f"jdbc_{uuid.uuid4().hex[:8]}"
    name = f"jdbc-{uuid.uuid4().hex[:8]}"
    glue.create_crawler(
        Name=name,
        Role=ROLE,
        DatabaseName=catalog_db,
        Targets={"JdbcTargets": [{"ConnectionName": connection_name, "Path": f"{database}/moving/%"}]},
    )
    assert run(glue, name)["LastCrawl"]["Status"] == "SUCCEEDED"
    with warehouse.connect(database) as connection, connection.cursor() as cursor:
        cursor.execute("ALTER TABLE moving.stays ADD COLUMN c text")
        cursor.execute("DROP TABLE moving.goes")
        connection.commit()
    assert run(glue, name)["LastCrawl"]["Status"] == "SUCCEEDED"
    tables = {t["Name"]: t for t in glue.get_tables(DatabaseName=catalog_db)["TableList"]}
    assert columns(tables[f"{database}_moving_stays"]) == [("a", "int"), ("c", "string")]
    assert tables[f"{database}_moving_goes"]["Parameters"]["DEPRECATED_BY_CRAWLER"] == name
    summary = json.loads(glue.list_crawls(CrawlerName=name)["Crawls"][0]["Summary"])
    assert summary["TABLE"]["UPDATE"]["Count"] == 1 and summary["TABLE"]["DELETE"]["Count"] == 1


def test_a_missing_connection_or_database_fails_the_crawl_and_says_why(aws, warehouse, database):
    glue = aws("glue")
    crawler = crawl(glue, [{"ConnectionName": "no-such-connection", "Path": "dev/public/%"}], "jdbc_missing")
    assert crawler["LastCrawl"]["Status"] == "FAILED"
    assert "no-such-connection" in crawler["LastCrawl"]["ErrorMessage"]
    connection = f"wh-{uuid.uuid4().hex[:6]}"
    glue.create_connection(
        ConnectionInput={
            "Name": connection,
            "ConnectionType": "JDBC",
            "ConnectionProperties": {
                "JDBC_CONNECTION_URL": jdbc_url(warehouse, database),
                "USERNAME": warehouse.user,
                "PASSWORD": "wrong-password",
            },
        }
    )
    crawler = crawl(glue, [{"ConnectionName": connection, "Path": f"{database}/public/%"}], "jdbc_missing")
    assert crawler["LastCrawl"]["Status"] == "FAILED"
    assert connection in crawler["LastCrawl"]["ErrorMessage"]

"""Athena and the crawler against what a user would run instead.

- `athena_select_1`, `athena_count_1m`, `athena_groupby_1m`: StartQueryExecution -> SUCCEEDED (polled
  every 5 ms) -> the first GetQueryResults page, against the same SQL in DuckDB in-process on the very
  Parquet file the table's LOCATION holds (1,000,000 generated rows of the real 20-column schema);
- `crawler_1000_files`: 1,000 CSV files in 10 Hive partitions, StartCrawler to READY (no baseline:
  moto's crawler creates no table, LocalStack's free tier has no Glue).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3

from awstwin.bench import servers
from awstwin.bench.harness import Comparison, Goal, timed
from awstwin.bench.options import Options

ROWS = 1_000_000
BUCKET = "bench-athena"
OUTPUT = f"s3://{BUCKET}/results/"
QUERIES = {
    "athena_select_1": ("SELECT 1", "SELECT 1"),
    "athena_count_1m": ("SELECT count(*) FROM students", "SELECT count(*) FROM students"),
    "athena_groupby_1m": (
        "SELECT gender, school_type, count(*) AS n, avg(exam_score) AS mean, max(hours_studied) AS most, "
        "sum(attendance) AS attendance FROM students GROUP BY gender, school_type ORDER BY 1, 2",
    )
    * 2,
}
CRAWL_FILES, CRAWL_PARTITIONS = 1000, 10
POLL_SECONDS = 0.005


def _client(service: str, url: str):  # noqa: ANN202
    return boto3.client(
        service,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def _query(athena, sql: str) -> list:  # noqa: ANN001
    query_id = athena.start_query_execution(
        QueryString=sql,
        QueryExecutionContext={"Database": "bench"},
        ResultConfiguration={"OutputLocation": OUTPUT},
    )["QueryExecutionId"]
    while True:
        status = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]
        if status["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            break
        time.sleep(POLL_SECONDS)
    if status["State"] != "SUCCEEDED":
        raise RuntimeError(f"Athena query {sql!r} ended {status['State']}: {status.get('StateChangeReason')}")
    return athena.get_query_results(QueryExecutionId=query_id)["ResultSet"]["Rows"]


def _students_parquet(folder: Path) -> Path:
    """1M generated rows of the dataset's schema, typed by DuckDB, as one Parquet file."""
    import duckdb

    from awstwin.data.generator import generate

    csv = folder / "students.csv"
    generate(csv, rows=ROWS)
    target = folder / "students.parquet"
    with duckdb.connect() as con:
        con.execute(
            f"COPY (SELECT * FROM read_csv('{csv}', header=true, normalize_names=true)) "
            f"TO '{target}' (FORMAT parquet)"
        )
    csv.unlink()
    return target


def _create_table(athena, parquet: Path) -> None:  # noqa: ANN001
    import duckdb

    with duckdb.connect() as con:
        described = con.execute(f"DESCRIBE SELECT * FROM '{parquet}'").fetchall()
    athena_types = {"BIGINT": "bigint", "VARCHAR": "string", "DOUBLE": "double", "INTEGER": "int"}
    columns = ", ".join(f"{name} {athena_types.get(kind, 'string')}" for name, kind, *_ in described)
    _query(athena, "CREATE DATABASE IF NOT EXISTS bench")
    _query(
        athena,
        f"CREATE EXTERNAL TABLE IF NOT EXISTS students ({columns}) STORED AS PARQUET "
        f"LOCATION 's3://{BUCKET}/students/'",
    )


def _athena_comparisons(options: Options) -> Iterator[Comparison]:
    import duckdb

    names = [name for name in QUERIES if options.wants(name)]
    if not names:
        return
    with servers.awstwin_endpoint() as endpoint, tempfile.TemporaryDirectory(prefix="awstwin-bench-") as tmp:
        s3, athena = _client("s3", endpoint.url), _client("athena", endpoint.url)
        s3.create_bucket(Bucket=BUCKET)
        parquet = _students_parquet(Path(tmp))
        s3.upload_file(str(parquet), BUCKET, "students/students.parquet")
        _create_table(athena, parquet)
        duck = duckdb.connect()
        duck.execute(f"CREATE VIEW students AS SELECT * FROM read_parquet('{parquet}')")
        for name in names:
            athena_sql, duck_sql = QUERIES[name]
            goals = [Goal("overhead", "<=", 0.020)]
            if name == "athena_select_1":
                goals.insert(0, Goal("seconds", "<=", 0.040))
            yield Comparison(
                name,
                lambda sql=athena_sql: timed(lambda: _query(athena, sql)),
                f"DuckDB {duckdb.__version__} in-process",
                lambda sql=duck_sql: timed(lambda: duck.execute(sql).fetchall()),
                goals=goals,
                warmup=True,
                note="StartQueryExecution to the first results page vs the same SQL in DuckDB, same Parquet",
            )
        duck.close()


def _crawler_comparisons(options: Options) -> Iterator[Comparison]:
    if not options.wants("crawler_1000_files"):
        return
    with servers.awstwin_endpoint() as endpoint:
        s3, glue = _client("s3", endpoint.url), _client("glue", endpoint.url)
        s3.create_bucket(Bucket=BUCKET)
        header = b"id,name,score\n"

        def put(index: int) -> None:
            part = index % CRAWL_PARTITIONS
            body = header + b"".join(b"%d,name%d,%d\n" % (i, i, i % 100) for i in range(index, index + 20))
            s3.put_object(
                Bucket=BUCKET, Key=f"crawl/dt=2024-01-{part + 1:02d}/file-{index:04d}.csv", Body=body
            )

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(put, range(CRAWL_FILES)))
        glue.create_database(DatabaseInput={"Name": "crawled"})
        glue.create_crawler(
            Name="bench-crawler",
            Role="arn:aws:iam::123456789012:role/glue",
            DatabaseName="crawled",
            Targets={"S3Targets": [{"Path": f"s3://{BUCKET}/crawl/"}]},
        )

        def crawl() -> dict:
            glue.start_crawler(Name="bench-crawler")
            while glue.get_crawler(Name="bench-crawler")["Crawler"]["State"] != "READY":
                time.sleep(POLL_SECONDS)
            last = glue.get_crawler(Name="bench-crawler")["Crawler"].get("LastCrawl", {})
            if last.get("Status") != "SUCCEEDED":
                raise RuntimeError(f"the crawl ended {last}")
            partitions = glue.get_partitions(DatabaseName="crawled", TableName="crawl")["Partitions"]
            return {"partitions": len(partitions)}

        yield Comparison(
            "crawler_1000_files",
            lambda: timed(crawl),
            note=f"{CRAWL_FILES} CSV files in {CRAWL_PARTITIONS} Hive partitions, StartCrawler to READY",
        )


def comparisons(options: Options) -> Iterator[Comparison]:
    yield from _athena_comparisons(options)
    yield from _crawler_comparisons(options)

"""Glue behaviours of issue 6 not covered elsewhere, through boto3 against the session endpoint.

Covered elsewhere (tests/endpoint/glue): header detection, quoted CSV -> OpenCSVSerde, comma/pipe
quoted files, JSON lines, Parquet, Hive partitions, one table per folder, Exclusions, TablePrefix,
SchemaChangePolicy and DeleteBehavior, re-crawls, GetCrawlerMetrics, UpdateCrawler, ListCrawls, a
missing target, paths without `s3://`, crawler logs, GetPartitions Expression (test_crawler.py); job
definitions (test_jobs_api.py); runs, arguments, TIMEOUT, STOPPED, MaxConcurrentRuns, GetJobRuns,
logs, pythonshell (test_jobs_lifecycle.py); plain Spark I/O on s3:// (test_jobs_spark.py).
Here: tab and plain pipe files, the bounded sample, StopCrawler on a running crawl, tags on crawlers
and jobs, and a glueetl run whose script uses from_options and every transform the issue names.
"""

from __future__ import annotations

import io
import json
import textwrap
import threading
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from botocore.exceptions import ClientError
from tests.conformance.conftest import crawl_done, query_done, run_done, unique


def crawl(glue: Any, path: str, **kwargs: Any) -> tuple[str, str, dict[str, Any]]:
    name, database = unique("crawler-"), unique("db_")
    glue.create_crawler(
        Name=name, Role="role", DatabaseName=database, Targets={"S3Targets": [{"Path": path}]}, **kwargs
    )
    glue.start_crawler(Name=name)
    return name, database, crawl_done(glue, name)


def test_tab_and_plain_pipe_files_crawl_into_tables_athena_reads(glue, athena, s3, bucket):
    s3.put_object(Bucket=bucket, Key="tsv/a.tsv", Body=b"id\tname\tscore\n1\tann\t2.5\n2\tbob, jr\t3\n")
    s3.put_object(Bucket=bucket, Key="psv/a.txt", Body=b"id|city|ok\n7|paris|true\n8|rome|false\n")
    _, database, crawler = crawl(glue, f"s3://{bucket}/tsv/")
    assert crawler["LastCrawl"]["Status"] == "SUCCEEDED"
    tsv = glue.get_table(DatabaseName=database, Name="tsv")["Table"]
    assert tsv["StorageDescriptor"]["SerdeInfo"]["Parameters"] == {"field.delim": "\t"}
    assert [(c["Name"], c["Type"]) for c in tsv["StorageDescriptor"]["Columns"]] == [
        ("id", "bigint"),
        ("name", "string"),
        ("score", "double"),
    ]
    glue.update_crawler(Name=crawler["Name"], Targets={"S3Targets": [{"Path": f"s3://{bucket}/psv/"}]})
    glue.start_crawler(Name=crawler["Name"])
    crawl_done(glue, crawler["Name"])
    psv = glue.get_table(DatabaseName=database, Name="psv")["Table"]
    assert psv["StorageDescriptor"]["SerdeInfo"]["Parameters"] == {"field.delim": "|"}
    assert [c["Type"] for c in psv["StorageDescriptor"]["Columns"]] == ["bigint", "string", "boolean"]

    query = athena.start_query_execution(
        QueryString="SELECT t.name, t.score, p.city FROM tsv t JOIN psv p ON p.id = t.id + 6 ORDER BY t.id",
        QueryExecutionContext={"Database": database},
        ResultConfiguration={"OutputLocation": f"s3://{bucket}/results/"},
    )["QueryExecutionId"]
    assert query_done(athena, query)["Status"]["State"] == "SUCCEEDED"
    rows = athena.get_query_results(QueryExecutionId=query)["ResultSet"]["Rows"]
    assert [[d.get("VarCharValue") for d in r["Data"]] for r in rows[1:]] == [
        ["ann", "2.5", "paris"],
        ["bob, jr", "3.0", "rome"],
    ]


def test_schema_inference_reads_a_bounded_sample(glue, s3, bucket):
    """Past the first MiB a value is not a number: Glue never sees it, so the column stays bigint."""
    head = "id,value\n" + "".join(f"{i},{i * 3}\n" for i in range(120_000))
    assert len(head) > 1024 * 1024
    s3.put_object(Bucket=bucket, Key="big/data.csv", Body=(head + "120000,not-a-number\n").encode())
    _, database, crawler = crawl(glue, f"s3://{bucket}/big/")
    assert crawler["LastCrawl"]["Status"] == "SUCCEEDED"
    table = glue.get_table(DatabaseName=database, Name="big")["Table"]
    assert [c["Type"] for c in table["StorageDescriptor"]["Columns"]] == ["bigint", "bigint"]
    estimate = int(table["Parameters"]["recordCount"])  # estimated from the sample, as Glue does
    assert estimate != 120_001 and abs(estimate - 120_001) < 6_000


class GatedS3:
    """The endpoint's S3 access, except that listing `bucket` waits until the test opens the gate."""

    def __init__(self, inner: Any, bucket: str):
        self._inner, self._bucket = inner, bucket
        self.listing, self.gate = threading.Event(), threading.Event()

    def list_objects(self, bucket: str, prefix: str = "") -> Iterator[Any]:
        if bucket == self._bucket:
            self.listing.set()
            self.gate.wait(60)
        yield from self._inner.list_objects(bucket, prefix)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@pytest.fixture
def gated(endpoint: Any, bucket: str) -> Iterator[GatedS3]:
    context = endpoint.endpoint.context
    original = context.s3
    gate = GatedS3(original, bucket)
    context.__dict__["s3"] = gate
    try:
        yield gate
    finally:
        gate.gate.set()
        context.__dict__["s3"] = original


def test_stop_crawler_cancels_a_running_crawl(glue, s3, bucket, gated):
    s3.put_object(Bucket=bucket, Key="slow/a.csv", Body=b"id,v\n1,2\n")
    name, database = unique("crawler-"), unique("db_")
    glue.create_crawler(
        Name=name,
        Role="role",
        DatabaseName=database,
        Targets={"S3Targets": [{"Path": f"s3://{bucket}/slow/"}]},
    )
    glue.start_crawler(Name=name)
    assert gated.listing.wait(30)
    assert glue.get_crawler(Name=name)["Crawler"]["State"] == "RUNNING"
    with pytest.raises(ClientError) as running:
        glue.start_crawler(Name=name)
    assert running.value.response["Error"]["Code"] == "CrawlerRunningException"
    glue.stop_crawler(Name=name)
    assert glue.get_crawler(Name=name)["Crawler"]["State"] == "STOPPING"
    gated.gate.set()
    crawler = crawl_done(glue, name)
    assert crawler["LastCrawl"]["Status"] == "CANCELLED"
    assert glue.list_crawls(CrawlerName=name)["Crawls"][0]["State"] == "STOPPED"
    with pytest.raises(ClientError) as no_db:
        glue.get_tables(DatabaseName=database)
    assert no_db.value.response["Error"]["Code"] == "EntityNotFoundException"  # nothing was written


def test_tag_apis_on_crawlers_and_jobs(glue):
    crawler, job = unique("tagged-"), unique("tagged-")
    glue.create_crawler(Name=crawler, Role="r", Targets={"S3Targets": [{"Path": "s3://b/p/"}]})
    glue.create_job(Name=job, Role="r", Command={"Name": "pythonshell", "ScriptLocation": "s3://b/x.py"})
    for kind, name in (("crawler", crawler), ("job", job)):
        arn = f"arn:aws:glue:us-east-1:123456789012:{kind}/{name}"
        glue.tag_resource(ResourceArn=arn, TagsToAdd={"team": "data", "stage": "raw"})
        glue.untag_resource(ResourceArn=arn, TagsToRemove=["stage"])
        assert glue.get_tags(ResourceArn=arn)["Tags"] == {"team": "data"}
    assert crawler in glue.list_crawlers(Tags={"team": "data"})["CrawlerNames"]
    assert job in glue.list_jobs(Tags={"team": "data"})["JobNames"]


ETL_SCRIPT = """
import json, sys
from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.transforms import (
    DropFields, DropNullFields, Filter, Join, RenameField, ResolveChoice, SelectFields,
)
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext

args = getResolvedOptions(sys.argv, ["JOB_NAME", "bucket"])
glue_context = GlueContext(SparkContext.getOrCreate())
job = Job(glue_context)
job.init(args["JOB_NAME"], args)
base = f"s3://{args['bucket']}"
read = glue_context.create_dynamic_frame.from_options
students = read("s3", {"paths": [f"{base}/in/csv/"]}, format="csv", format_options={"withHeader": True})
grades = read("s3", {"paths": [f"{base}/in/json/"]}, format="json")
credits = read("s3", {"paths": [f"{base}/in/parquet/"]}, format="parquet")

typed = ResolveChoice.apply(frame=students, specs=[("id", "cast:long"), ("score", "cast:double")])
scored = Filter.apply(frame=typed, f=lambda row: row["score"] is not None)
slim = DropFields.apply(frame=scored, paths=["scratch"])
named = RenameField.apply(frame=slim, old_name="name", new_name="student_name")
graded = DropNullFields.apply(frame=grades)
joined = Join.apply(frame1=named, frame2=graded, keys1=["id"], keys2=["student_id"])
joined = Join.apply(frame1=joined, frame2=credits, keys1=["id"], keys2=["sid"])
result = SelectFields.apply(frame=joined, paths=["id", "student_name", "score", "grade", "credits"])
for fmt in ("csv", "json", "parquet"):
    glue_context.write_dynamic_frame.from_options(
        frame=result, connection_type="s3", connection_options={"path": f"{base}/out/{fmt}/"}, format=fmt
    )
print(json.dumps({
    "columns": result.toDF().columns,
    "grade_columns": graded.toDF().columns,
    "rows": sorted([list(r) for r in result.toDF().collect()]),
}))
job.commit()
"""


@pytest.mark.spark
def test_a_glueetl_run_reads_and_writes_s3_with_from_options_and_transforms(aws, glue, s3, bucket):
    s3.put_object(
        Bucket=bucket,
        Key="in/csv/students.csv",
        Body=b"id,name,score,scratch\n1,ann,12.5,x\n2,bob,abc,y\n3,cy,7,z\n",
    )
    grades = [{"student_id": 1, "grade": "A", "note": None}, {"student_id": 3, "grade": "C", "note": None}]
    s3.put_object(Bucket=bucket, Key="in/json/grades.json", Body="\n".join(map(json.dumps, grades)).encode())
    buffer = io.BytesIO()
    pq.write_table(pa.table({"sid": pa.array([1, 2, 3], pa.int64()), "credits": [30, 20, 10]}), buffer)
    s3.put_object(Bucket=bucket, Key="in/parquet/credits.parquet", Body=buffer.getvalue())
    s3.put_object(Bucket=bucket, Key="scripts/etl.py", Body=textwrap.dedent(ETL_SCRIPT).encode())

    job = unique("etl-")
    glue.create_job(
        Name=job,
        Role="role",
        Command={"Name": "glueetl", "ScriptLocation": f"s3://{bucket}/scripts/etl.py"},
        DefaultArguments={"--bucket": bucket},
        GlueVersion="5.0",
    )
    run_id = glue.start_job_run(JobName=job)["JobRunId"]
    run = run_done(glue, job, run_id, timeout=300)
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")

    logs = aws("logs").get_log_events(logGroupName="/aws-glue/jobs/output", logStreamName=run_id)["events"]
    printed = json.loads(next(e["message"] for e in logs if e["message"].startswith("{")))
    assert printed["columns"] == ["id", "student_name", "score", "grade", "credits"]
    assert "note" not in printed["grade_columns"]  # DropNullFields: null in every record
    assert printed["rows"] == [[1, "ann", 12.5, "A", 30], [3, "cy", 7.0, "C", 10]]  # bob's 'abc' filtered

    listing = s3.list_objects_v2(Bucket=bucket, Prefix="out/")["Contents"]
    by_format = {
        fmt: [o["Key"] for o in listing if o["Key"].startswith(f"out/{fmt}/")]
        for fmt in ("csv", "json", "parquet")
    }
    assert all(by_format.values()), by_format
    parquet_rows = []
    for key in by_format["parquet"]:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        parquet_rows += pq.read_table(io.BytesIO(body)).to_pylist()
    assert sorted((r["id"], r["student_name"], r["grade"]) for r in parquet_rows) == [
        (1, "ann", "A"),
        (3, "cy", "C"),
    ]
    json_text = b"".join(s3.get_object(Bucket=bucket, Key=k)["Body"].read() for k in by_format["json"])
    assert sorted(json.loads(line)["student_name"] for line in json_text.decode().splitlines() if line) == [
        "ann",
        "cy",
    ]
    csv_text = b"".join(s3.get_object(Bucket=bucket, Key=k)["Body"].read() for k in by_format["csv"]).decode()
    assert "ann" in csv_text and "cy" in csv_text and "bob" not in csv_text

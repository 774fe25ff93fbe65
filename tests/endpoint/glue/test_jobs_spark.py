"""Spark (glueetl) job runs end to end: a Glue script reads the catalog, maps, and loads Postgres.

Each run is a real one-shot Spark process (about 15 s), so there are only three.
"""

from __future__ import annotations

import csv
import re
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import REAL_DATASET, local_warehouse
from tests.endpoint.glue.jobruns import wait_run

from awstwin.data import schema

pytestmark = pytest.mark.spark  # every test runs a glueetl job: a Spark JVM per run

BUCKET = "spark-jobs"
LAZY = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"

ETL_SCRIPT = """
import sys
from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.transforms import ApplyMapping
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext

args = getResolvedOptions(sys.argv, ["JOB_NAME", "TempDir", "database", "table", "target"])
sc = SparkContext()
glue_context = GlueContext(sc)
job = Job(glue_context)
job.init(args["JOB_NAME"], args)
raw = glue_context.create_dynamic_frame.from_catalog(
    database=args["database"], table_name=args["table"], transformation_ctx="raw"
)
print(f"read {raw.count()} rows")
mappings = MAPPINGS
typed = ApplyMapping.apply(frame=raw, mappings=mappings, transformation_ctx="typed")
glue_context.write_dynamic_frame.from_jdbc_conf(
    frame=typed,
    catalog_connection="spark-warehouse",
    connection_options={
        "dbtable": args["target"], "database": "dev", "preactions": f"TRUNCATE {args['target']}"
    },
    redshift_tmp_dir=args["TempDir"],
)
glue_context.get_logger().info("loaded")
job.commit()
"""

PLAIN_SPARK_SCRIPT = """
import sys
from awsglue.context import GlueContext
from awsglue.dynamicframe import DynamicFrame
from awsglue.utils import getResolvedOptions
from pyspark.sql import SparkSession

args = getResolvedOptions(sys.argv, ["JOB_NAME", "bucket"])
spark = SparkSession.builder.getOrCreate()
df = spark.read.option("header", True).csv(f"s3://{args['bucket']}/plain/in/")
df.write.mode("overwrite").partitionBy("grp").parquet(f"s3://{args['bucket']}/plain/out/")
again = spark.read.parquet(f"s3a://{args['bucket']}/plain/out/")
print(f"round trip {again.count()} rows, ansi={spark.conf.get('spark.sql.ansi.enabled')}")
glue_context = GlueContext(spark.sparkContext)
glue_context.write_dynamic_frame.from_options(
    frame=DynamicFrame.fromDF(again, glue_context, "again"),
    connection_type="s3",
    connection_options={"path": f"s3://{args['bucket']}/plain/json/"},
    format="json",
)
"""

FAILING_SPARK_SCRIPT = """
from pyspark.sql import SparkSession

spark = SparkSession.builder.getOrCreate()
spark.read.parquet("s3://spark-jobs/does/not/exist/")
"""


@pytest.fixture(scope="module")
def warehouse() -> Iterator[Any]:
    with local_warehouse("awstwin-jobs-warehouse-") as server:
        yield server


@pytest.fixture(scope="module")
def stage(aws: Callable[[str], Any], warehouse: Any) -> Any:
    """A bucket, a catalog database and a Glue connection (jdbc:redshift:// served by Postgres)."""
    aws("s3").create_bucket(Bucket=BUCKET)
    aws("glue").create_database(DatabaseInput={"Name": "spark_jobs"})
    aws("glue").create_connection(
        ConnectionInput={
            "Name": "spark-warehouse",
            "ConnectionType": "JDBC",
            "ConnectionProperties": {
                "JDBC_CONNECTION_URL": warehouse.jdbc_url.replace("jdbc:postgresql:", "jdbc:redshift:"),
                "USERNAME": warehouse.user,
                "PASSWORD": warehouse.password,
            },
        }
    )
    return aws


def spark_job(aws: Callable[[str], Any], name: str, script: str, **arguments: str) -> str:
    key = f"scripts/{name}.py"
    aws("s3").put_object(Bucket=BUCKET, Key=key, Body=textwrap.dedent(script).encode())
    aws("glue").create_job(
        Name=name,
        Role="glue-role",
        GlueVersion="5.0",
        WorkerType="G.1X",
        NumberOfWorkers=2,
        Command={"Name": "glueetl", "ScriptLocation": f"s3://{BUCKET}/{key}"},
        DefaultArguments={"--TempDir": f"s3://{BUCKET}/tmp/", **{f"--{k}": v for k, v in arguments.items()}},
    )
    return aws("glue").start_job_run(JobName=name)["JobRunId"]


def raw_table(aws: Callable[[str], Any], name: str, location: str) -> None:
    """The table a crawler writes for the raw CSV: bigint/string columns, header skipped."""
    aws("glue").create_table(
        DatabaseName="spark_jobs",
        TableInput={
            "Name": name,
            "Parameters": {"classification": "csv", "skip.header.line.count": "1"},
            "StorageDescriptor": {
                "Location": location,
                "Columns": [{"Name": c.sql_name, "Type": c.type_for("glue")} for c in schema.COLUMNS],
                "SerdeInfo": {"SerializationLibrary": LAZY, "Parameters": {"field.delim": ","}},
            },
        },
    )


def etl_script() -> str:
    mappings = [(c.sql_name, c.type_for("glue"), c.sql_name, c.type_for("spark")) for c in schema.COLUMNS]
    return textwrap.dedent(ETL_SCRIPT).replace("MAPPINGS", repr(mappings))


def create_target(warehouse: Any, table: str) -> None:
    columns = ", ".join(f"{c.sql_name} {c.type_for('sql')}" for c in schema.COLUMNS)
    warehouse.execute(f"CREATE TABLE {table} ({columns})")


def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if REAL_DATASET.exists():
        return REAL_DATASET
    from awstwin.data import generator

    path = tmp_path_factory.mktemp("dataset") / schema.CSV_FILE_NAME
    generator.generate(path, crlf=True)
    return path


def expected_figures(path: Path) -> dict[str, Any]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return {
        "rows": len(rows),
        "empty": {c.sql_name: sum(1 for r in rows if r[c.name] == "") for c in schema.COLUMNS},
        "exam_total": sum(int(r["Exam_Score"]) for r in rows),
    }


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("real", id="real-dataset")
        if REAL_DATASET.exists()
        else pytest.param("synthetic", id="synthetic")
    ],
)
def test_catalog_csv_to_warehouse_through_apply_mapping_and_copy(
    source: str, stage: Any, warehouse: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The pipeline's shape: raw CSV (CRLF, empty values) -> catalog -> ApplyMapping -> Redshift COPY."""
    path = dataset(tmp_path_factory)
    figures = expected_figures(path)
    stage("s3").upload_file(str(path), BUCKET, "raw/students/ingest_date=2024-05-01/students.csv")
    raw_table(stage, "students_raw", f"s3://{BUCKET}/raw/students/")
    create_target(warehouse, "public.students")
    run_id = spark_job(
        stage,
        "spark-etl",
        etl_script(),
        database="spark_jobs",
        table="students_raw",
        target="public.students",
    )
    run = wait_run(stage("glue"), "spark-etl", run_id)
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    assert run["ExecutionTime"] > 0 and run["GlueVersion"] == "5.0" and run["NumberOfWorkers"] == 2

    assert warehouse.execute("SELECT count(*), sum(exam_score), count(exam_score) FROM public.students") == [
        (figures["rows"], figures["exam_total"], figures["rows"])  # no '\r' left to spoil the last column
    ]
    for column in (c for c in schema.COLUMNS if c.kind == "categorical"):
        loaded = warehouse.execute(f"SELECT count(*) FROM public.students WHERE {column.sql_name} = ''")[0][0]
        assert loaded == figures["empty"][column.sql_name], column.name  # LazySimpleSerDe: '' stays ''
    logs = stage("logs")
    output = [
        e["message"]
        for e in logs.get_log_events(logGroupName="/aws-glue/jobs/output", logStreamName=run_id)["events"]
    ]
    error = [
        e["message"]
        for e in logs.get_log_events(logGroupName="/aws-glue/jobs/error", logStreamName=run_id)["events"]
    ]
    assert f"read {figures['rows']} rows" in output
    assert any(f"loaded {figures['rows']} rows into public.students" in line for line in error)
    assert any("INFO GlueLogger: loaded" in line for line in error)
    staged = stage("s3").list_objects_v2(Bucket=BUCKET, Prefix="tmp/").get("Contents", [])
    assert staged, "from_jdbc_conf stages its CSV under TempDir, as Glue does"


def test_plain_spark_io_on_s3_paths(stage: Any) -> None:
    s3 = stage("s3")
    s3.put_object(Bucket=BUCKET, Key="plain/in/part-1.csv", Body=b"grp,n\na,1\nb,2\n")
    s3.put_object(Bucket=BUCKET, Key="plain/in/part-2.csv", Body=b"grp,n\na,3\n")
    run_id = spark_job(stage, "spark-plain", PLAIN_SPARK_SCRIPT, bucket=BUCKET)
    run = wait_run(stage("glue"), "spark-plain", run_id)
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="plain/").get("Contents", [])]
    assert any(k.startswith("plain/out/grp=a/") and k.endswith(".parquet") for k in keys)
    assert any(k.startswith("plain/out/grp=b/") and k.endswith(".parquet") for k in keys)
    # plain Spark keeps Spark's names; a DynamicFrame write gets Glue's `run-<epoch ms>-part-r-<n>`
    assert any(k.startswith("plain/out/grp=a/part-0") for k in keys)
    assert any(re.match(r"plain/json/run-\d{13}-part-r-\d{5}$", k) for k in keys), keys
    assert not any("_SUCCESS" in k or "_temporary" in k or k.endswith(".crc") for k in keys)
    output = [
        e["message"]
        for e in stage("logs").get_log_events(logGroupName="/aws-glue/jobs/output", logStreamName=run_id)[
            "events"
        ]
    ]
    assert "round trip 3 rows, ansi=false" in output


def test_a_failing_spark_script_reports_its_exception(stage: Any) -> None:
    run_id = spark_job(stage, "spark-fail", FAILING_SPARK_SCRIPT)
    run = wait_run(stage("glue"), "spark-fail", run_id)
    assert run["JobRunState"] == "FAILED"
    assert run["ErrorMessage"].startswith(
        "AnalysisException: [PATH_NOT_FOUND] Path does not exist: s3://spark-jobs/does/not/exist"
    )

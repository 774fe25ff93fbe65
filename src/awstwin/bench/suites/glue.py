"""Glue jobs and the warehouse load against what a user would run by hand.

One endpoint (`python -m awstwin.endpoint`, warm Spark drivers on, as by default) and one local
Postgres serve all three; every job is a real glueetl run, StartJobRun to SUCCEEDED.
- `glue_job_start`: a glueetl job that makes a GlueContext and counts one row, on a warm driver
  (one unrecorded run first starts it), vs a bare `SparkSession` start + count + stop in a new
  Python process;
- `glue_job_real_file`: the pipeline's shape on the real file (catalog CSV -> ApplyMapping ->
  from_jdbc_conf into Postgres) vs the same work as a plain PySpark script run one-shot with
  `spark-submit --master local[*]` (read the CSV, cast, write CSV, COPY FROM STDIN in one transaction);
- `warehouse_load_1m`: from_jdbc_conf of 1,000,000 cached rows into the run's staging table (the
  job's own preactions: DROP, CREATE LIKE), timed inside the job, vs raw `COPY FROM STDIN` of the same
  CSV into the same table (ratio = awstwin rows/s / COPY rows/s).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3

from awstwin.bench import servers
from awstwin.bench.harness import Comparison, Goal, Sample, timed
from awstwin.bench.options import Options
from awstwin.data import schema

BUCKET = "bench-glue"
DATABASE = "bench_glue"
CONNECTION = "bench-warehouse"
LOAD_ROWS = 1_000_000
GOING = ("STARTING", "RUNNING", "STOPPING", "WAITING")
LAZY = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
NAMES = ("glue_job_start", "glue_job_real_file", "warehouse_load_1m")

START_SCRIPT = """
from awsglue.context import GlueContext
from pyspark.context import SparkContext

glue_context = GlueContext(SparkContext.getOrCreate())
print(glue_context.spark_session.range(1).count())
"""

BARE_SPARK = (
    "from pyspark.sql import SparkSession\n"
    "s = SparkSession.builder.master('local[*]').getOrCreate()\n"
    "s.range(1).count()\n"
    "s.stop()\n"
)

ETL_SCRIPT = """
import sys
from awsglue.context import GlueContext
from awsglue.transforms import ApplyMapping
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext

args = getResolvedOptions(sys.argv, ["JOB_NAME", "TempDir", "database", "table", "target"])
glue_context = GlueContext(SparkContext.getOrCreate())
raw = glue_context.create_dynamic_frame.from_catalog(database=args["database"], table_name=args["table"])
print(f"read {raw.count()} rows")
typed = ApplyMapping.apply(frame=raw, mappings=MAPPINGS)
glue_context.write_dynamic_frame.from_jdbc_conf(
    frame=typed,
    catalog_connection="CONNECTION",
    connection_options={
        "dbtable": args["target"], "database": "dev", "preactions": f"TRUNCATE {args['target']}"
    },
    redshift_tmp_dir=args["TempDir"],
)
"""

# The same work, as a user would write it without Glue: plain PySpark, psycopg2's COPY.
PLAIN_SCRIPT = """
import glob, json, shutil, sys, tempfile
import psycopg2
from pyspark.sql import SparkSession, functions as F

source, dsn, table, columns = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], json.loads(sys.argv[4])
spark = SparkSession.builder.appName("plain-etl").getOrCreate()
raw = spark.read.option("header", True).csv(source)
print(f"read {raw.count()} rows")
typed = raw.select([F.col(name).cast(kind).alias(alias) for name, kind, alias in columns])
out = tempfile.mkdtemp()
try:
    typed.write.mode("overwrite").csv(out + "/rows")
    with psycopg2.connect(**dsn) as connection, connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {table}")
        names = ", ".join(alias for _, _, alias in columns)
        for part in sorted(glob.glob(out + "/rows/part-*")):
            with open(part, encoding="utf-8") as handle:
                cursor.copy_expert(f"COPY {table} ({names}) FROM STDIN WITH (FORMAT csv)", handle)
finally:
    shutil.rmtree(out, ignore_errors=True)
spark.stop()
"""

LOAD_SCRIPT = """
import sys, time
from awsglue.context import GlueContext
from awsglue.dynamicframe import DynamicFrame
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext

args = getResolvedOptions(sys.argv, ["JOB_NAME", "TempDir", "source", "ddl", "target", "stage"])
glue_context = GlueContext(SparkContext.getOrCreate())
frame = glue_context.spark_session.read.schema(args["ddl"]).option("header", True).csv(args["source"]).cache()
rows = frame.count()
began = time.perf_counter()
glue_context.write_dynamic_frame.from_jdbc_conf(
    frame=DynamicFrame.fromDF(frame, glue_context, "rows"),
    catalog_connection="CONNECTION",
    connection_options={
        "dbtable": args["stage"],
        "database": "dev",
        "preactions": f"DROP TABLE IF EXISTS {args['stage']}; "
        f"CREATE TABLE {args['stage']} (LIKE {args['target']})",
    },
    redshift_tmp_dir=args["TempDir"],
)
print(f"BENCH_LOAD rows={rows} seconds={time.perf_counter() - began:.4f}")
frame.unpersist()
"""


def _client(service: str, url: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


class Stage:
    """The endpoint, the warehouse, a bucket, a catalog database and a Glue connection to Postgres."""

    def __init__(self, url: str, warehouse: Any, folder: Path):
        self.url, self.warehouse, self.folder = url, warehouse, folder
        self.glue, self.s3, self.logs = _client("glue", url), _client("s3", url), _client("logs", url)
        self.s3.create_bucket(Bucket=BUCKET)
        self.glue.create_database(DatabaseInput={"Name": DATABASE})
        self.glue.create_connection(
            ConnectionInput={
                "Name": CONNECTION,
                "ConnectionType": "JDBC",
                "ConnectionProperties": {
                    "JDBC_CONNECTION_URL": warehouse.jdbc_url.replace("jdbc:postgresql:", "jdbc:redshift:"),
                    "USERNAME": warehouse.user,
                    "PASSWORD": warehouse.password,
                },
            }
        )

    def job(self, name: str, script: str, **arguments: str) -> str:
        key = f"scripts/{name}.py"
        body = textwrap.dedent(script).replace("CONNECTION", CONNECTION).encode()
        self.s3.put_object(Bucket=BUCKET, Key=key, Body=body)
        self.glue.create_job(
            Name=name,
            Role="arn:aws:iam::000000000000:role/bench",
            GlueVersion="5.0",
            WorkerType="G.1X",
            NumberOfWorkers=2,
            Command={"Name": "glueetl", "ScriptLocation": f"s3://{BUCKET}/{key}", "PythonVersion": "3"},
            DefaultArguments={
                "--TempDir": f"s3://{BUCKET}/tmp/",
                **{f"--{k}": v for k, v in arguments.items()},
            },
        )
        return name

    def run(self, job: str) -> str:
        """StartJobRun to SUCCEEDED (polled every 50 ms); the run id."""
        run_id = self.glue.start_job_run(JobName=job)["JobRunId"]
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            run = self.glue.get_job_run(JobName=job, RunId=run_id)["JobRun"]
            if run["JobRunState"] not in GOING:
                if run["JobRunState"] != "SUCCEEDED":
                    raise RuntimeError(
                        f"Glue job {job} run {run_id}: {run['JobRunState']}: {run.get('ErrorMessage')}"
                    )
                return run_id
            time.sleep(0.05)
        raise RuntimeError(f"Glue job {job} run {run_id} did not finish within 900 s")

    def output_line(self, run_id: str, pattern: str, group: str = "output") -> re.Match[str]:
        """The first line of the run's stdout (or stderr) log stream matching `pattern` (logs ship once
        a second)."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                events = self.logs.get_log_events(
                    logGroupName=f"/aws-glue/jobs/{group}", logStreamName=run_id, startFromHead=True
                )["events"]
                for event in events:
                    found = re.search(pattern, event["message"])
                    if found:
                        return found
            time.sleep(0.2)
        raise RuntimeError(f"no line matching {pattern!r} in /aws-glue/jobs/output stream {run_id}")


@contextlib.contextmanager
def _stage() -> Iterator[Stage]:
    from awstwin.warehouse import Warehouse

    folder = Path(tempfile.mkdtemp(prefix="awstwin-bench-glue-"))
    folder.chmod(0o755)
    warehouse = Warehouse(folder / "wh", port=0, settings={"fsync": "off"}).start()
    try:
        with servers.awstwin_endpoint() as endpoint:
            yield Stage(endpoint.url, warehouse, folder)
    finally:
        warehouse.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _create_table(stage: Stage, table: str) -> None:
    columns = ", ".join(f"{c.sql_name} {c.type_for('sql')}" for c in schema.COLUMNS)
    with contextlib.closing(stage.warehouse.connect()) as connection, connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {table} ({columns})")
        connection.commit()


def _real_file(folder: Path) -> Path:
    """The real dataset when present, else 6,607 generated rows of its shape (CRLF, as the real one)."""
    for real in (os.environ.get("AWSTWIN_REAL_DATASET"), f"/work/shared/data/{schema.CSV_FILE_NAME}"):
        if real and Path(real).exists():
            return Path(real)
    from awstwin.data.generator import generate

    path = folder / schema.CSV_FILE_NAME
    generate(path, rows=6607, crlf=True)
    return path


def _spark_submit() -> str:
    import pyspark

    return str(Path(pyspark.__file__).parent / "bin" / "spark-submit")


def _subprocess_env() -> dict[str, str]:
    return {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable}


def _start(stage: Stage, options: Options) -> Comparison:
    job = stage.job("bench-start", START_SCRIPT)

    def bare() -> None:
        subprocess.run(
            [sys.executable, "-c", BARE_SPARK], check=True, capture_output=True, env=_subprocess_env()
        )

    return Comparison(
        "glue_job_start",
        lambda: timed(lambda: stage.run(job)),
        "bare SparkSession (new process)",
        lambda: timed(bare),
        goals=[Goal("seconds", "<=", 3.0)],
        warmup=True,
        note="StartJobRun to SUCCEEDED on a warm driver (the unrecorded first run starts it)",
    )


def _real(stage: Stage, options: Options) -> Comparison:
    path = _real_file(stage.folder)
    stage.s3.upload_file(str(path), BUCKET, "raw/students/ingest_date=2024-05-01/students.csv")
    stage.glue.create_table(
        DatabaseName=DATABASE,
        TableInput={
            "Name": "students_raw",
            "Parameters": {"classification": "csv", "skip.header.line.count": "1"},
            "StorageDescriptor": {
                "Location": f"s3://{BUCKET}/raw/students/",
                "Columns": [{"Name": c.sql_name, "Type": c.type_for("glue")} for c in schema.COLUMNS],
                "SerdeInfo": {"SerializationLibrary": LAZY, "Parameters": {"field.delim": ","}},
            },
            "PartitionKeys": [],
        },
    )
    _create_table(stage, "public.students_glue")
    _create_table(stage, "public.students_plain")
    mappings = [(c.sql_name, c.type_for("glue"), c.sql_name, c.type_for("spark")) for c in schema.COLUMNS]
    job = stage.job(
        "bench-etl",
        ETL_SCRIPT.replace("MAPPINGS", repr(mappings)),
        database=DATABASE,
        table="students_raw",
        target="public.students_glue",
    )
    script = stage.folder / "plain_etl.py"
    script.write_text(textwrap.dedent(PLAIN_SCRIPT))
    dsn = json.dumps(stage.warehouse.connection_params())
    columns = json.dumps([(c.name, c.type_for("spark"), c.sql_name) for c in schema.COLUMNS])
    argv = [
        _spark_submit(),
        "--master",
        "local[*]",
        str(script),
        str(path),
        dsn,
        "public.students_plain",
        columns,
    ]

    def plain() -> None:
        done = subprocess.run(argv, capture_output=True, env=_subprocess_env())
        if done.returncode != 0:
            raise RuntimeError(f"plain PySpark ETL failed: {done.stderr.decode()[-1500:]}")

    def counted(table: str) -> int:
        with contextlib.closing(stage.warehouse.connect()) as connection, connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {table}")
            return cursor.fetchone()[0]

    def mine() -> Sample:
        sample = timed(lambda: stage.run(job))
        sample.metrics["rows"] = counted("public.students_glue")
        return sample

    def theirs() -> Sample:
        sample = timed(plain)
        sample.metrics["rows"] = counted("public.students_plain")
        return sample

    return Comparison(
        "glue_job_real_file",
        mine,
        "plain PySpark spark-submit one-shot",
        theirs,
        goals=[Goal("ratio", "<=", 0.5)],
        note=f"{path.name}: catalog CSV -> ApplyMapping -> from_jdbc_conf (Postgres), warm driver",
    )


def _load(stage: Stage, options: Options) -> Comparison:
    from awstwin.data.generator import generate

    csv = stage.folder / "load_1m.csv"
    generate(csv, rows=LOAD_ROWS)
    stage.s3.upload_file(str(csv), BUCKET, "load/students.csv")
    _create_table(stage, "public.students_load")
    ddl = ", ".join(f"{c.sql_name} {c.type_for('spark')}" for c in schema.COLUMNS)
    job = stage.job(
        "bench-load",
        LOAD_SCRIPT,
        source=f"s3://{BUCKET}/load/students.csv",
        ddl=ddl,
        target="public.students_load",
        stage="public.students_load_stage",
    )
    names = ", ".join(c.sql_name for c in schema.COLUMNS)

    def mine() -> Sample:
        run_id = stage.run(job)
        found = stage.output_line(run_id, r"BENCH_LOAD rows=(\d+) seconds=([0-9.]+)")
        if int(found.group(1)) != LOAD_ROWS:
            raise RuntimeError(f"the load job read {found.group(1)} rows, not {LOAD_ROWS}")
        split = stage.output_line(
            run_id, r"read \+ staging CSV ([0-9.]+) s, transaction with COPY ([0-9.]+) s", group="error"
        )
        seconds = float(found.group(2))
        return Sample(
            seconds,
            {
                "rows_per_second": LOAD_ROWS / seconds,
                "staging_csv_s": float(split.group(1)),
                "copy_transaction_s": float(split.group(2)),
            },
        )

    def copy() -> Sample:
        with contextlib.closing(stage.warehouse.connect()) as connection, connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS public.students_copy")
            cursor.execute("CREATE TABLE public.students_copy (LIKE public.students_load)")
            connection.commit()
            began = time.perf_counter()
            with csv.open(encoding="utf-8") as handle:
                cursor.copy_expert(
                    f"COPY public.students_copy ({names}) FROM STDIN WITH (FORMAT csv, HEADER true)", handle
                )
            connection.commit()
            seconds = time.perf_counter() - began
        return Sample(seconds, {"rows_per_second": LOAD_ROWS / seconds})

    return Comparison(
        "warehouse_load_1m",
        mine,
        "raw COPY FROM STDIN (psycopg2)",
        copy,
        kind="rate",
        goals=[Goal("ratio", ">=", 0.6)],
        note="from_jdbc_conf of 1M cached rows into a staging table (DROP, CREATE LIKE, COPY), "
        "timed in the job",
    )


def comparisons(options: Options) -> Iterator[Comparison]:
    if not options.wants_any(*NAMES):
        return
    with _stage() as stage:
        if options.wants("glue_job_start"):
            yield _start(stage, options)
        if options.wants("glue_job_real_file"):
            yield _real(stage, options)
        if options.wants("warehouse_load_1m"):
            yield _load(stage, options)

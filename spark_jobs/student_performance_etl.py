"""Glue 5.0 job: validate one run's upload of the raw Student Performance CSV (one ingest date), write
the run's curated and quarantine folders, and load the run's warehouse staging tables. The job
publishes nothing: the DAG does, once every check on what the job wrote has passed.

Runs unchanged on AWS Glue (Redshift through the job's JDBC connection, staged in --TempDir) and on the
local endpoint (the clean-room awsglue runtime, Postgres). Arguments, all set by the job's
DefaultArguments (infra/pipeline.yaml) except --ingest_date, which the DAG passes per run:
  --database, --raw_table            the crawled table of every kept raw run (runs_raw_...); its
                                     partition (ingest_date, run) says where the run's upload is
  --curated_path, --quarantine_path  s3://<bucket>/curated/student_performance/, .../quarantine/...
  --connection_name                  the Glue JDBC connection to the warehouse
  --target_database                  e.g. dev
  --target_table, --quarantine_table e.g. public.student_performance_factors, ..._quarantine
  --ingest_date                      YYYY-MM-DD
  --run                              the run's id (the DAG's params.run): [0-9a-z_], at most 32
  --TempDir                          staging for the warehouse load
  --extra-py-files                   student_performance_schema.py: the rules (awstwin.data.schema)

What it does, and why this way:
- The raw file is read as text (every value a string, as uploaded), not with the crawler's types: a
  crawler types a column from a sample, so a word deep in an integer column would read as NULL and
  lose both its reason (not_an_integer) and its original value.
- Each value is trimmed; categories are matched case-insensitively to their domain and written in
  the domain's spelling; an empty category is NULL; integers must be integers within their range (and
  fit the warehouse's INTEGER). A row with any problem goes to quarantine with ALL its reasons
  ("Exam_Score:out_of_range;Gender:unknown_category") and its original values.
- row_key: a hash of the row's original values plus its occurrence number among identical rows, so
  it is the same on every re-run of the same file, whatever Spark's partitioning.
- raw = loaded + quarantined is asserted before anything is written; the job fails otherwise.
- Zones: the run's own folder, <zone>/student_performance/ingest_date=<d>/run=<id>/, is purged (a
  retry of the same run) and written (Parquet). No reader looks there until the DAG publishes the
  run. For no rows Spark still writes one schema-only file, so the zone's crawler finds the table
  even when nothing was quarantined (seen locally; the Athena reconciliation needs that table).
- Warehouse: two from_jdbc_conf loads into the run's staging tables, <table>_stage_<run> (created
  LIKE their tables). The first only fills the quarantine staging table; the second fills the main
  one (and creates the quarantine one when a load of no rows was skipped). The DAG's gates check
  them, and its publish step replaces the date in both tables from them in one transaction.
  Replacing the whole date (not only the row keys of this upload) is what a re-run means: a row now
  quarantined, or gone from a corrected file, must leave the table too. Only portable SQL (Postgres
  and Redshift): CREATE TABLE (LIKE ...), DROP TABLE; tables named outright.
"""

import re
import sys
from datetime import UTC, date, datetime

import boto3
import student_performance_schema as schema  # --extra-py-files
from awsglue.context import GlueContext
from awsglue.dynamicframe import DynamicFrame
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from pyspark.sql import Window
from pyspark.sql import functions as F

ARGUMENTS = [
    "JOB_NAME",
    "database",
    "raw_table",
    "curated_path",
    "quarantine_path",
    "connection_name",
    "target_database",
    "target_table",
    "quarantine_table",
    "ingest_date",
    "run",
    "TempDir",
]
RUN_ID = r"[0-9a-z_]{1,32}"  # the DAG's params.run: it goes into folder and table names
INTEGER_TEXT = r"^[+-]?[0-9]+$"
SQL_INTEGER = (-(2**31), 2**31 - 1)  # what the warehouse's INTEGER columns hold
ORIGINAL_VALUE_CHARS = 256  # quarantine keeps this much of each original value (VARCHAR(1024) bytes)
REASON_SEPARATOR = ";"
# Tab, line feed, carriage return, form feed, vertical tab (besides the space), as Spark SQL unicode
# escapes: Spark SQL reads '\f' as a plain f, which TRIM would then strip from "female".
WHITESPACE = r"\u0009\u000A\u000D\u000C\u000B"


# -- read ------------------------------------------------------------------------------------------
def raw_location(database: str, table: str, ingest_date: str, run: str) -> str:
    """Where the crawler found this run's raw file: the catalog partition's own location."""
    glue = boto3.client("glue")
    try:
        partition = glue.get_partition(
            DatabaseName=database, TableName=table, PartitionValues=[ingest_date, run]
        )
    except glue.exceptions.EntityNotFoundException:
        raise RuntimeError(
            f"{database}.{table} has no partition ingest_date={ingest_date}/run={run}: "
            "upload the raw file to that folder and run the raw crawler first"
        ) from None
    return partition["Partition"]["StorageDescriptor"]["Location"]


def read_raw_text(glue_context, location: str):
    """The raw CSV with every column as text, named as in the dataset's header."""
    frame = glue_context.create_dynamic_frame.from_options(
        connection_type="s3",
        connection_options={"paths": [location], "recurse": True},
        format="csv",
        format_options={"withHeader": True},
        transformation_ctx="raw",
    )
    frame = frame.resolveChoice(choice="cast:string")  # Glue may infer types per value: undo that
    df = frame.toDF()
    by_lower = {name.strip().lower(): name for name in df.columns}
    missing = [c.name for c in schema.COLUMNS if c.name.lower() not in by_lower]
    if missing:
        raise RuntimeError(
            f"{location}: the header lacks {', '.join(missing)} (it has {', '.join(df.columns)}); "
            f"expected {schema.HEADER}"
        )
    return df.select(
        [F.col(f"`{by_lower[c.name.lower()]}`").cast("string").alias(c.name) for c in schema.COLUMNS]
    )


# -- validate --------------------------------------------------------------------------------------
# Three projections (text, then problem and value, then reasons), each column computed once and
# referred to by name: one expression for all 20 columns would outgrow Spark's generated-code limit.
def text_of(column) -> str:
    return f"_text_{column.sql_name}"


def problem_of(column) -> str:
    return f"_problem_{column.sql_name}"


def typed_of(column) -> str:
    return f"_typed_{column.sql_name}"


def trimmed(name: str):
    """The value without surrounding whitespace (tabs and line ends too); an empty value is NULL.
    SQL's TRIM with a character set: several times faster than a regular expression."""
    text = F.expr(f"trim(BOTH ' {WHITESPACE}' FROM `{name}`)")
    return F.when(text == "", F.lit(None)).otherwise(text)


def integer_rule(column):
    """(problem, typed value) for an integer column."""
    text = F.col(text_of(column))
    number = text.cast("decimal(38,0)")  # NULL when it has too many digits for any range
    low = max(column.minimum, SQL_INTEGER[0]) if column.minimum is not None else SQL_INTEGER[0]
    high = min(column.maximum, SQL_INTEGER[1]) if column.maximum is not None else SQL_INTEGER[1]
    problem = (
        F.when(text.isNull(), F.lit(None if column.nullable else schema.MISSING))
        .when(~text.rlike(INTEGER_TEXT), F.lit(schema.NOT_AN_INTEGER))
        .when(number.isNull() | (number < low) | (number > high), F.lit(schema.OUT_OF_RANGE))
    )
    return problem, number.cast("int")


def categorical_rule(column):
    """(problem, normalised value) for a categorical column: the domain's own spelling."""
    text = F.col(text_of(column))
    spellings = F.create_map(*[F.lit(x) for value in column.domain for x in (value.lower(), value)])
    known = spellings[F.lower(text)]
    problem = F.when(text.isNull(), F.lit(None if column.nullable else schema.MISSING)).when(
        known.isNull(), F.lit(schema.UNKNOWN_CATEGORY)
    )
    return problem, known


RULES = {"integer": integer_rule, "categorical": categorical_rule}


def validate(raw):
    """The original values, row_key, the typed and normalised value of every column, and reasons
    ('' when the row is valid)."""
    content = F.sha2(
        F.concat_ws("\u001f", *[F.coalesce(F.col(c.name), F.lit("\u0000")) for c in schema.COLUMNS]), 256
    )
    occurrence = F.row_number().over(Window.partitionBy("_content").orderBy("_content"))
    keyed = raw.withColumn("_content", content).withColumn(
        "row_key", F.concat(F.substring("_content", 1, 24), F.lit("-"), occurrence.cast("string"))
    )
    texts = keyed.drop("_content").select("*", *[trimmed(c.name).alias(text_of(c)) for c in schema.COLUMNS])
    rules = {c.name: RULES[c.kind](c) for c in schema.COLUMNS}
    checked = texts.select(
        "*",
        *[rules[c.name][0].alias(problem_of(c)) for c in schema.COLUMNS],
        *[rules[c.name][1].alias(typed_of(c)) for c in schema.COLUMNS],
    )
    reasons = [
        F.when(F.col(problem_of(c)).isNotNull(), F.concat(F.lit(f"{c.name}:"), F.col(problem_of(c))))
        for c in schema.COLUMNS
    ]
    # The trimmed texts and single problems are dropped: the frame is cached, keep it narrow.
    helpers = [name for c in schema.COLUMNS for name in (text_of(c), problem_of(c))]
    return checked.select("*", F.concat_ws(REASON_SEPARATOR, *reasons).alias("reasons")).drop(*helpers)


def curated_rows(valid):
    """Typed, normalised rows; column order = the warehouse DDL's (a COPY may match by position)."""
    typed = [F.col(typed_of(c)).alias(c.sql_name) for c in schema.COLUMNS]
    return valid.select("row_key", *typed, "loaded_at")


def quarantine_rows(rejected):
    """Every reason and the original values (as uploaded, up to ORIGINAL_VALUE_CHARS each)."""
    original = [F.substring(F.col(c.name), 1, ORIGINAL_VALUE_CHARS).alias(c.sql_name) for c in schema.COLUMNS]
    return rejected.select("row_key", "reasons", *original, "loaded_at")


# -- write -----------------------------------------------------------------------------------------
def write_run_folder(glue_context, df, zone_path: str, ingest_date: str, run: str, name: str) -> str:
    """Make the run's folder of the zone hold exactly `df`, as Parquet."""
    target = f"{zone_path.rstrip('/')}/ingest_date={ingest_date}/run={run}/"
    glue_context.purge_s3_path(target, {"retentionPeriod": 0})
    glue_context.write_dynamic_frame.from_options(
        frame=DynamicFrame.fromDF(df, glue_context, name),
        connection_type="s3",
        connection_options={"path": target},
        format="parquet",
        transformation_ctx=name,
    )
    return target


def stage_name(table: str, run: str) -> str:
    """The run's staging table, next to its table (the DAG's gates and publish step use this name)."""
    return f"{table}_stage_{run}"


def load_stages(glue_context, args: dict, run: str, loaded, quarantined) -> tuple[str, str]:
    """The run's rows into its two staging tables; nothing a reader sees changes."""
    target, quarantine = args["target_table"], args["quarantine_table"]
    stage, quarantine_stage = stage_name(target, run), stage_name(quarantine, run)
    common = {"database": args["target_database"]}
    glue_context.write_dynamic_frame.from_jdbc_conf(
        frame=DynamicFrame.fromDF(quarantined, glue_context, "quarantine_stage"),
        catalog_connection=args["connection_name"],
        connection_options={
            **common,
            "dbtable": quarantine_stage,
            "preactions": f"DROP TABLE IF EXISTS {quarantine_stage}; "
            f"CREATE TABLE {quarantine_stage} (LIKE {quarantine});",
        },
        redshift_tmp_dir=args["TempDir"],
        transformation_ctx="quarantine_stage",
    )
    glue_context.write_dynamic_frame.from_jdbc_conf(
        frame=DynamicFrame.fromDF(loaded, glue_context, "load"),
        catalog_connection=args["connection_name"],
        connection_options={
            **common,
            "dbtable": stage,
            # The quarantine stage exists unless a load of no rows was skipped: then it is empty.
            "preactions": f"DROP TABLE IF EXISTS {stage}; CREATE TABLE {stage} (LIKE {target}); "
            f"CREATE TABLE IF NOT EXISTS {quarantine_stage} (LIKE {quarantine});",
        },
        redshift_tmp_dir=args["TempDir"],
        transformation_ctx="load",
    )
    return stage, quarantine_stage


# -- the run ---------------------------------------------------------------------------------------
def reason_counts(checked) -> dict[str, int]:
    """{reasons text: rows} in one pass over the checked rows ('' = valid); distinct texts are few."""
    return {row["reasons"]: row["count"] for row in checked.groupBy("reasons").count().collect()}


def rows_per_reason(counts: dict[str, int]) -> dict[str, int]:
    """{single reason: rows quarantined for it}; a row with two reasons counts for both."""
    per_reason: dict[str, int] = {}
    for text, rows in counts.items():
        for reason in filter(None, text.split(REASON_SEPARATOR)):
            per_reason[reason] = per_reason.get(reason, 0) + rows
    return dict(sorted(per_reason.items()))


def main() -> None:
    args = getResolvedOptions(sys.argv, ARGUMENTS)
    ingest_date = date.fromisoformat(args["ingest_date"]).isoformat()  # refuse anything but YYYY-MM-DD
    run = args["run"]
    if not re.fullmatch(RUN_ID, run):
        raise ValueError(f"--run {run!r} is not a run id ({RUN_ID}): it names folders and tables")
    glue_context = GlueContext(SparkContext.getOrCreate())
    job = Job(glue_context)
    job.init(args["JOB_NAME"], args)
    logger = glue_context.get_logger()

    location = raw_location(args["database"], args["raw_table"], ingest_date, run)
    logger.info(f"ingest_date={ingest_date}: reading {location}")
    raw = read_raw_text(glue_context, location)
    # One load time for the whole run (a literal: the same value wherever Spark evaluates it).
    loaded_at = F.lit(datetime.now(UTC)).cast("timestamp")
    checked = validate(raw).withColumn("loaded_at", loaded_at).cache()
    valid = checked.filter(F.col("reasons") == "")
    rejected = checked.filter(F.col("reasons") != "")

    counts = reason_counts(checked)
    loaded_rows = counts.get("", 0)
    quarantined_rows = sum(counts.values()) - loaded_rows
    raw_rows = raw.count()  # counted apart from the checks, so a row lost in them cannot hide
    logger.info(
        f"ingest_date={ingest_date}: {raw_rows} raw rows in {location}: "
        f"{loaded_rows} valid, {quarantined_rows} quarantined"
    )
    if raw_rows != loaded_rows + quarantined_rows:
        raise RuntimeError(
            f"ingest_date={ingest_date}: raw {raw_rows} rows != loaded {loaded_rows} + quarantined "
            f"{quarantined_rows}; nothing was written"
        )
    for reason, rows in rows_per_reason(counts).items():
        logger.info(f"ingest_date={ingest_date}: quarantined for {reason}: {rows} rows")

    curated = curated_rows(valid)
    quarantined = quarantine_rows(rejected).coalesce(1)
    written = [
        write_run_folder(glue_context, curated, args["curated_path"], ingest_date, run, "curated"),
        write_run_folder(glue_context, quarantined, args["quarantine_path"], ingest_date, run, "quarantine"),
    ]
    logger.info(f"ingest_date={ingest_date}: wrote {', '.join(written)}")

    as_date = F.lit(ingest_date).cast("date").alias("ingest_date")
    stages = load_stages(
        glue_context,
        args,
        run,
        curated.select(as_date, *curated.columns),
        quarantined.select(as_date, *quarantined.columns),
    )
    logger.info(
        f"ingest_date={ingest_date}: staged {loaded_rows} rows in {stages[0]} and {quarantined_rows} in "
        f"{stages[1]}; the DAG publishes them once its checks pass"
    )
    checked.unpersist()
    job.commit()


if __name__ == "__main__":
    main()

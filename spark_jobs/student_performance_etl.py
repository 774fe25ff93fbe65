"""Glue 5.0 job: type the raw Student Performance CSV of one ingest date and load it into the warehouse.

Runs unchanged on AWS Glue (Redshift through the job's JDBC connection, staged in --TempDir) and on the
local endpoint (the clean-room awsglue runtime, Postgres). Arguments, all set by the job's
DefaultArguments (infra/pipeline.yaml) except --ingest_date, which the DAG passes per run:
  --database, --raw_table          the crawled raw table in the Glue Data Catalog
  --connection_name                the Glue JDBC connection to the warehouse
  --target_table, --target_database  e.g. public.student_performance_factors in dev
  --ingest_date                    YYYY-MM-DD: the raw partition to load
  --TempDir                        staging for the warehouse load
Re-running a date replaces that date's rows: the load deletes them first (preactions), in the same
transaction as the insert.
"""

import sys
from datetime import date

from awsglue.context import GlueContext
from awsglue.dynamicframe import DynamicFrame
from awsglue.job import Job
from awsglue.transforms import ApplyMapping
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from pyspark.sql import functions as F

# The 20 CSV columns as the crawler catalogs them (lower case; bigint or string) -> warehouse types.
INTEGER_COLUMNS = (
    "hours_studied",
    "attendance",
    "sleep_hours",
    "previous_scores",
    "tutoring_sessions",
    "physical_activity",
    "exam_score",
)
COLUMNS = (
    "hours_studied",
    "attendance",
    "parental_involvement",
    "access_to_resources",
    "extracurricular_activities",
    "sleep_hours",
    "previous_scores",
    "motivation_level",
    "internet_access",
    "tutoring_sessions",
    "family_income",
    "teacher_quality",
    "school_type",
    "peer_influence",
    "physical_activity",
    "learning_disabilities",
    "parental_education_level",
    "distance_from_home",
    "gender",
    "exam_score",
)
MAPPINGS = [
    (name, "bigint", name, "int") if name in INTEGER_COLUMNS else (name, "string", name, "string")
    for name in COLUMNS
] + [("ingest_date", "string", "ingest_date", "date")]

args = getResolvedOptions(
    sys.argv,
    [
        "JOB_NAME",
        "database",
        "raw_table",
        "connection_name",
        "target_table",
        "target_database",
        "ingest_date",
        "TempDir",
    ],
)
ingest_date = date.fromisoformat(args["ingest_date"]).isoformat()  # refuse anything but YYYY-MM-DD

glue_context = GlueContext(SparkContext.getOrCreate())
job = Job(glue_context)
job.init(args["JOB_NAME"], args)
logger = glue_context.get_logger()

raw = glue_context.create_dynamic_frame.from_catalog(
    database=args["database"],
    table_name=args["raw_table"],
    push_down_predicate=f"ingest_date = '{ingest_date}'",
    transformation_ctx="raw",
)
typed = ApplyMapping.apply(frame=raw, mappings=MAPPINGS, transformation_ctx="typed").toDF()
# Text values are trimmed; an empty one is a missing value (NULL), not an empty string.
for name in COLUMNS:
    if name not in INTEGER_COLUMNS:
        trimmed = F.trim(F.col(name))
        typed = typed.withColumn(name, F.when(trimmed == "", None).otherwise(trimmed))
loaded = typed.withColumn("loaded_at", F.current_timestamp())
rows = loaded.count()
logger.info(f"ingest_date={ingest_date}: {rows} rows typed from {args['database']}.{args['raw_table']}")

glue_context.write_dynamic_frame.from_jdbc_conf(
    frame=DynamicFrame.fromDF(loaded, glue_context, "loaded"),
    catalog_connection=args["connection_name"],
    connection_options={
        "dbtable": args["target_table"],
        "database": args["target_database"],
        "preactions": f"DELETE FROM {args['target_table']} WHERE ingest_date = '{ingest_date}';",
    },
    redshift_tmp_dir=args["TempDir"],
    transformation_ctx="load",
)
logger.info(f"ingest_date={ingest_date}: {rows} rows loaded into {args['target_table']}")
job.commit()

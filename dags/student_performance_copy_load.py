"""
### Student Performance: the S3 -> COPY load and an UNLOAD export, through the Redshift Data API

The production pattern for files that already sit in S3, with the Amazon provider's stock operators
on the stack's Redshift Serverless workgroup (named after the stack), logged in with the stack's
warehouse secret. One ingest date per run (`params.ingest_date`, else the run's logical date) and the
`student_performance_etl` run that published it (`params.run`, the id its run report names):

1. **create_staging** (RedshiftDataOperator, one batch): the `staging` schema and a table shaped
   like the curated zone's Parquet files (row_key, the 20 typed columns, loaded_at).
2. **copy_curated** (S3ToRedshiftOperator, method REPLACE): `COPY ... FORMAT AS PARQUET` of
   `s3://<bucket>/curated/student_performance/ingest_date=<date>/run=<run>/` into the staging table,
   in one transaction with the DELETE of what it held.
3. **check_copy** (RedshiftDataOperator): the staged rows are exactly the rows the Glue job loaded
   into the warehouse table for the date; the statement fails, naming both counts, when they differ.
4. **unload_summary** (RedshiftToS3Operator): the staged rows' exam scores by school type, unloaded
   as CSV with a header to `s3://<bucket>/exports/<date>/score_by_school_type_000`.

Every statement goes through the Redshift Data API (`aws_default`), never a database connection, so
the workgroup need not be reachable from Airflow. COPY and UNLOAD read and write S3 with the
`aws_default` connection's credentials (the operators' credentials clause); give `aws_conn_id` a
connection whose extra holds `role_arn` to have them assume an IAM role instead. The file is the same
for every profile: names come from Airflow Variables, AWS from the `aws_default` connection.
"""

from __future__ import annotations

import pendulum
from airflow.providers.amazon.aws.operators.redshift_data import RedshiftDataOperator
from airflow.providers.amazon.aws.transfers.redshift_to_s3 import RedshiftToS3Operator
from airflow.providers.amazon.aws.transfers.s3_to_redshift import S3ToRedshiftOperator
from airflow.sdk import DAG, Param, Variable

POLL_SECONDS = float(Variable.get("poll_seconds", default="30"))  # 0.5 locally
RETRIES = int(Variable.get("task_retries", default="2"))
# RedshiftDataOperator does not template `secret_arn`: the secret's name is read when the DAG is parsed.
WAREHOUSE_SECRET = Variable.get("warehouse_secret", default="")

AWS_CONN_ID = "aws_default"
INGEST_DATE = "{{ params.ingest_date or ds }}"
RUN = "{{ params.run }}"
# The ETL DAG's run ids (awstwin.pipeline.runs.RUN_PATTERN: the DAG cannot import awstwin at parse time).
RUN_PATTERN = r"^[0-9a-z_]{1,32}$"
STAGING_TABLE = "staging.student_performance_curated"
# Where and as whom every statement runs (the Data API's WorkgroupName, Database and SecretArn).
DATA_API = {
    "workgroup_name": "{{ var.value.redshift_workgroup }}",
    "database": "{{ var.value.warehouse_database }}",
    "secret_arn": WAREHOUSE_SECRET,
    "poll_interval": POLL_SECONDS,
}

# The curated zone's columns, in its Parquet files' order (COPY from Parquet matches by position).
CREATE_STAGING = [
    "CREATE SCHEMA IF NOT EXISTS staging",
    f"""CREATE TABLE IF NOT EXISTS {STAGING_TABLE} (
    row_key                    VARCHAR(40),
    hours_studied              INTEGER,
    attendance                 INTEGER,
    parental_involvement       VARCHAR(32),
    access_to_resources        VARCHAR(32),
    extracurricular_activities VARCHAR(32),
    sleep_hours                INTEGER,
    previous_scores            INTEGER,
    motivation_level           VARCHAR(32),
    internet_access            VARCHAR(32),
    tutoring_sessions          INTEGER,
    family_income              VARCHAR(32),
    teacher_quality            VARCHAR(32),
    school_type                VARCHAR(32),
    peer_influence             VARCHAR(32),
    physical_activity          INTEGER,
    learning_disabilities      VARCHAR(32),
    parental_education_level   VARCHAR(32),
    distance_from_home         VARCHAR(32),
    gender                     VARCHAR(32),
    exam_score                 INTEGER,
    loaded_at                  TIMESTAMP
) DISTSTYLE AUTO SORTKEY (row_key)""",
]

# Redshift has no assertion statement: a CAST of the failure text to INTEGER fails the statement with
# that text as its error, which the operator raises (the same on Postgres).
CHECK_COPY = f"""
SELECT CASE
    WHEN staged.n <> loaded.n
    THEN CAST('CHECK FAILED: ' || CAST(staged.n AS VARCHAR) || ' rows copied from the curated zone but '
        || CAST(loaded.n AS VARCHAR) || ' loaded for ingest_date={INGEST_DATE}' AS INTEGER)
    ELSE staged.n
END AS copied_rows
FROM (SELECT COUNT(*) AS n FROM {STAGING_TABLE}) AS staged
CROSS JOIN (
    SELECT COUNT(*) AS n FROM {{{{ var.value.warehouse_table }}}}
    WHERE ingest_date = CAST('{INGEST_DATE}' AS DATE)
) AS loaded
"""

SUMMARY = f"""
SELECT school_type,
       COUNT(*) AS students,
       AVG(CAST(exam_score AS DOUBLE PRECISION)) AS avg_exam_score
FROM {STAGING_TABLE}
GROUP BY school_type
ORDER BY school_type
"""

with DAG(
    dag_id="student_performance_copy_load",
    description="Curated Parquet in S3 -> COPY into Redshift -> check -> UNLOAD a summary, via the Data API",
    doc_md=__doc__,
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["student-performance", "redshift", "copy", "unload", "data-api"],
    default_args={
        "owner": "data-engineering",
        "retries": RETRIES,
        "retry_delay": pendulum.duration(minutes=1),
    },
    params={
        "ingest_date": Param(None, type=["null", "string"], format="date", description="YYYY-MM-DD to load"),
        "run": Param(
            type="string",
            pattern=RUN_PATTERN,
            description="the student_performance_etl run that published the date: its curated folder "
            "curated/student_performance/ingest_date=<date>/run=<id>/ is copied",
        ),
    },
) as dag:
    create_staging = RedshiftDataOperator(
        task_id="create_staging", sql=CREATE_STAGING, aws_conn_id=AWS_CONN_ID, **DATA_API
    )

    copy_curated = S3ToRedshiftOperator(
        task_id="copy_curated",
        schema="staging",
        table="student_performance_curated",
        s3_bucket="{{ var.value.bucket }}",
        s3_key=f"curated/student_performance/ingest_date={INGEST_DATE}/run={RUN}/",
        copy_options=["FORMAT AS PARQUET"],
        method="REPLACE",
        aws_conn_id=AWS_CONN_ID,
        redshift_conn_id=AWS_CONN_ID,  # with redshift_data_api_kwargs: the AWS connection of the Data API
        redshift_data_api_kwargs=DATA_API,
    )

    check_copy = RedshiftDataOperator(
        task_id="check_copy", sql=CHECK_COPY, return_sql_result=True, aws_conn_id=AWS_CONN_ID, **DATA_API
    )

    unload_summary = RedshiftToS3Operator(
        task_id="unload_summary",
        select_query=SUMMARY,
        s3_bucket="{{ var.value.bucket }}",
        s3_key=f"exports/{INGEST_DATE}/score_by_school_type_",
        table_as_file_name=False,
        unload_options=["FORMAT AS CSV", "ALLOWOVERWRITE", "PARALLEL OFF"],
        include_header=True,
        aws_conn_id=AWS_CONN_ID,
        redshift_conn_id=AWS_CONN_ID,
        redshift_data_api_kwargs=DATA_API,
    )

    create_staging >> copy_curated >> check_copy >> unload_summary

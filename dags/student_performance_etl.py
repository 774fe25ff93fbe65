"""
### Student Performance Factors: S3 -> Glue crawler -> Athena -> Glue Spark job -> warehouse

One ingest date per run (`params.ingest_date`, else the run's logical date):

1. **crawl_raw**: the raw crawler catalogs `s3://<bucket>/raw/student_performance/ingest_date=<date>/`.
2. **check_raw_rows**: Athena reads the raw table for that date; the query itself fails (so the task
   fails with Athena's reason) when the date has no rows, when it has not `params.expected_rows`
   rows, or when a required column is missing.
3. **start_glue_job**: starts the Glue job with `--ingest_date`; its run id goes to XCom.
4. **wait_for_glue_job**: waits on that run and copies the job's log lines into this task's log;
   a FAILED run fails the task.
5. **check_warehouse_rows**: the warehouse holds rows for that date (as many as were uploaded, when
   `params.expected_rows` is given).

The file is the same for every profile: names come from Airflow Variables, AWS and the warehouse
from the `aws_default` and `redshift_default` connections, the date from the run's params.
"""

from __future__ import annotations

import pendulum
from airflow.providers.amazon.aws.operators.athena import AthenaOperator
from airflow.providers.amazon.aws.operators.glue import GlueJobOperator
from airflow.providers.amazon.aws.operators.glue_crawler import GlueCrawlerRunOperator
from airflow.providers.amazon.aws.sensors.glue import GlueJobSensor
from airflow.providers.common.sql.operators.sql import SQLTableCheckOperator
from airflow.sdk import DAG, Param, Variable

# Numbers that operators need at parse time (not templated); AWS's own defaults when unset.
POLL_SECONDS = int(Variable.get("poll_seconds", default="30"))
RETRIES = int(Variable.get("task_retries", default="2"))

WAREHOUSE_CONN_ID = "redshift_default"
INGEST_DATE = "{{ params.ingest_date or ds }}"

# The 20 columns as the crawler catalogs them (Glue folds names to lower case).
REQUIRED_COLUMNS = (
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

# Athena has no assertion statement: a CAST of the failure text to BIGINT fails the query with that
# text as its reason, which AthenaOperator puts in the task's error. Naming every required column
# makes a missing one fail the query too (COLUMN_NOT_FOUND).
RAW_ROWS_CHECK = """
{%- set ingest_date = params.ingest_date or ds -%}
{%- set expected = params.expected_rows -%}
SELECT CASE
    WHEN n = 0{% if expected is not none %} OR n <> {{ expected }}{% endif %}
    THEN CAST('CHECK FAILED: table {{ var.value.raw_table }} has ' || CAST(n AS VARCHAR)
        || ' rows for ingest_date={{ ingest_date }}, expected '
        || '{{ expected if expected is not none else "at least 1" }}' AS BIGINT)
    ELSE n
END AS raw_rows
FROM (
    SELECT COUNT(*) AS n
    FROM (
        SELECT REQUIRED_COLUMNS
        FROM "{{ var.value.raw_table }}"
        WHERE ingest_date = '{{ ingest_date }}'
    ) AS dated
) AS counted
""".replace("REQUIRED_COLUMNS", ", ".join(REQUIRED_COLUMNS))

with DAG(
    dag_id="student_performance_etl",
    description="Raw CSV in S3 -> Glue catalog -> Athena check -> Glue Spark job -> warehouse check",
    doc_md=__doc__,
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["student-performance", "glue", "athena", "warehouse"],
    default_args={
        "owner": "data-engineering",
        "retries": RETRIES,
        "retry_delay": pendulum.duration(minutes=1),
        "aws_conn_id": "aws_default",
    },
    params={
        "ingest_date": Param(None, type=["null", "string"], format="date", description="YYYY-MM-DD to load"),
        "expected_rows": Param(None, type=["null", "integer"], minimum=0, description="rows uploaded"),
    },
) as dag:
    crawl_raw = GlueCrawlerRunOperator(
        task_id="crawl_raw",
        crawler_name="{{ var.value.raw_crawler }}",
        wait_for_completion=True,
        poll_interval=POLL_SECONDS,
    )

    check_raw_rows = AthenaOperator(
        task_id="check_raw_rows",
        query=RAW_ROWS_CHECK,
        database="{{ var.value.glue_database }}",
        workgroup="{{ var.value.athena_workgroup }}",
        sleep_time=POLL_SECONDS,
    )

    start_glue_job = GlueJobOperator(
        task_id="start_glue_job",
        job_name="{{ var.value.glue_job }}",
        script_args={"--ingest_date": INGEST_DATE},
        wait_for_completion=False,
    )

    wait_for_glue_job = GlueJobSensor(
        task_id="wait_for_glue_job",
        job_name="{{ var.value.glue_job }}",
        run_id="{{ ti.xcom_pull(task_ids='start_glue_job') }}",
        verbose=True,
        poke_interval=POLL_SECONDS,
        timeout=60 * 60,
        mode="poke",
    )

    check_warehouse_rows = SQLTableCheckOperator(
        task_id="check_warehouse_rows",
        conn_id=WAREHOUSE_CONN_ID,
        table="{{ var.value.warehouse_table }}",
        partition_clause="ingest_date = '" + INGEST_DATE + "'",
        checks={
            "rows_loaded": {"check_statement": "COUNT(*) > 0"},
            "rows_match_upload": {
                "check_statement": "COUNT(*) = "
                "{{ params.expected_rows if params.expected_rows is not none else 'COUNT(*)' }}"
            },
        },
    )

    crawl_raw >> check_raw_rows >> start_glue_job >> wait_for_glue_job >> check_warehouse_rows

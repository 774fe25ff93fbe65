"""
### Student Performance Factors: S3 zones -> Glue -> Athena -> warehouse -> gates -> marts -> dashboard

One ingest date per run (`params.ingest_date`, else the run's logical date):

1. **crawl_raw**: the raw crawler catalogs `s3://<bucket>/raw/student_performance/ingest_date=<date>/`.
2. **check_raw_rows**: Athena reads the raw table for that date; the query itself fails (so the task
   fails with Athena's reason) when the date has no rows, when it has not `params.expected_rows`
   rows, or when a required column is missing.
3. **start_glue_job** / **wait_for_glue_job**: the Glue job validates the date's rows, writes the
   curated zone (typed Parquet) and the quarantine zone (rejected rows, every reason, original
   values), and replaces the date in the warehouse and its quarantine table in one transaction.
4. **crawl_curated**, **crawl_quarantine**: the two zones' crawlers catalog the new partitions.
5. **reconcile_zones**: Athena checks raw rows = curated rows + quarantined rows for the date.
6. Quality gates on the warehouse (common-sql check operators; a failed check fails the run by name):
   **gate_row_counts** (rows loaded, raw = loaded + quarantined, quarantined share at most
   `params.max_quarantined_pct` percent, one row per row key), **gate_columns** (no NULL where a value is
   required, every integer within its valid range), **gate_accepted_values** (every category in its
   domain). The rules come from `student_performance_rules.json` beside this file (generated from
   the dataset's schema module), so gates and Glue job check the same thing.
   **evaluate_curated_quality**: Glue Data Quality evaluates the same rules, as the DQDL ruleset
   `curated_ruleset` (made by the stack), on the date's curated partition; a rule that does not pass
   fails the run.
7. **build_marts**: `sql/marts/*.sql` rebuild the date's marts in one transaction.
8. **build_dashboard**: renders the dashboard from the marts to `s3://<bucket>/reports/<date>/
   dashboard.html` (and to the `artifacts_dir` Variable's folder, when set).

The file is the same for every profile: names come from Airflow Variables, AWS and the warehouse
from the `aws_default` and `redshift_default` connections, the date from the run's params.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pendulum
from airflow.providers.amazon.aws.operators.athena import AthenaOperator
from airflow.providers.amazon.aws.operators.glue import (
    GlueDataQualityRuleSetEvaluationRunOperator,
    GlueJobOperator,
)
from airflow.providers.amazon.aws.operators.glue_crawler import GlueCrawlerRunOperator
from airflow.providers.amazon.aws.sensors.glue import GlueJobSensor
from airflow.providers.common.sql.operators.sql import (
    SQLColumnCheckOperator,
    SQLExecuteQueryOperator,
    SQLTableCheckOperator,
)
from airflow.sdk import DAG, Param, Variable, task

HERE = Path(__file__).resolve().parent

# Numbers that operators need at parse time (not templated); AWS's own defaults when unset.
POLL_SECONDS = int(Variable.get("poll_seconds", default="30"))
RETRIES = int(Variable.get("task_retries", default="2"))

WAREHOUSE_CONN_ID = "redshift_default"
INGEST_DATE = "{{ params.ingest_date or ds }}"
FOR_THE_DATE = "ingest_date = '" + INGEST_DATE + "'"

# The dataset's columns and validity rules (generated from awstwin.data.schema; see the file).
RULES: list[dict[str, Any]] = json.loads((HERE / "student_performance_rules.json").read_text())["columns"]
# The 20 columns as the crawler catalogs them (Glue folds names to lower case).
REQUIRED_COLUMNS = tuple(rule["name"] for rule in RULES)
MARTS_SQL = sorted(str(path.relative_to(HERE)) for path in (HERE / "sql" / "marts").glob("*.sql"))

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

# No row is dropped silently: every raw row of the date is in the curated or the quarantine zone.
ZONES_RECONCILE = """
{%- set ingest_date = params.ingest_date or ds -%}
SELECT CASE
    WHEN raw.n <> curated.n + quarantined.n
    THEN CAST('CHECK FAILED: ingest_date={{ ingest_date }} has ' || CAST(raw.n AS VARCHAR)
        || ' raw rows but ' || CAST(curated.n AS VARCHAR) || ' curated + '
        || CAST(quarantined.n AS VARCHAR) || ' quarantined' AS BIGINT)
    ELSE raw.n
END AS raw_rows
FROM (SELECT COUNT(*) AS n FROM "{{ var.value.raw_table }}" WHERE ingest_date = '{{ ingest_date }}') AS raw
CROSS JOIN (
    SELECT COUNT(*) AS n FROM "{{ var.value.curated_table }}" WHERE ingest_date = '{{ ingest_date }}'
) AS curated
CROSS JOIN (
    SELECT COUNT(*) AS n FROM "{{ var.value.quarantine_table }}" WHERE ingest_date = '{{ ingest_date }}'
) AS quarantined
"""

# The date's quarantined rows, as a scalar subquery (the word QUARANTINED in the checks below).
QUARANTINED = "(SELECT COUNT(*) FROM {{ var.value.warehouse_quarantine_table }} WHERE " + FOR_THE_DATE + ")"


def check(statement: str) -> dict[str, str]:
    return {"check_statement": statement.replace("QUARANTINED", QUARANTINED)}


ROW_COUNT_CHECKS = {
    "rows_loaded": check("COUNT(*) > 0"),
    "raw_equals_loaded_plus_quarantined": check(
        "COUNT(*) + QUARANTINED = {% if params.expected_rows is not none %}{{ params.expected_rows }}"
        "{% else %}COUNT(*) + QUARANTINED{% endif %}"
    ),
    "quarantined_share_within_limit": check(
        "100 * QUARANTINED <= {{ params.max_quarantined_pct }} * (COUNT(*) + QUARANTINED)"
    ),
    "row_keys_unique": check("COUNT(DISTINCT row_key) = COUNT(*)"),
}


def column_checks() -> dict[str, dict[str, Any]]:
    """No NULL where a value is required; each integer within its valid range."""
    checks: dict[str, dict[str, Any]] = {
        name: {"null_check": {"equal_to": 0}} for name in ("ingest_date", "row_key", "loaded_at")
    }
    for rule in RULES:
        column: dict[str, Any] = {} if rule["nullable"] else {"null_check": {"equal_to": 0}}
        if rule["kind"] == "integer":
            column["min"] = {"geq_to": rule["minimum"]}
            if rule["maximum"] is not None:
                column["max"] = {"leq_to": rule["maximum"]}
        if column:
            checks[rule["name"]] = column
    return checks


def accepted_values_checks() -> dict[str, dict[str, str]]:
    """Every category in its domain (NULL is an unknown value, allowed where the column is nullable)."""
    checks = {}
    for rule in RULES:
        if rule["kind"] != "categorical":
            continue
        name = rule["name"]
        domain = ", ".join("'" + value.replace("'", "''") + "'" for value in rule["domain"])
        outside = f"{name} NOT IN ({domain})" + ("" if rule["nullable"] else f" OR {name} IS NULL")
        if rule["nullable"]:
            outside = f"{name} IS NOT NULL AND {outside}"
        # One aggregate per check (true for a date with no rows: gate_row_counts speaks for those).
        checks[f"{name}_accepted_values"] = check(
            f"COALESCE(SUM(CASE WHEN {outside} THEN 1 ELSE 0 END), 0) = 0"
        )
    return checks


@task(task_id="build_dashboard")
def build_dashboard(ingest_date: str) -> dict[str, Any]:
    """Render the dashboard from the marts and publish it to reports/<date>/ (and artifacts_dir)."""
    # Imported here, not at parse time: the DAG parses on any Airflow; the task needs awstwin.
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook
    from airflow.sdk import BaseHook

    from awstwin.dashboard import build_dashboard as render_and_publish

    warehouse = BaseHook.get_connection(WAREHOUSE_CONN_ID).get_hook()
    artifacts_dir = Variable.get("artifacts_dir", default=None)
    connection = warehouse.get_conn()
    try:
        return render_and_publish(
            connection,
            ingest_date,
            s3_client=S3Hook(aws_conn_id="aws_default").get_conn(),
            bucket=Variable.get("bucket"),
            artifacts_dir=Path(artifacts_dir) if artifacts_dir else None,
        )
    finally:
        connection.close()


with DAG(
    dag_id="student_performance_etl",
    description="Raw CSV -> Glue -> curated/quarantine zones -> warehouse -> gates -> marts -> dashboard",
    doc_md=__doc__,
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["student-performance", "glue", "athena", "warehouse", "marts"],
    default_args={
        "owner": "data-engineering",
        "retries": RETRIES,
        "retry_delay": pendulum.duration(minutes=1),
        "aws_conn_id": "aws_default",
    },
    params={
        "ingest_date": Param(None, type=["null", "string"], format="date", description="YYYY-MM-DD to load"),
        "expected_rows": Param(None, type=["null", "integer"], minimum=0, description="rows uploaded"),
        "max_quarantined_pct": Param(
            5.0, type="number", minimum=0, maximum=100, description="most rows (%) a run may quarantine"
        ),
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

    crawl_curated = GlueCrawlerRunOperator(
        task_id="crawl_curated",
        crawler_name="{{ var.value.curated_crawler }}",
        wait_for_completion=True,
        poll_interval=POLL_SECONDS,
    )

    crawl_quarantine = GlueCrawlerRunOperator(
        task_id="crawl_quarantine",
        crawler_name="{{ var.value.quarantine_crawler }}",
        wait_for_completion=True,
        poll_interval=POLL_SECONDS,
    )

    reconcile_zones = AthenaOperator(
        task_id="reconcile_zones",
        query=ZONES_RECONCILE,
        database="{{ var.value.glue_database }}",
        workgroup="{{ var.value.athena_workgroup }}",
        sleep_time=POLL_SECONDS,
    )

    evaluate_curated_quality = GlueDataQualityRuleSetEvaluationRunOperator(
        task_id="evaluate_curated_quality",
        datasource={
            "GlueTable": {
                "DatabaseName": "{{ var.value.glue_database }}",
                "TableName": "{{ var.value.curated_table }}",
                "AdditionalOptions": {"pushDownPredicate": FOR_THE_DATE},
            }
        },
        role="{{ var.value.glue_role }}",
        rule_set_names=["{{ var.value.curated_ruleset }}"],
        verify_result_status=True,  # a rule that does not pass fails the task (and so the run)
        waiter_delay=POLL_SECONDS,
        waiter_max_attempts=max(20, 60 * 60 // POLL_SECONDS),
    )

    gate_row_counts = SQLTableCheckOperator(
        task_id="gate_row_counts",
        conn_id=WAREHOUSE_CONN_ID,
        table="{{ var.value.warehouse_table }}",
        partition_clause=FOR_THE_DATE,
        checks=ROW_COUNT_CHECKS,
    )

    gate_columns = SQLColumnCheckOperator(
        task_id="gate_columns",
        conn_id=WAREHOUSE_CONN_ID,
        table="{{ var.value.warehouse_table }}",
        partition_clause=FOR_THE_DATE,
        column_mapping=column_checks(),
    )

    gate_accepted_values = SQLTableCheckOperator(
        task_id="gate_accepted_values",
        conn_id=WAREHOUSE_CONN_ID,
        table="{{ var.value.warehouse_table }}",
        partition_clause=FOR_THE_DATE,
        checks=accepted_values_checks(),
    )

    build_marts = SQLExecuteQueryOperator(
        task_id="build_marts",
        conn_id=WAREHOUSE_CONN_ID,
        sql=MARTS_SQL,
        split_statements=True,
        return_last=False,
    )

    zones = [crawl_curated, crawl_quarantine]
    gates = [gate_row_counts, gate_columns, gate_accepted_values, evaluate_curated_quality]
    crawl_raw >> check_raw_rows >> start_glue_job >> wait_for_glue_job >> zones
    zones >> reconcile_zones >> gates
    gates >> build_marts >> build_dashboard(INGEST_DATE)

"""
### Student Performance Factors: S3 zones -> Glue -> Athena -> warehouse -> gates -> publish -> dashboard

One ingest date per run (`params.ingest_date`, else the run's logical date), written, checked, then
published: nothing a reader sees changes until every check has passed, so a failed run leaves the
date exactly as its last good run left it. The run's upload is
`s3://<bucket>/raw/student_performance/ingest_date=<date>/run=<params.run>/student_performance.csv`,
and the run writes only folders and tables of its own (`run=<params.run>`, `<table>_stage_<run>`).

1. **remove_stale_runs**: run folders that are neither a date's published run nor this run (failed
   or superseded runs, of any date) are deleted with their catalog partitions, and staging tables
   left by failed runs are dropped. The previous good run of this date stays until this one is
   published.
2. **crawl_raw**: the raw crawler catalogs every kept run in `runs_<raw_table>` (keys ingest_date, run).
3. **check_raw_rows**: Athena reads this run's raw rows; the query itself fails (so the task fails
   with Athena's reason) when there are none, when there are not `params.expected_rows`, when a
   required column is not in the table, or when a column has no value in any row (a column missing
   from the file, or a separator other than a comma, leaves whole columns empty).
4. **start_glue_job** / **wait_for_glue_job**: the Glue job validates the run's rows, writes its
   curated folder (typed Parquet) and quarantine folder (rejected rows, every reason, original
   values), and loads them into the warehouse's staging tables of the run.
5. **crawl_curated**, **crawl_quarantine**: the zones' crawlers catalog the run's folders.
6. **reconcile_zones**: Athena checks raw rows = curated rows + quarantined rows for the run.
7. Quality gates on the run's staging tables (common-sql check operators; a failed check fails the
   run by name): **gate_row_counts** (rows loaded, raw = loaded + quarantined, quarantined share at
   most `params.max_quarantined_pct` percent, one row per row key), **gate_columns** (no NULL where a
   value is required, every integer within its valid range), **gate_accepted_values** (every category
   in its domain). The rules come from `student_performance_rules.json` beside this file (generated
   from the dataset's schema module), so gates and Glue job check the same thing.
   **evaluate_curated_quality**: Glue Data Quality evaluates the same rules, as the DQDL ruleset
   `curated_ruleset` (made by the stack), on the run's curated rows (`runs_<curated_table>`,
   partition ingest_date/run); a rule that does not pass fails the run, naming the rule.
8. **publish_zones**: the published tables' partition for the date (`<raw|curated|quarantine>_table`)
   now points at this run's folders (Glue BatchUpdatePartition; created from the runs table the
   first time). **publish_warehouse**: one transaction replaces the date's rows and quarantined rows
   with the staging tables' and rebuilds the date's marts (`sql/publish/`, `sql/marts/`). If it fails,
   **restore_zones** points the partitions back where they were.
9. **build_dashboard**: renders the dashboard from the marts to `s3://<bucket>/reports/<date>/
   dashboard.html` (and to the `artifacts_dir` Variable's folder, when set).
10. **unload_marts**: once published, `sql/unload/marts.sql` UNLOADs the date's marts as Parquet to
    `s3://<bucket>/marts/<date>/<mart>/` for BI tools that read S3 (through Athena), with the
    namespace's default IAM role.

The file is the same for every profile: names come from Airflow Variables, AWS and the warehouse
from the `aws_default` and `redshift_default` connections, the date and the run from the run's params.
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
from airflow.task.trigger_rule import TriggerRule

HERE = Path(__file__).resolve().parent

# Numbers that operators need at parse time (not templated); AWS's own defaults when unset.
POLL_SECONDS = float(Variable.get("poll_seconds", default="30"))  # 0.5 locally
RETRIES = int(Variable.get("task_retries", default="2"))

WAREHOUSE_CONN_ID = "redshift_default"
AWS_CONN_ID = "aws_default"
INGEST_DATE = "{{ params.ingest_date or ds }}"
RUN = "{{ params.run }}"
FOR_THE_DATE = "ingest_date = '" + INGEST_DATE + "'"
# The crawled tables of every kept run are the published tables' names with this prefix (the
# crawlers' TablePrefix in infra/pipeline.yaml); their partitions are (ingest_date, run).
RUNS_TABLE_PREFIX = "runs_"
FOR_THE_RUN = "ingest_date = '{{ ingest_date }}' AND run = '{{ params.run }}'"
# The run's warehouse staging tables, which the Glue job loads and publish_warehouse swaps in.
STAGE = "{{ var.value.warehouse_table }}_stage_{{ params.run }}"
QUARANTINE_STAGE = "{{ var.value.warehouse_quarantine_table }}_stage_{{ params.run }}"
# What a run's id may hold (awstwin.pipeline.runs): it goes into S3 keys and table names.
RUN_PATTERN = r"^[0-9a-z_]{1,32}$"

# The dataset's columns and validity rules (generated from awstwin.data.schema; see the file).
RULES: list[dict[str, Any]] = json.loads((HERE / "student_performance_rules.json").read_text())["columns"]
# The 20 columns as the crawler catalogs them (Glue folds names to lower case).
REQUIRED_COLUMNS = tuple(rule["name"] for rule in RULES)
MARTS_SQL = sorted(str(path.relative_to(HERE)) for path in (HERE / "sql" / "marts").glob("*.sql"))
UNLOAD_MARTS_SQL = "sql/unload/marts.sql"
PUBLISH_SQL = sorted(str(path.relative_to(HERE)) for path in (HERE / "sql" / "publish").glob("*.sql"))


def fill(template: str, **parts: str) -> str:
    """Put each part in place of its NAME in an SQL template (which keeps Jinja's braces as they are)."""
    for name, text in parts.items():
        template = template.replace(name, text)
    return template


RUNS = {
    "raw": RUNS_TABLE_PREFIX + "{{ var.value.raw_table }}",
    "curated": RUNS_TABLE_PREFIX + "{{ var.value.curated_table }}",
    "quarantine": RUNS_TABLE_PREFIX + "{{ var.value.quarantine_table }}",
}

# Athena has no assertion statement: a CAST of the failure text to BIGINT fails the query with that
# text as its reason, which AthenaOperator puts in the task's error. Naming every column makes a
# column the table lacks fail the query too (COLUMN_NOT_FOUND); a column with no value in any row of
# the run is what a column missing from the file (the columns after it move up one, the last is
# empty) or another separator (the whole line is the first column) looks like through the catalog.
RAW_ROWS_CHECK = fill(
    """
{%- set ingest_date = params.ingest_date or ds -%}
{%- set expected = params.expected_rows -%}
SELECT CASE
    WHEN n = 0{% if expected is not none %} OR n <> {{ expected }}{% endif %}
    THEN CAST('CHECK FAILED: table RUNS_RAW has ' || CAST(n AS VARCHAR)
        || ' rows for ingest_date={{ ingest_date }}/run={{ params.run }}, expected '
        || '{{ expected if expected is not none else "at least 1" }}' AS BIGINT)
EMPTY_COLUMNS
    ELSE n
END AS raw_rows
FROM (
    SELECT COUNT(*) AS n, FILLED_COLUMNS
    FROM "RUNS_RAW"
    WHERE FOR_THE_RUN
) AS counted
""",
    RUNS_RAW=RUNS["raw"],
    FOR_THE_RUN=FOR_THE_RUN,
    FILLED_COLUMNS=", ".join(f"COUNT({name}) AS filled_{name}" for name in REQUIRED_COLUMNS),
    EMPTY_COLUMNS="\n".join(
        f"    WHEN filled_{name} = 0 THEN CAST('CHECK FAILED: column {name} has no value in any of the '"
        " || CAST(n AS VARCHAR) || ' rows of ingest_date={{ ingest_date }}/run={{ params.run }}: is the "
        "column missing from the file, or are its fields not separated by commas?' AS BIGINT)"
        for name in REQUIRED_COLUMNS
    ),
)

# No row is dropped silently: every raw row of the run is in its curated or its quarantine folder.
ZONES_RECONCILE = fill(
    """
{%- set ingest_date = params.ingest_date or ds -%}
SELECT CASE
    WHEN raw.n <> curated.n + quarantined.n
    THEN CAST('CHECK FAILED: ingest_date={{ ingest_date }}/run={{ params.run }} has '
        || CAST(raw.n AS VARCHAR) || ' raw rows but ' || CAST(curated.n AS VARCHAR) || ' curated + '
        || CAST(quarantined.n AS VARCHAR) || ' quarantined' AS BIGINT)
    ELSE raw.n
END AS raw_rows
FROM (SELECT COUNT(*) AS n FROM "RUNS_RAW" WHERE FOR_THE_RUN) AS raw
CROSS JOIN (SELECT COUNT(*) AS n FROM "RUNS_CURATED" WHERE FOR_THE_RUN) AS curated
CROSS JOIN (SELECT COUNT(*) AS n FROM "RUNS_QUARANTINE" WHERE FOR_THE_RUN) AS quarantined
""",
    RUNS_RAW=RUNS["raw"],
    RUNS_CURATED=RUNS["curated"],
    RUNS_QUARANTINE=RUNS["quarantine"],
    FOR_THE_RUN=FOR_THE_RUN,
)

# The run's quarantined rows, as a scalar subquery (the word QUARANTINED in the checks below).
QUARANTINED = "(SELECT COUNT(*) FROM " + QUARANTINE_STAGE + " WHERE " + FOR_THE_DATE + ")"


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


def _glue_and_zones() -> tuple[Any, str, list[Any]]:
    """The Glue client (the stock hook's), the catalog database and the three zones."""
    from airflow.providers.amazon.aws.hooks.glue_catalog import GlueCatalogHook

    from awstwin.pipeline.publication import zones

    tables = [Variable.get(f"{zone}_table") for zone in ("raw", "curated", "quarantine")]
    return GlueCatalogHook(aws_conn_id=AWS_CONN_ID).conn, Variable.get("glue_database"), zones(*tables)


@task(task_id="remove_stale_runs")
def remove_stale_runs(ingest_date: str, run: str) -> dict[str, list[str]]:
    """Delete failed and superseded run folders (never a date's published one, nor this run's) and the
    staging tables failed runs left; see awstwin.pipeline.publication."""
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook
    from airflow.sdk import BaseHook

    from awstwin.pipeline import publication

    glue, database, zones = _glue_and_zones()
    s3 = S3Hook(aws_conn_id=AWS_CONN_ID).get_conn()
    folders = publication.remove_stale_runs(
        s3, glue, Variable.get("bucket"), database, zones, ingest_date, run
    )
    connection = BaseHook.get_connection(WAREHOUSE_CONN_ID).get_hook().get_conn()
    try:
        tables = [Variable.get("warehouse_table"), Variable.get("warehouse_quarantine_table")]
        stages = publication.drop_stale_stages(connection, tables, run)
    finally:
        connection.close()
    return {"folders": folders, "stages": stages}


@task(task_id="publish_zones")
def publish_zones(ingest_date: str, run: str) -> list[dict[str, Any]]:
    """Point the published tables' partition of the date at this run's folders; returns what was
    there before, for restore_zones."""
    from awstwin.pipeline.publication import publish_partitions

    glue, database, zones = _glue_and_zones()
    return publish_partitions(glue, database, zones, ingest_date, run)


@task(task_id="restore_zones", trigger_rule=TriggerRule.ONE_FAILED)
def restore_zones(ingest_date: str) -> list[str]:
    """Something failed before the warehouse swap committed: the partitions point where they did
    before publish_zones (nothing to do when publish_zones did not run or undid itself)."""
    from airflow.sdk import get_current_context

    from awstwin.pipeline.publication import restore_partitions

    previous = get_current_context()["ti"].xcom_pull(task_ids="publish_zones")
    if not previous:
        return []
    glue, database, _ = _glue_and_zones()
    restore_partitions(glue, database, ingest_date, previous)
    return [entry["table"] for entry in previous]


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
            s3_client=S3Hook(aws_conn_id=AWS_CONN_ID).get_conn(),
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
        "aws_conn_id": AWS_CONN_ID,
    },
    params={
        "ingest_date": Param(None, type=["null", "string"], format="date", description="YYYY-MM-DD to load"),
        "run": Param(
            type="string",
            pattern=RUN_PATTERN,
            description="this run's id: its upload is raw/student_performance/ingest_date=<date>/run=<id>/, "
            "and it writes run=<id> folders and <table>_stage_<id> tables",
        ),
        "expected_rows": Param(None, type=["null", "integer"], minimum=0, description="rows uploaded"),
        "max_quarantined_pct": Param(
            5.0, type="number", minimum=0, maximum=100, description="most rows (%) a run may quarantine"
        ),
    },
) as dag:
    stale = remove_stale_runs(INGEST_DATE, RUN)

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
        script_args={"--ingest_date": INGEST_DATE, "--run": RUN},
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
                "TableName": RUNS["curated"],
                "AdditionalOptions": {"pushDownPredicate": FOR_THE_DATE + " AND run = '" + RUN + "'"},
            }
        },
        role="{{ var.value.glue_role }}",
        rule_set_names=["{{ var.value.curated_ruleset }}"],
        verify_result_status=True,  # a rule that does not pass fails the task (and so the run)
        waiter_delay=POLL_SECONDS,
        waiter_max_attempts=max(20, int(60 * 60 // POLL_SECONDS)),
    )

    gate_row_counts = SQLTableCheckOperator(
        task_id="gate_row_counts",
        conn_id=WAREHOUSE_CONN_ID,
        table=STAGE,
        partition_clause=FOR_THE_DATE,
        checks=ROW_COUNT_CHECKS,
    )

    gate_columns = SQLColumnCheckOperator(
        task_id="gate_columns",
        conn_id=WAREHOUSE_CONN_ID,
        table=STAGE,
        partition_clause=FOR_THE_DATE,
        column_mapping=column_checks(),
    )

    gate_accepted_values = SQLTableCheckOperator(
        task_id="gate_accepted_values",
        conn_id=WAREHOUSE_CONN_ID,
        table=STAGE,
        partition_clause=FOR_THE_DATE,
        checks=accepted_values_checks(),
    )

    zones_published = publish_zones(INGEST_DATE, RUN)

    # One transaction: the date's rows and quarantined rows from the run's staging tables, then the
    # date's marts from those rows. A reader sees all of it or none of it.
    publish_warehouse = SQLExecuteQueryOperator(
        task_id="publish_warehouse",
        conn_id=WAREHOUSE_CONN_ID,
        sql=[*PUBLISH_SQL, *MARTS_SQL],
        split_statements=True,
        return_last=False,
    )

    unload_marts = SQLExecuteQueryOperator(
        task_id="unload_marts",
        conn_id=WAREHOUSE_CONN_ID,
        sql=UNLOAD_MARTS_SQL,
        split_statements=True,
        return_last=False,
        autocommit=True,
    )

    zones = [crawl_curated, crawl_quarantine]
    gates = [gate_row_counts, gate_columns, gate_accepted_values, evaluate_curated_quality]
    stale >> crawl_raw >> check_raw_rows >> start_glue_job >> wait_for_glue_job >> zones
    zones >> reconcile_zones >> gates
    gates >> zones_published >> publish_warehouse >> build_dashboard(INGEST_DATE)
    [zones_published, publish_warehouse] >> restore_zones(INGEST_DATE)
    publish_warehouse >> unload_marts

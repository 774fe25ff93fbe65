"""Astronomer-style DAG integrity: every DAG in dags/ imports, has no cycle, names an owner, tags and
retries, and the pipeline DAG is built only from stock Amazon-provider and common-sql operators (but
for one Python task, the dashboard), with gates that check exactly the dataset's rules."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from awstwin.core.profile import load_profile
from awstwin.data import schema
from awstwin.pipeline import rules

REPO = Path(__file__).resolve().parents[2]
DAGS = REPO / "dags"

# The pipeline DAG may use only these: stock operators and sensors, never a Python callable on boto3.
ALLOWED_OPERATORS = {
    "GlueCrawlerRunOperator",
    "AthenaOperator",
    "GlueJobOperator",
    "GlueJobSensor",
    "GlueDataQualityRuleSetEvaluationRunOperator",
    "SQLTableCheckOperator",
    "SQLCheckOperator",
    "SQLValueCheckOperator",
    "SQLColumnCheckOperator",
    "SQLExecuteQueryOperator",
}
# The exceptions: rendering the dashboard (awstwin.dashboard), and the catalog side of publishing,
# which no stock operator does (Glue BatchUpdatePartition through the stock hook's client,
# awstwin.pipeline.publication).
PYTHON_TASKS = {"remove_stale_runs", "publish_zones", "restore_zones", "build_dashboard"}
FLOW = [
    "remove_stale_runs",
    "crawl_raw",
    "check_raw_rows",
    "start_glue_job",
    "wait_for_glue_job",
    "crawl_curated",
    "reconcile_zones",
    "gate_row_counts",
    "publish_zones",
    "publish_warehouse",
    "build_dashboard",
]


@pytest.fixture(scope="module")
def dag_bag(tmp_path_factory: pytest.TempPathFactory):
    home = tmp_path_factory.mktemp("airflow-home")
    os.environ.setdefault("AIRFLOW_HOME", str(home))
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS))


def test_every_dag_imports(dag_bag) -> None:
    assert dag_bag.import_errors == {}, f"DAG import errors: {dag_bag.import_errors}"
    assert dag_bag.dags, f"no DAG found in {DAGS}"


def test_every_dag_has_tags_owner_and_retries(dag_bag) -> None:
    for dag_id, dag in dag_bag.dags.items():
        assert dag.tags, f"{dag_id} has no tags"
        assert dag.doc_md, f"{dag_id} has no doc_md"
        for task in dag.tasks:
            assert task.owner and task.owner != "airflow", f"{dag_id}.{task.task_id} has no owner"
            assert task.retries is not None, f"{dag_id}.{task.task_id} has no retries set"


def test_no_cycles(dag_bag) -> None:
    for dag_id, dag in dag_bag.dags.items():
        dag.check_cycle()  # raises AirflowDagCycleException naming the cycle
        assert len(dag.topological_sort()) == len(dag.tasks), f"{dag_id}: a task is unreachable in order"


def test_pipeline_uses_only_stock_operators(dag_bag) -> None:
    dag = dag_bag.dags["student_performance_etl"]
    python = {task.task_id for task in dag.tasks if type(task).__name__ == "_PythonDecoratedOperator"}
    assert python == PYTHON_TASKS
    stock = [task for task in dag.tasks if task.task_id not in PYTHON_TASKS]
    used = {type(task).__name__ for task in stock}
    assert used <= ALLOWED_OPERATORS, f"operators outside the allowed set: {used - ALLOWED_OPERATORS}"
    for task in stock:
        module = type(task).__module__
        assert module.startswith(("airflow.providers.amazon.", "airflow.providers.common.sql.")), (
            f"{task.task_id} is a {module} operator"
        )


def test_pipeline_flow_order(dag_bag) -> None:
    dag = dag_bag.dags["student_performance_etl"]
    for upstream, downstream in zip(FLOW, FLOW[1:], strict=False):
        assert downstream in dag.get_task(upstream).downstream_task_ids, (upstream, downstream)
    gates = {"gate_row_counts", "gate_columns", "gate_accepted_values", "evaluate_curated_quality"}
    assert dag.get_task("reconcile_zones").downstream_task_ids == gates
    assert dag.get_task("publish_zones").upstream_task_ids == gates
    assert dag.get_task("reconcile_zones").upstream_task_ids == {"crawl_curated", "crawl_quarantine"}
    # Nothing is published before every check passed; a failed warehouse swap puts the zones back.
    restore = dag.get_task("restore_zones")
    assert restore.upstream_task_ids == {"publish_warehouse", "publish_zones"}
    assert restore.trigger_rule == "one_failed"
    assert dag.get_task("build_dashboard").upstream_task_ids == {"publish_warehouse"}
    assert dag.get_task("unload_marts").upstream_task_ids == {"publish_warehouse"}
    start = dag.get_task("start_glue_job")
    assert start.wait_for_completion is False
    sensor = dag.get_task("wait_for_glue_job")
    assert sensor.verbose is True
    assert "start_glue_job" in sensor.run_id


def _dag_module():
    sys.path.insert(0, str(DAGS))
    try:
        import student_performance_etl as module
    finally:
        sys.path.remove(str(DAGS))
    return module


def test_required_columns_match_the_schema() -> None:
    assert tuple(c.sql_name for c in schema.COLUMNS) == _dag_module().REQUIRED_COLUMNS


def test_the_rules_beside_the_dag_are_the_schema_modules() -> None:
    """dags/student_performance_rules.json is generated; regenerate: python -m awstwin.pipeline.rules"""
    assert rules.RULES_FILE.read_text() == rules.render()


def test_gates_check_every_rule_of_the_schema(dag_bag) -> None:
    dag = dag_bag.dags["student_performance_etl"]
    for gate in ("gate_row_counts", "gate_columns", "gate_accepted_values"):  # the run's staging table
        assert dag.get_task(gate).table == "{{ var.value.warehouse_table }}_stage_{{ params.run }}"
    mapping = dag.get_task("gate_columns").column_mapping
    for column in schema.INTEGER_COLUMNS:
        checks = mapping[column.sql_name]
        assert checks["null_check"] == {"equal_to": 0}
        assert checks["min"] == {"geq_to": column.minimum}
        assert checks.get("max") == ({"leq_to": column.maximum} if column.maximum is not None else None)
    for name in ("ingest_date", "row_key", "loaded_at"):
        assert mapping[name]["null_check"] == {"equal_to": 0}
    accepted = dag.get_task("gate_accepted_values").checks
    assert set(accepted) == {f"{c.sql_name}_accepted_values" for c in schema.CATEGORICAL_COLUMNS}
    for column in schema.CATEGORICAL_COLUMNS:
        statement = accepted[f"{column.sql_name}_accepted_values"]["check_statement"]
        assert all(f"'{value}'" in statement for value in column.domain), statement
    counts = dag.get_task("gate_row_counts").checks
    assert set(counts) == {
        "rows_loaded",
        "raw_equals_loaded_plus_quarantined",
        "quarantined_share_within_limit",
        "row_keys_unique",
    }


def test_publishing_swaps_the_rows_and_builds_every_mart_in_one_task(dag_bag) -> None:
    """One SQLExecuteQueryOperator, one transaction: the date's rows, then every marts file in order."""
    from awstwin.dashboard.marts import sql_files

    module = _dag_module()
    assert [str(p.relative_to(DAGS)) for p in sql_files()] == module.MARTS_SQL
    assert module.PUBLISH_SQL == ["sql/publish/10_warehouse_rows.sql"]
    task = dag_bag.dags["student_performance_etl"].get_task("publish_warehouse")
    files = [*module.PUBLISH_SQL, *module.MARTS_SQL]
    assert task.sql == [(DAGS / name).read_text() for name in files]  # the DagBag reads the files in
    assert task.split_statements is True and task.autocommit is False


def test_the_runs_tables_and_run_ids_agree_with_the_package() -> None:
    """The DAG cannot import awstwin at parse time: its copies of these must be the package's."""
    from awstwin.core.profile import RUNS_TABLE_PREFIX
    from awstwin.pipeline.runs import RUN_PATTERN

    module = _dag_module()
    assert module.RUNS_TABLE_PREFIX == RUNS_TABLE_PREFIX and module.RUN_PATTERN == RUN_PATTERN


def test_the_marts_are_unloaded_as_parquet_to_marts_date(dag_bag) -> None:
    """Every mart the marts SQL creates is UNLOADed, with the namespace's default role, replacing the
    date's earlier files (https://docs.aws.amazon.com/redshift/latest/dg/r_UNLOAD.html)."""
    task = dag_bag.dags["student_performance_etl"].get_task("unload_marts")
    assert type(task).__name__ == "SQLExecuteQueryOperator" and task.conn_id == "redshift_default"
    text = (DAGS / _dag_module().UNLOAD_MARTS_SQL).read_text()
    assert task.sql == text  # Airflow read the file into the task
    created = re.findall(
        r"CREATE TABLE IF NOT EXISTS marts\.(\w+)", (DAGS / "sql/marts/00_schema.sql").read_text()
    )
    for mart in created:
        assert f'"{mart}"' in text or f"marts.{mart}" in text, f"{mart} is not unloaded"
    assert "marts/{{ ingest_date }}/" in text and "FORMAT AS PARQUET" in text and "IAM_ROLE default" in text


COPY_DAG_OPERATORS = {"RedshiftDataOperator", "S3ToRedshiftOperator", "RedshiftToS3Operator"}


def test_the_copy_load_dag_uses_the_stock_redshift_operators_over_the_data_api(dag_bag) -> None:
    dag = dag_bag.dags["student_performance_copy_load"]
    order = ["create_staging", "copy_curated", "check_copy", "unload_summary"]
    assert [t.task_id for t in dag.topological_sort()] == order
    assert {type(t).__name__ for t in dag.tasks} == COPY_DAG_OPERATORS
    for task in dag.tasks:
        assert type(task).__module__.startswith("airflow.providers.amazon."), task.task_id
        if type(task).__name__ == "RedshiftDataOperator":
            assert (
                task.workgroup_name == "{{ var.value.redshift_workgroup }}"
                and task.cluster_identifier is None
            )
        else:  # the transfers run their COPY / UNLOAD through the Data API, not a database connection
            assert task.use_redshift_data and task.redshift_data_api_kwargs["workgroup_name"]
    copy = dag.get_task("copy_curated")
    assert copy.method == "REPLACE" and copy.copy_options == ["FORMAT AS PARQUET"]
    # The published run's curated folder, never the date's whole prefix (other runs' folders sit beside it).
    folder = "curated/student_performance/ingest_date={{ params.ingest_date or ds }}/run={{ params.run }}/"
    assert copy.s3_key == folder
    from awstwin.pipeline.runs import RUN_PATTERN

    assert dag.params.get_param("run").schema["pattern"] == RUN_PATTERN


@pytest.mark.parametrize("dag_file", ["student_performance_etl.py", "student_performance_copy_load.py"])
def test_dag_file_holds_no_profile_value(dag_file: str) -> None:
    """A DAG is byte-identical for every profile: where AWS is, the bucket, the warehouse's address
    and credentials and the resource names all come from connections and variables."""
    text = (DAGS / dag_file).read_text()
    keys = (
        "AWS_ENDPOINT_URL",
        "BUCKET",
        "RAW_CRAWLER",
        "WAREHOUSE_PORT",
        "WAREHOUSE_USER",
        "WAREHOUSE_PASSWORD",
    )
    values = {}
    for line in (REPO / "profiles" / "local.env").read_text().splitlines():
        key, _, value = line.partition("=")
        if key in keys:
            values[key] = value.strip()
    assert set(values) == set(keys)
    # The local profile leaves the password empty: the one generated for this checkout is used.
    values["WAREHOUSE_PASSWORD"] = values["WAREHOUSE_PASSWORD"] or load_profile("local").warehouse_password
    leaked = {key: value for key, value in values.items() if value in text}
    assert not leaked, f"profile values hard-coded in the DAG: {leaked}"
    if dag_file != "student_performance_etl.py":
        assert "var.value.bucket" in text and "var.value.redshift_workgroup" in text
        return
    for name in (
        "raw_crawler",
        "raw_table",
        "glue_database",
        "glue_job",
        "athena_workgroup",
        "warehouse_table",
        "curated_crawler",
        "quarantine_crawler",
        "curated_table",
        "quarantine_table",
        "warehouse_quarantine_table",
    ):
        assert f"var.value.{name}" in text


@pytest.mark.slow  # a fresh interpreter imports Airflow
@pytest.mark.parametrize("dag_file", ["student_performance_etl.py", "student_performance_copy_load.py"])
def test_dag_imports_in_a_clean_interpreter(tmp_path: Path, dag_file: str) -> None:
    """Importing the file alone (as Airflow's DAG processor does) prints no error."""
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    done = subprocess.run(
        [sys.executable, str(DAGS / dag_file)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]

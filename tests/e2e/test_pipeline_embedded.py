"""The whole pipeline on the embedded stack, through the runner's own functions: a generated dataset
goes S3 -> crawler -> Athena -> Glue job -> warehouse, and a Glue script that raises fails the run
naming the task and the script's own error. Two DAG runs in all (each costs tens of seconds)."""

from __future__ import annotations

import contextlib
import json
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

import boto3
import psycopg2
import pytest

from awstwin.pipeline.paths import STATE_DIR
from awstwin.pipeline.profile import Profile, load_profile
from awstwin.pipeline.report import RunReport
from awstwin.pipeline.runner import DAG_ID, RunOptions, run_pipeline
from awstwin.stack import control
from awstwin.stack.processes import free_port

ROWS = 240
GOOD_DATE = "2024-05-01"
BAD_DATE = "2024-05-02"
TASKS = ["crawl_raw", "check_raw_rows", "start_glue_job", "wait_for_glue_job", "check_warehouse_rows"]

RAISING_SCRIPT = """
import sys

from awsglue.utils import getResolvedOptions

args = getResolvedOptions(sys.argv, ["JOB_NAME", "ingest_date"])
raise ValueError(f"boom: this script refuses ingest_date {args['ingest_date']}")
"""


@pytest.fixture(scope="module")
def stack() -> Iterator[tuple[Profile, Path]]:
    """A stack started as `make up` would, in a state dir of its own: the runs below reuse it.
    (Outside pytest's temp root: a pytest session starting meanwhile resets that root to mode 0700,
    which would lock the warehouse's server account out of its data folder.)"""
    state = Path(tempfile.mkdtemp(prefix="awstwin-e2e-"))
    profile = load_profile(
        "local", {"aws_endpoint_url": f"http://127.0.0.1:{free_port()}", "warehouse_port": free_port()}
    )
    control.start_detached(profile, state, echo=lambda _: None)
    try:
        yield profile, state
    finally:
        control.stop_detached(state)
        shutil.rmtree(state, ignore_errors=True)


def _options(profile: Profile, state: Path, report: Path, ingest_date: str, **extra: object) -> RunOptions:
    return RunOptions(
        profile=profile,
        ingest_date=ingest_date,
        rows=ROWS,
        seed=7,
        state_dir=state,
        airflow_home=state / "airflow",
        airflow_template=STATE_DIR / "airflow-template",
        report_path=report,
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def good_run(stack: tuple[Profile, Path], tmp_path_factory: pytest.TempPathFactory) -> tuple[RunReport, Path]:
    profile, state = stack
    report_path = tmp_path_factory.mktemp("e2e-report") / "run_report.json"
    report = run_pipeline(_options(profile, state, report_path, GOOD_DATE), progress=lambda _: None)
    return report, report_path


def _client(profile: Profile, service: str):
    return boto3.client(
        service,
        endpoint_url=profile.aws_endpoint_url,
        region_name=profile.aws_region,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def _warehouse(profile: Profile):
    return contextlib.closing(
        psycopg2.connect(
            host=profile.warehouse_host,
            port=profile.warehouse_port,
            dbname=profile.warehouse_db,
            user=profile.warehouse_user,
            password=profile.warehouse_password,
        )
    )


def test_the_run_succeeds_and_reconciles(good_run: tuple[RunReport, Path]) -> None:
    report, path = good_run
    assert report.status == "success", report.error
    assert report.rows_raw == ROWS
    assert report.rows_loaded + report.rows_quarantined == ROWS
    assert report.stack == "reused"
    written = json.loads(path.read_text())
    assert written["status"] == "success"
    assert written["dataset"]["source"] == "synthetic" and written["dataset"]["rows"] == ROWS
    assert len(written["dataset"]["sha256"]) == 64
    for stage in ("prepare_data", "stack_start", "provision", "upload", "airflow_init", "dag_run"):
        assert stage in written["stages"], stage
    for task in TASKS:
        assert f"task:{task}" in written["stages"], task
    assert written["total_seconds"] > 0
    assert "error" not in written


def test_rows_are_typed_in_the_warehouse(
    stack: tuple[Profile, Path], good_run: tuple[RunReport, Path]
) -> None:
    profile, _ = stack
    with _warehouse(profile) as connection, connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*), MIN(exam_score), MAX(attendance) FROM {profile.warehouse_table} "
            "WHERE ingest_date = %s",
            (GOOD_DATE,),
        )
        count, min_score, max_attendance = cursor.fetchone()
        cursor.execute(
            "SELECT data_type FROM information_schema.columns WHERE table_name = %s AND column_name = %s",
            ("student_performance_factors", "exam_score"),
        )
        assert cursor.fetchone()[0] == "integer"
    assert count == ROWS
    assert isinstance(min_score, int) and 0 <= min_score <= 100
    assert isinstance(max_attendance, int) and max_attendance <= 100


def test_the_crawler_cataloged_the_raw_partition(
    stack: tuple[Profile, Path], good_run: tuple[RunReport, Path]
) -> None:
    profile, _ = stack
    glue = _client(profile, "glue")
    table = glue.get_table(DatabaseName=profile.glue_database, Name=profile.raw_table)["Table"]
    assert [k["Name"] for k in table["PartitionKeys"]] == ["ingest_date"]
    columns = {c["Name"]: c["Type"] for c in table["StorageDescriptor"]["Columns"]}
    assert columns["exam_score"] == "bigint" and columns["gender"] == "string"
    partition = glue.get_partition(
        DatabaseName=profile.glue_database, TableName=profile.raw_table, PartitionValues=[GOOD_DATE]
    )["Partition"]
    assert partition["StorageDescriptor"]["Location"].rstrip("/").endswith(f"ingest_date={GOOD_DATE}")


def test_the_raw_object_is_in_s3(stack: tuple[Profile, Path], good_run: tuple[RunReport, Path]) -> None:
    profile, state = stack
    report, _ = good_run
    local = state / "data" / f"rows{ROWS}-seed7" / "student_performance_synthetic.csv"
    key = profile.raw_key(GOOD_DATE, local.name)
    body = _client(profile, "s3").get_object(Bucket=profile.bucket, Key=key)["Body"].read()
    assert body == local.read_bytes()
    import hashlib

    assert hashlib.sha256(body).hexdigest() == report.dataset["sha256"]


def test_airflow_recorded_every_task_as_success(
    stack: tuple[Profile, Path], good_run: tuple[RunReport, Path]
) -> None:
    _, state = stack
    report, _ = good_run
    assert [t["task_id"] for t in sorted(report.tasks, key=lambda t: TASKS.index(t["task_id"]))] == TASKS
    # Straight from Airflow's metadata database, not from our own reading of it.
    with contextlib.closing(sqlite3.connect(state / "airflow" / "airflow.db")) as db:
        rows = db.execute(
            "SELECT task_id, state FROM task_instance WHERE dag_id = ? AND run_id = ?",
            (DAG_ID, report.run_id),
        ).fetchall()
    assert dict(rows) == dict.fromkeys(TASKS, "success")


def test_a_raising_glue_script_fails_the_run_with_its_error(
    stack: tuple[Profile, Path], good_run: tuple[RunReport, Path], tmp_path: Path
) -> None:
    profile, state = stack
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "raising_etl.py").write_text(RAISING_SCRIPT)
    options = _options(
        profile,
        state,
        tmp_path / "run_report.json",
        BAD_DATE,
        scripts_dir=scripts,
        template_overrides={"GlueScriptKey": "scripts/raising_etl.py"},
    )
    report = run_pipeline(options, progress=lambda _: None)
    assert report.status == "failed"
    assert report.error is not None
    assert report.error["task"] == "wait_for_glue_job"
    message = report.error["message"]
    assert f"Glue job {profile.glue_job} run jr_" in message
    assert "FAILED" in message
    assert "ValueError: boom: this script refuses ingest_date 2024-05-02" in message
    states = {t["task_id"]: t["state"] for t in report.tasks}
    assert states["start_glue_job"] == "success"
    assert states["wait_for_glue_job"] == "failed"
    assert states["check_warehouse_rows"] == "upstream_failed"
    assert report.rows_loaded == 0
    written = json.loads((tmp_path / "run_report.json").read_text())
    assert written["status"] == "failed" and written["error"]["task"] == "wait_for_glue_job"
    assert "boom" in report.summary()

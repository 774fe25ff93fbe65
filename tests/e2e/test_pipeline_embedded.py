"""The whole pipeline on the embedded stack, through the runner's own functions, in five DAG runs on
one stack (each run costs tens of seconds, so every test below reads one of them):

1. a generated file with a bad value in every checked column (and untidy categories), ingest date D1:
   each bad row quarantined with its reason and original value, zones, gates, marts, dashboard;
2. the real Kaggle file (../shared/data) as D2: 6606 loaded + 1 quarantined, KPIs equal to the
   figures computed here from the CSV with the csv module alone;
3. D1 again: the warehouse, the zones and the marts hold the same rows once; D2 is untouched;
4. a file whose share of invalid rows exceeds the gate, through `make run`'s own main(): exit 1,
   the failed check named, no marts for that date;
5. a Glue script that raises: the run fails naming the task and the script's own error.
(And one run that stops before its DAG: a warehouse table with an earlier layout.)
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import shutil
import sqlite3
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import boto3
import psycopg2
import pyarrow.parquet as pq
import pytest
from tests.conftest import REAL_DATASET

from awstwin.core.paths import JOB_LIBRARIES, STATE_DIR
from awstwin.core.ports import free_port
from awstwin.core.profile import SCHEMA_MODULE_KEY, Profile, load_profile
from awstwin.data import faults, generator, schema
from awstwin.pipeline import runner
from awstwin.pipeline.report import RunReport
from awstwin.pipeline.runner import DAG_ID, RunOptions, run_pipeline
from awstwin.stack import control

D1, D2, D3, D4 = "2024-05-01", "2024-05-02", "2024-05-03", "2024-05-04"
REAL_CSV = REAL_DATASET
FAULT_ROWS = 1000
# Every invalid kind that applies to each column (integers: above/below range, not an integer).
INVALID = {c.name: len(faults.invalid_kinds(c)) for c in schema.COLUMNS}
UNTIDY = {"Gender": 2, "Motivation_Level": 1, "School_Type": 1}
TASKS = [
    "crawl_raw",
    "check_raw_rows",
    "start_glue_job",
    "wait_for_glue_job",
    "crawl_curated",
    "crawl_quarantine",
    "reconcile_zones",
    "gate_row_counts",
    "gate_columns",
    "gate_accepted_values",
    "evaluate_curated_quality",
    "build_marts",
    "build_dashboard",
]

RAISING_SCRIPT = """
import sys

from awsglue.utils import getResolvedOptions

args = getResolvedOptions(sys.argv, ["JOB_NAME", "ingest_date"])
raise ValueError(f"boom: this script refuses ingest_date {args['ingest_date']}")
"""


@dataclass
class Stack:
    profile: Profile
    state: Path
    work: Path


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    """A stack started as `make up` would, in a state dir of its own: the runs below reuse it.
    (Outside pytest's temp root: a pytest session starting meanwhile resets that root to mode 0700,
    which would lock the warehouse's server account out of its data folder.)"""
    state = Path(tempfile.mkdtemp(prefix="awstwin-e2e-"))
    profile = load_profile(
        "local", {"aws_endpoint_url": f"http://127.0.0.1:{free_port()}", "warehouse_port": free_port()}
    )
    control.start_detached(profile, state, echo=lambda _: None)
    try:
        yield Stack(profile, state, state / "work")
    finally:
        control.stop_detached(state)
        shutil.rmtree(state, ignore_errors=True)


def _options(stack: Stack, name: str, ingest_date: str, **extra: Any) -> RunOptions:
    return RunOptions(
        profile=stack.profile,
        ingest_date=ingest_date,
        state_dir=stack.state,
        airflow_home=stack.state / "airflow",
        airflow_template=STATE_DIR / "airflow-template",
        report_path=stack.work / name / "run_report.json",
        **extra,
    )


def _run(stack: Stack, name: str, ingest_date: str, **extra: Any) -> RunReport:
    return run_pipeline(_options(stack, name, ingest_date, **extra), progress=lambda _: None)


def _client(profile: Profile, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=profile.aws_endpoint_url,
        region_name=profile.aws_region,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def _query(profile: Profile, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    connection = psycopg2.connect(
        host=profile.warehouse_host,
        port=profile.warehouse_port,
        dbname=profile.warehouse_db,
        user=profile.warehouse_user,
        password=profile.warehouse_password,
    )
    with contextlib.closing(connection), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _query_commit(profile: Profile, sql: str) -> None:
    connection = psycopg2.connect(
        host=profile.warehouse_host,
        port=profile.warehouse_port,
        dbname=profile.warehouse_db,
        user=profile.warehouse_user,
        password=profile.warehouse_password,
    )
    with contextlib.closing(connection), connection, connection.cursor() as cursor:
        cursor.execute(sql)


def _date_state(profile: Profile, ingest_date: str) -> dict[str, Any]:
    """What a reader sees of one ingest date: rows, load times, keys and the KPI mart's row."""
    table, quarantine = profile.warehouse_table, profile.warehouse_quarantine_table
    loaded = _query(
        profile,
        f"SELECT COUNT(*), MIN(loaded_at), MAX(loaded_at) FROM {table} WHERE ingest_date = %s",
        (ingest_date,),
    )[0]
    keys = _query(
        profile, f"SELECT row_key FROM {table} WHERE ingest_date = %s ORDER BY row_key", (ingest_date,)
    )
    rejected = _query(profile, f"SELECT COUNT(*) FROM {quarantine} WHERE ingest_date = %s", (ingest_date,))[
        0
    ][0]
    kpis = _query(profile, "SELECT * FROM marts.kpi_summary WHERE ingest_date = %s", (ingest_date,))
    return {"rows": loaded[0], "loaded_at": loaded[1:], "keys": keys, "quarantined": rejected, "kpis": kpis}


def _parquet_rows(profile: Profile, prefix: str) -> int:
    s3 = _client(profile, "s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=profile.bucket, Prefix=prefix).get("Contents", [])]
    data = [k for k in keys if k.endswith(".parquet")]
    assert data, f"no Parquet under {prefix}: {keys}"
    body = [s3.get_object(Bucket=profile.bucket, Key=k)["Body"].read() for k in data]
    return sum(pq.read_table(io.BytesIO(b)).num_rows for b in body)


# -- the runs --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def faulty(stack: Stack) -> tuple[generator.GeneratedDataset, RunReport]:
    data = generator.generate(
        stack.work / "faulty" / "student_performance_faulty.csv",
        rows=FAULT_ROWS,
        seed=7,
        crlf=True,
        invalid_rows=INVALID,
        untidy_rows=UNTIDY,
    )
    return data, _run(stack, "faulty", D1, data=data.path)


@pytest.fixture(scope="module")
def real(stack: Stack, faulty: Any) -> RunReport:
    if not REAL_CSV.is_file():
        pytest.skip(f"the real dataset is not at {REAL_CSV} (make data downloads it)")
    return _run(stack, "real", D2, data=REAL_CSV)


@pytest.fixture(scope="module")
def rerun(stack: Stack, faulty: Any, real: RunReport) -> tuple[dict[str, Any], dict[str, Any], RunReport]:
    """D1 again with the same file; the state of D1 and D2 just before, and the report."""
    before = {D1: _date_state(stack.profile, D1), D2: _date_state(stack.profile, D2)}
    data, _ = faulty
    report = _run(stack, "rerun", D1, data=data.path)
    after = {D1: _date_state(stack.profile, D1), D2: _date_state(stack.profile, D2)}
    return before, after, report


@pytest.fixture(scope="module")
def gate_failure(stack: Stack, rerun: Any) -> tuple[int, str, RunReport]:
    """`make run` (runner.main) on a file with 10% invalid rows: the quarantine share gate fails."""
    data = generator.generate(
        stack.work / "gate" / "student_performance_gate.csv",
        rows=240,
        seed=9,
        invalid_rows={"Exam_Score": 24},
    )
    options = _options(stack, "gate", D3, data=data.path)
    with pytest.MonkeyPatch.context() as patch:  # main() reads its options from the environment
        patch.setattr(runner, "options_from_env", lambda: options)
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
            code = runner.main([])
    return code, stderr.getvalue(), RunReport(**json.loads(options.report_path.read_text()))


# -- 1. a bad value in every checked column --------------------------------------------------------
def test_every_bad_row_is_quarantined_with_its_reason_and_original_value(stack: Stack, faulty: Any) -> None:
    data, report = faulty
    assert report.status == "success", report.error
    invalid = [f for f in data.faults if f.problem is not None]
    assert {f.column for f in invalid} == set(schema.COLUMN_NAMES)
    assert {f.problem for f in invalid} == {"out_of_range", "not_an_integer", "unknown_category"}
    assert report.rows_quarantined == len(invalid)
    assert report.rows_loaded + report.rows_quarantined == report.rows_raw == FAULT_ROWS
    assert report.quarantine_reasons == dict(Counter(f"{f.column}:{f.problem}" for f in invalid))
    table = stack.profile.warehouse_quarantine_table
    for fault in invalid:
        column = schema.column(fault.column).sql_name
        found = _query(
            stack.profile,
            f"SELECT {column} FROM {table} WHERE ingest_date = %s AND reasons = %s AND {column} = %s",
            (D1, f"{fault.column}:{fault.problem}", fault.text),
        )
        assert len(found) == 1, fault


def test_untidy_categories_load_in_the_domains_spelling(stack: Stack, faulty: Any) -> None:
    data, _ = faulty
    assert {f.column for f in data.faults if f.kind == faults.UNTIDY} == set(UNTIDY)
    for name in UNTIDY:
        column = schema.column(name)
        values = {
            v
            for (v,) in _query(
                stack.profile, f"SELECT DISTINCT {column.sql_name} FROM {stack.profile.warehouse_table}"
            )
        }
        assert values <= {*column.domain, None}, (name, values)


def test_zones_catalog_gates_and_airflow_agree(stack: Stack, faulty: Any) -> None:
    data, report = faulty
    profile = stack.profile
    assert _parquet_rows(profile, f"curated/student_performance/ingest_date={D1}/") == report.rows_loaded
    assert (
        _parquet_rows(profile, f"quarantine/student_performance/ingest_date={D1}/") == report.rows_quarantined
    )
    glue = _client(profile, "glue")
    for table in (profile.raw_table, profile.curated_table, profile.quarantine_table):
        partition = glue.get_partition(
            DatabaseName=profile.glue_database, TableName=table, PartitionValues=[D1]
        )
        assert (
            partition["Partition"]["StorageDescriptor"]["Location"].rstrip("/").endswith(f"ingest_date={D1}")
        )
    curated = glue.get_table(DatabaseName=profile.glue_database, Name=profile.curated_table)["Table"]
    types = {c["Name"]: c["Type"] for c in curated["StorageDescriptor"]["Columns"]}
    assert types["exam_score"] == "int" and types["gender"] == "string"
    # Glue Data Quality evaluated the curated ruleset on the date's partition: every rule passed.
    source = {"GlueTable": {"DatabaseName": profile.glue_database, "TableName": profile.curated_table}}
    for_d1 = {"pushDownPredicate": f"ingest_date = '{D1}'"}
    results = glue.list_data_quality_results(Filter={"DataSource": source})["Results"]
    [latest, *_] = [r for r in results if r["DataSource"]["GlueTable"].get("AdditionalOptions") == for_d1]
    result = glue.get_data_quality_result(ResultId=latest["ResultId"])
    assert result["RulesetName"] == "student_performance_curated" and result["Score"] == 1.0
    assert result["AggregatedMetrics"]["TotalRowsProcessed"] == report.rows_loaded
    # The job's rules module in S3 is the package's own schema.py (--extra-py-files).
    body = _client(profile, "s3").get_object(Bucket=profile.bucket, Key=SCHEMA_MODULE_KEY)["Body"].read()
    assert body == JOB_LIBRARIES["student_performance_schema.py"].read_bytes()
    # Straight from Airflow's metadata database: every task succeeded.
    with contextlib.closing(sqlite3.connect(stack.state / "airflow" / "airflow.db")) as db:
        rows = db.execute(
            "SELECT task_id, state FROM task_instance WHERE dag_id = ? AND run_id = ?",
            (DAG_ID, report.run_id),
        ).fetchall()
    assert dict(rows) == dict.fromkeys(TASKS, "success")


def test_report_marts_and_dashboard_are_published(stack: Stack, faulty: Any) -> None:
    _, report = faulty
    profile = stack.profile
    kpi_rows = _query(profile, "SELECT n FROM marts.kpi_summary WHERE ingest_date = %s", (D1,))
    assert kpi_rows == [(report.rows_loaded,)] and report.kpis["n"] == report.rows_loaded
    local = stack.work / "faulty" / "dashboard.html"
    assert report.dashboard == {
        "path": str(local),
        "s3_uri": f"s3://{profile.bucket}/reports/{D1}/dashboard.html",
    }
    s3 = _client(profile, "s3")
    page = s3.get_object(Bucket=profile.bucket, Key=f"reports/{D1}/dashboard.html")["Body"].read()
    assert page == local.read_bytes() and b"<html" in page[:500].lower()
    written = json.loads((stack.work / "faulty" / "run_report.json").read_text())
    copy = json.loads(
        s3.get_object(Bucket=profile.bucket, Key=f"reports/{D1}/run_report.json")["Body"].read()
    )
    assert written["s3_uri"] == copy["s3_uri"] == f"s3://{profile.bucket}/reports/{D1}/run_report.json"
    for key in ("status", "ingest_date", "kpis", "quarantine_reasons", "dashboard", "rows_loaded"):
        assert copy[key] == written[key], key


# -- 2. the real file ------------------------------------------------------------------------------
INTEGER_RANGES = {
    "Hours_Studied": (0, 168),
    "Attendance": (0, 100),
    "Sleep_Hours": (0, 24),
    "Previous_Scores": (0, 100),
    "Exam_Score": (0, 100),
    "Tutoring_Sessions": (0, None),
    "Physical_Activity": (0, None),
}
LOW_MEDIUM_HIGH, NO_YES = {"low", "medium", "high"}, {"no", "yes"}
DOMAINS = {
    "Parental_Involvement": LOW_MEDIUM_HIGH,
    "Access_to_Resources": LOW_MEDIUM_HIGH,
    "Extracurricular_Activities": NO_YES,
    "Motivation_Level": LOW_MEDIUM_HIGH,
    "Internet_Access": NO_YES,
    "Family_Income": LOW_MEDIUM_HIGH,
    "Teacher_Quality": LOW_MEDIUM_HIGH,
    "School_Type": {"public", "private"},
    "Peer_Influence": {"negative", "neutral", "positive"},
    "Learning_Disabilities": NO_YES,
    "Parental_Education_Level": {"high school", "college", "postgraduate"},
    "Distance_from_Home": {"near", "moderate", "far"},
    "Gender": {"male", "female"},
}


def _valid(row: dict[str, str]) -> bool:
    """The issue's rules, read here on their own (not through the pipeline's schema module)."""
    for name, (low, high) in INTEGER_RANGES.items():
        text = row[name].strip()
        if not text.lstrip("+-").isdigit() or int(text) < low or (high is not None and int(text) > high):
            return False
    return all(not row[n].strip() or row[n].strip().lower() in domain for n, domain in DOMAINS.items())


def _kpis_from_csv(path: Path) -> dict[str, Any]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if _valid(row)]

    def mean(name: str) -> float:
        return round(float(Fraction(sum(int(r[name]) for r in rows), len(rows))), 2)

    answered = [
        r["Extracurricular_Activities"].strip().lower()
        for r in rows
        if r["Extracurricular_Activities"].strip()
    ]
    return {
        "avg_attendance": mean("Attendance"),
        "avg_exam_score": mean("Exam_Score"),
        "avg_sleep_hours": mean("Sleep_Hours"),
        "avg_hours_studied": mean("Hours_Studied"),
        "avg_physical_activity": mean("Physical_Activity"),
        "extracurricular_yes_pct": round(float(Fraction(100 * answered.count("yes"), len(answered))), 2),
        "n": len(rows),
    }


def test_the_real_file_reconciles_and_names_its_one_reason(real: RunReport) -> None:
    assert real.status == "success", real.error
    assert (real.rows_raw, real.rows_loaded, real.rows_quarantined) == (6607, 6606, 1)
    assert real.quarantine_reasons == {"Exam_Score:out_of_range": 1}


def test_the_real_files_kpis_equal_the_csvs_own(real: RunReport) -> None:
    assert real.kpis == _kpis_from_csv(REAL_CSV)


# -- 3. re-running a date ---------------------------------------------------------------------------
def test_rerunning_a_date_replaces_it_and_leaves_other_dates_alone(stack: Stack, rerun: Any) -> None:
    before, after, report = rerun
    assert report.status == "success", report.error
    assert (
        after[D1]["rows"] == before[D1]["rows"] > 0 and after[D1]["quarantined"] == before[D1]["quarantined"]
    )
    assert after[D1]["keys"] == before[D1]["keys"]  # the same rows, keyed the same
    assert after[D1]["loaded_at"] != before[D1]["loaded_at"]  # ... loaded again
    assert after[D1]["kpis"][0][1:] == before[D1]["kpis"][0][1:]
    assert after[D2] == before[D2]  # the other date: same rows, same load time, same marts
    profile = stack.profile
    assert _parquet_rows(profile, f"curated/student_performance/ingest_date={D1}/") == after[D1]["rows"]
    raw = _client(profile, "s3").list_objects_v2(
        Bucket=profile.bucket, Prefix=f"raw/student_performance/ingest_date={D1}/"
    )
    assert len(raw["Contents"]) == 1
    dates = _query(
        profile,
        f"SELECT ingest_date, COUNT(*) FROM {profile.warehouse_table} GROUP BY ingest_date ORDER BY 1",
    )
    assert [(str(d), n) for d, n in dates] == [(D1, after[D1]["rows"]), (D2, after[D2]["rows"])]
    for zone in ("raw", "curated", "quarantine"):  # one folder per date in every zone
        listed = _client(profile, "s3").list_objects_v2(
            Bucket=profile.bucket, Prefix=f"{zone}/student_performance/", Delimiter="/"
        )
        folders = [p["Prefix"].split("/")[-2] for p in listed.get("CommonPrefixes", [])]
        assert folders == [f"ingest_date={D1}", f"ingest_date={D2}"], (zone, folders)
    marts = _query(profile, "SELECT ingest_date, n FROM marts.kpi_summary ORDER BY ingest_date")
    assert [(str(d), n) for d, n in marts] == [(D1, after[D1]["rows"]), (D2, after[D2]["rows"])]
    # No staging table is left behind.
    stages = _query(
        profile, "SELECT table_name FROM information_schema.tables WHERE table_name LIKE %s", ("%_stage_%",)
    )
    assert stages == []


# -- 4. a failing gate -----------------------------------------------------------------------------
def test_a_failing_gate_fails_make_run_naming_the_check(stack: Stack, gate_failure: Any) -> None:
    code, stderr, report = gate_failure
    assert code == 1
    assert "task gate_row_counts failed" in stderr and "quarantined_share_within_limit" in stderr
    assert report.status == "failed" and report.error["task"] == "gate_row_counts"
    assert (report.rows_loaded, report.rows_quarantined) == (216, 24)
    states = {t["task_id"]: t["state"] for t in report.tasks}
    assert states["wait_for_glue_job"] == "success" and states["build_marts"] == "upstream_failed"
    assert report.kpis is None and report.dashboard is None
    assert _query(stack.profile, "SELECT COUNT(*) FROM marts.kpi_summary WHERE ingest_date = %s", (D3,)) == [
        (0,)
    ]


def test_a_table_from_an_earlier_layout_stops_the_run_before_it_starts(stack: Stack) -> None:
    """A warehouse kept in .state/ from before row_key existed: named, with what to do, in seconds."""
    old = "public.student_performance_factors_v1"
    columns = ", ".join(f"{c.sql_name} INTEGER" for c in schema.COLUMNS)
    _query_commit(stack.profile, f"CREATE TABLE {old} (ingest_date DATE, {columns}, loaded_at TIMESTAMP)")
    options = _options(stack, "old-layout", D4, rows=50)
    options.profile = stack.profile.replace(warehouse_table=old)
    report = run_pipeline(options, progress=lambda _: None)
    assert report.status == "failed" and report.error["task"] == "check_warehouse"
    assert (
        f"{old} does not have the columns postgres_init/ declares (it lacks row_key)"
        in report.error["message"]
    )
    assert "make clean" in report.error["message"] and "dag_run" not in report.stages


# -- 5. a raising Glue script ----------------------------------------------------------------------
def test_a_raising_glue_script_fails_the_run_with_its_error(
    stack: Stack, gate_failure: Any, tmp_path: Path
) -> None:
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "raising_etl.py").write_text(RAISING_SCRIPT)
    report = _run(
        stack,
        "raising",
        D4,
        rows=120,
        seed=3,
        scripts_dir=scripts,
        template_overrides={"GlueScriptKey": "scripts/raising_etl.py"},
    )
    assert report.status == "failed"
    assert report.error is not None and report.error["task"] == "wait_for_glue_job"
    message = report.error["message"]
    assert f"Glue job {stack.profile.glue_job} run jr_" in message and "FAILED" in message
    assert "ValueError: boom: this script refuses ingest_date 2024-05-04" in message
    states = {t["task_id"]: t["state"] for t in report.tasks}
    assert states["start_glue_job"] == "success" and states["wait_for_glue_job"] == "failed"
    assert states["gate_row_counts"] == "upstream_failed"
    assert report.rows_loaded == 0
    written = json.loads((stack.work / "raising" / "run_report.json").read_text())
    assert written["status"] == "failed" and written["error"]["task"] == "wait_for_glue_job"
    assert "boom" in report.summary()

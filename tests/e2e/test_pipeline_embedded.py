"""The whole pipeline on the embedded stack, through the runner's own functions, in eight DAG runs on
one stack (each run costs tens of seconds, so every test below reads one of them):

1. a generated file with a bad value in every checked column (and untidy categories), ingest date D1:
   each bad row quarantined with its reason and original value, zones, gates, marts, dashboard;
2. the real Kaggle file (../shared/data), named `_students.csv` (a name Spark and Athena would skip),
   as D2: 6606 loaded + 1 quarantined, KPIs equal to the figures computed here from the CSV alone;
3. D1 again: the warehouse, the zones and the marts hold the same rows once; D2 is untouched;
Then three runs of D2 that fail, each of which must leave D2 exactly as run 2 left it (raw file,
zones, catalog partitions through Glue and Athena, warehouse rows, quarantine, marts, reports):
4. a file whose share of invalid rows exceeds the gate, through `make run`'s own main(): exit 1,
   the failed check named, "nothing was published" and the date's last good counts apart;
5. a Glue script that raises: the run fails naming the task and the script's own error;
6. a warehouse that refuses the publishing transaction (a trigger raises, as a full disk would):
   the catalog partitions already flipped are put back;
7. and a good run of D2 that replaces it everywhere, removing the failed runs' folders.
(And one run that stops before its DAG: a warehouse table with an earlier layout.)
Then the second DAG, student_performance_copy_load, COPYs D1's published curated folder into Redshift
through the Data API, checks it and UNLOADs a summary.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import shutil
import sqlite3
import tempfile
import time
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

from awstwin.core.paths import DAGS_DIR, JOB_LIBRARIES, STATE_DIR
from awstwin.core.ports import free_port
from awstwin.core.profile import SCHEMA_MODULE_KEY, Profile, load_profile
from awstwin.data import faults, generator, schema
from awstwin.orchestration.dagrun import DagRunProcess, DagRunResult
from awstwin.orchestration.environment import airflow_environment
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
    "remove_stale_runs",
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
    "publish_zones",
    "publish_warehouse",
    "restore_zones",
    "build_dashboard",
    "unload_marts",
]
MARTS = [
    "kpi_summary",
    "score_by_attendance_tutoring",
    "score_by_school_type",
    "score_by_study_hours_band",
    "score_by_sleep_hours",
    "extracurricular_share",
    "study_hours_regression",
    "quarantine_summary",
]
COPY_DAG_ID = "student_performance_copy_load"
ZONES = ("raw", "curated", "quarantine")

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


def _tables(profile: Profile) -> dict[str, str]:
    return {
        "raw": profile.raw_table,
        "curated": profile.curated_table,
        "quarantine": profile.quarantine_table,
    }


def _partitions(profile: Profile, ingest_date: str) -> dict[str, list[tuple[list[str], str]]]:
    """Each published table's partitions of the date, as Glue GetPartitions answers."""
    glue = _client(profile, "glue")
    found = {}
    for zone, table in _tables(profile).items():
        partitions = glue.get_partitions(
            DatabaseName=profile.glue_database, TableName=table, Expression=f"ingest_date = '{ingest_date}'"
        )["Partitions"]
        found[zone] = [(p["Values"], p["StorageDescriptor"]["Location"]) for p in partitions]
    return found


def _published_prefix(profile: Profile, zone: str, ingest_date: str) -> str:
    """The folder (a key prefix) the published partition of the date points at."""
    [(_, location)] = _partitions(profile, ingest_date)[zone]
    return location.split(f"s3://{profile.bucket}/", 1)[1]


def _athena_counts(profile: Profile, ingest_date: str) -> tuple[int, int, int]:
    """(raw, curated, quarantined) rows of the date through the published tables, in one query."""
    athena = _client(profile, "athena")
    counts = ", ".join(
        f"(SELECT COUNT(*) FROM {table} WHERE ingest_date = '{ingest_date}')"
        for table in _tables(profile).values()
    )
    query = athena.start_query_execution(
        QueryString=f"SELECT {counts}",
        QueryExecutionContext={"Database": profile.glue_database},
        WorkGroup=profile.athena_workgroup,
    )["QueryExecutionId"]
    deadline = time.monotonic() + 60
    while True:
        status = athena.get_query_execution(QueryExecutionId=query)["QueryExecution"]["Status"]
        if status["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            break
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert status["State"] == "SUCCEEDED", status
    row = athena.get_query_results(QueryExecutionId=query)["ResultSet"]["Rows"][1]["Data"]
    raw, curated, quarantined = (int(cell["VarCharValue"]) for cell in row)
    return raw, curated, quarantined


def _objects(profile: Profile, prefix: str, but_run: str | None = None) -> dict[str, str]:
    """{key: ETag} under a prefix, leaving out one run's own folders."""
    s3 = _client(profile, "s3")
    found = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=profile.bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            if but_run is None or f"/run={but_run}/" not in item["Key"]:
                found[item["Key"]] = item["ETag"]
    return found


def _marts(profile: Profile, ingest_date: str) -> dict[str, list[tuple[Any, ...]]]:
    from awstwin.dashboard.marts import MART_TABLES

    return {
        table: sorted(_query(profile, f"SELECT * FROM marts.{table} WHERE ingest_date = %s", (ingest_date,)))
        for table in MART_TABLES
    }


def _everything(profile: Profile, ingest_date: str, but_run: str | None = None) -> dict[str, Any]:
    """All a reader can see of one date: catalog partitions, Athena counts, the zones' objects (but
    the given run's own folders), the reports, the warehouse rows, the quarantine and the marts."""
    return {
        "partitions": _partitions(profile, ingest_date),
        "athena": _athena_counts(profile, ingest_date),
        "objects": {
            zone: _objects(profile, f"{zone}/student_performance/ingest_date={ingest_date}/", but_run)
            for zone in ZONES
        },
        "reports": {  # the date's own report and dashboard (each run also keeps its report in run=<id>/)
            key: etag
            for key, etag in _objects(profile, f"reports/{ingest_date}/").items()
            if "/run=" not in key
        },
        "warehouse": _date_state(profile, ingest_date),
        "marts": _marts(profile, ingest_date),
    }


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
    """The real file under a name Hadoop-style readers would skip: the upload has a name of its own."""
    if not REAL_CSV.is_file():
        pytest.skip(f"the real dataset is not at {REAL_CSV} (make data downloads it)")
    hidden = stack.work / "real" / "_students.csv"
    hidden.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REAL_CSV, hidden)
    return _run(stack, "real", D2, data=hidden)


@pytest.fixture(scope="module")
def rerun(stack: Stack, faulty: Any, real: RunReport) -> tuple[dict[str, Any], dict[str, Any], RunReport]:
    """D1 again with the same file; the state of D1 and D2 just before, and the report."""
    before = {D1: _date_state(stack.profile, D1), D2: _date_state(stack.profile, D2)}
    data, _ = faulty
    report = _run(stack, "rerun", D1, data=data.path)
    after = {D1: _date_state(stack.profile, D1), D2: _date_state(stack.profile, D2)}
    return before, after, report


@pytest.fixture(scope="module")
def good_d2(stack: Stack, real: RunReport, rerun: Any) -> dict[str, Any]:
    """D2 as the real file's run left it: what every failed run of D2 below must leave untouched."""
    return _everything(stack.profile, D2)


@pytest.fixture(scope="module")
def gate_failure(stack: Stack, good_d2: Any) -> tuple[int, str, RunReport]:
    """`make run` (runner.main) on a file with 10% invalid rows, for D2: the quarantine share gate fails."""
    data = generator.generate(
        stack.work / "gate" / "student_performance_gate.csv",
        rows=240,
        seed=9,
        invalid_rows={"Exam_Score": 24},
    )
    options = _options(stack, "gate", D2, data=data.path)
    with pytest.MonkeyPatch.context() as patch:  # main() reads its options from the environment
        patch.setattr(runner, "options_from_env", lambda: options)
        stderr, stdout = io.StringIO(), io.StringIO()
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(stdout):
            code = runner.main([])
    report = RunReport(**json.loads(options.report_path.read_text()))
    return code, stderr.getvalue() + stdout.getvalue(), report


@pytest.fixture(scope="module")
def raising(stack: Stack, gate_failure: Any, tmp_path_factory: pytest.TempPathFactory) -> RunReport:
    """A Glue script that raises, on D2."""
    scripts = tmp_path_factory.mktemp("scripts")
    (scripts / "raising_etl.py").write_text(RAISING_SCRIPT)
    return _run(
        stack,
        "raising",
        D2,
        rows=120,
        seed=3,
        scripts_dir=scripts,
        template_overrides={"GlueScriptKey": "scripts/raising_etl.py"},
    )


REFUSE_D2 = f"""
CREATE OR REPLACE FUNCTION public.awstwin_e2e_refuse() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'could not extend file: No space left on device (injected by the e2e test)';
END $$ LANGUAGE plpgsql;
CREATE TRIGGER awstwin_e2e_refuse BEFORE INSERT ON public.student_performance_factors
    FOR EACH ROW WHEN (NEW.ingest_date = DATE '{D2}') EXECUTE FUNCTION public.awstwin_e2e_refuse();
"""


@pytest.fixture(scope="module")
def warehouse_failure(stack: Stack, raising: Any) -> RunReport:
    """D2 with a good file while the warehouse refuses the date's rows (a trigger raises as a full disk
    would): every check passes, publish_zones flips the partitions, the swap's transaction fails."""
    _query_commit(stack.profile, REFUSE_D2)
    try:
        return _run(stack, "warehouse-failure", D2, rows=150, seed=4)
    finally:
        _query_commit(
            stack.profile,
            "DROP TRIGGER awstwin_e2e_refuse ON public.student_performance_factors; "
            "DROP FUNCTION public.awstwin_e2e_refuse();",
        )


@pytest.fixture(scope="module")
def replaced(stack: Stack, warehouse_failure: Any) -> RunReport:
    """Then a good run of D2 with another file: it replaces the real file's rows everywhere."""
    return _run(stack, "replaced", D2, rows=300, seed=12)


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
    assert _parquet_rows(profile, _published_prefix(profile, "curated", D1)) == report.rows_loaded
    assert _parquet_rows(profile, _published_prefix(profile, "quarantine", D1)) == report.rows_quarantined
    assert _athena_counts(profile, D1) == (FAULT_ROWS, report.rows_loaded, report.rows_quarantined)
    glue = _client(profile, "glue")
    for zone, table in _tables(profile).items():  # published: keyed by date, at the run's folders
        keys = glue.get_table(DatabaseName=profile.glue_database, Name=table)["Table"]["PartitionKeys"]
        assert [k["Name"] for k in keys] == ["ingest_date"]
        assert _partitions(profile, D1)[zone] == [
            ([D1], f"s3://{profile.bucket}/{zone}/student_performance/ingest_date={D1}/run={report.run}/")
        ]
        runs = glue.get_table(DatabaseName=profile.glue_database, Name=f"runs_{table}")["Table"]
        assert [k["Name"] for k in runs["PartitionKeys"]] == ["ingest_date", "run"]
    raw = _objects(profile, _published_prefix(profile, "raw", D1))
    assert list(raw) == [f"raw/student_performance/ingest_date={D1}/run={report.run}/student_performance.csv"]
    curated = glue.get_table(DatabaseName=profile.glue_database, Name=profile.curated_table)["Table"]
    types = {c["Name"]: c["Type"] for c in curated["StorageDescriptor"]["Columns"]}
    assert types["exam_score"] == "int" and types["gender"] == "string"
    # Glue Data Quality evaluated the curated ruleset on the run's curated rows: every rule passed.
    runs_curated = f"runs_{profile.curated_table}"
    source = {"GlueTable": {"DatabaseName": profile.glue_database, "TableName": runs_curated}}
    for_run = {"pushDownPredicate": f"ingest_date = '{D1}' AND run = '{report.run}'"}
    results = glue.list_data_quality_results(Filter={"DataSource": source})["Results"]
    [latest, *_] = [r for r in results if r["DataSource"]["GlueTable"].get("AdditionalOptions") == for_run]
    result = glue.get_data_quality_result(ResultId=latest["ResultId"])
    assert result["RulesetName"] == profile.curated_ruleset and result["Score"] == 1.0
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
    assert dict(rows) == {**dict.fromkeys(TASKS, "success"), "restore_zones": "skipped"}
    # Published: no staging table is left, and the report says so.
    assert report.published is True and report.staged is None and report.last_good is None
    assert (
        _query(
            profile,
            "SELECT table_name FROM information_schema.tables WHERE table_name LIKE %s",
            ("%_stage_%",),
        )
        == []
    )


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
    own = f"reports/{D1}/run={report.run}/run_report.json"
    assert written["s3_uri"] == f"s3://{profile.bucket}/{own}"
    for key in (own, f"reports/{D1}/run_report.json"):  # the run's own copy, and the date's
        copy = json.loads(s3.get_object(Bucket=profile.bucket, Key=key)["Body"].read())
        for field in ("status", "ingest_date", "kpis", "quarantine_reasons", "dashboard", "rows_loaded"):
            assert copy[field] == written[field], (key, field)
    quarantined = f"{report.rows_quarantined} rows of {FAULT_ROWS:,} were quarantined"
    assert b'id="quarantine"' in page and quarantined.encode() in page


def test_the_marts_are_unloaded_as_parquet_for_bi_tools(stack: Stack, faulty: Any) -> None:
    """unload_marts: s3://<bucket>/marts/<date>/<mart>/ holds each mart's rows of the date."""
    profile = stack.profile
    for mart in MARTS:
        rows = _query(profile, f"SELECT COUNT(*) FROM marts.{mart} WHERE ingest_date = %s", (D1,))[0][0]
        assert rows > 0 and _parquet_rows(profile, f"marts/{D1}/{mart}/") == rows, mart
    edges = _query(profile, "SELECT COUNT(*) FROM marts.band_edges")[0][0]
    assert _parquet_rows(profile, f"marts/{D1}/band_edges/") == edges
    s3 = _client(profile, "s3")
    key = next(
        o["Key"]
        for o in s3.list_objects_v2(Bucket=profile.bucket, Prefix=f"marts/{D1}/kpi_summary/")["Contents"]
    )
    table = pq.read_table(io.BytesIO(s3.get_object(Bucket=profile.bucket, Key=key)["Body"].read()))
    assert table.column("n").to_pylist() == [
        r[0] for r in _query(profile, "SELECT n FROM marts.kpi_summary WHERE ingest_date = %s", (D1,))
    ]


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


def test_the_real_file_reconciles_and_names_its_one_reason(stack: Stack, real: RunReport) -> None:
    assert real.status == "success", real.error
    assert real.dataset["source"].endswith("/_students.csv") and real.warnings == []
    assert (real.rows_raw, real.rows_loaded, real.rows_quarantined) == (6607, 6606, 1)
    assert real.quarantine_reasons == {"Exam_Score:out_of_range": 1}
    assert _athena_counts(stack.profile, D2) == (6607, 6606, 1)
    page = (stack.work / "real" / "dashboard.html").read_text()
    assert "1 row of 6,607 was quarantined and left out of every figure: Exam Score out of range (1)" in page


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
    assert _parquet_rows(profile, _published_prefix(profile, "curated", D1)) == after[D1]["rows"]
    assert _published_prefix(profile, "raw", D1).endswith(f"/run={report.run}/")
    dates = _query(
        profile,
        f"SELECT ingest_date, COUNT(*) FROM {profile.warehouse_table} GROUP BY ingest_date ORDER BY 1",
    )
    assert [(str(d), n) for d, n in dates] == [(D1, after[D1]["rows"]), (D2, after[D2]["rows"])]
    for zone in ZONES:  # one folder per date in every zone, in it the run before (kept) and this one
        listed = _client(profile, "s3").list_objects_v2(
            Bucket=profile.bucket, Prefix=f"{zone}/student_performance/", Delimiter="/"
        )
        folders = [p["Prefix"].split("/")[-2] for p in listed.get("CommonPrefixes", [])]
        assert folders == [f"ingest_date={D1}", f"ingest_date={D2}"], (zone, folders)
        runs = {
            key.split("/")[3] for key in _objects(profile, f"{zone}/student_performance/ingest_date={D1}/")
        }
        assert len(runs) == 2 and f"run={report.run}" in runs, (zone, runs)
    marts = _query(profile, "SELECT ingest_date, n FROM marts.kpi_summary ORDER BY ingest_date")
    assert [(str(d), n) for d, n in marts] == [(D1, after[D1]["rows"]), (D2, after[D2]["rows"])]
    # No staging table is left behind.
    stages = _query(
        profile, "SELECT table_name FROM information_schema.tables WHERE table_name LIKE %s", ("%_stage_%",)
    )
    assert stages == []


# -- 4.-6. failed runs of D2 leave it exactly as its last good run left it -----------------------------
def _assert_d2_untouched(stack: Stack, good_d2: dict[str, Any], report: RunReport) -> None:
    """Everything a reader sees of D2 is as the real file's run left it; the failed run changed only its
    own run=<id> folders (kept for a look until the next run)."""
    now = _everything(stack.profile, D2, but_run=report.run)
    for part in good_d2:
        assert now[part] == good_d2[part], part
    assert now["athena"] == (6607, 6606, 1)
    assert report.published is False and report.rows_loaded is None and report.rows_quarantined is None
    assert report.last_good == {"rows_loaded": 6606, "rows_quarantined": 1}
    assert report.kpis is None and report.dashboard is None
    summary = report.summary()
    assert f"FAILED: nothing was published; ingest_date {D2} is as its last good run left it" in summary
    last_good = f"last good    ingest_date {D2} holds loaded 6606, quarantined 1: from its last good run"
    assert last_good in summary
    s3 = _client(stack.profile, "s3")
    own = json.loads(
        s3.get_object(Bucket=stack.profile.bucket, Key=f"reports/{D2}/run={report.run}/run_report.json")[
            "Body"
        ].read()
    )
    assert own["status"] == "failed" and own["published"] is False


def test_a_failing_gate_fails_make_run_and_publishes_nothing(
    stack: Stack, good_d2: Any, gate_failure: Any
) -> None:
    code, output, report = gate_failure
    assert code == 1
    assert "task gate_row_counts failed" in output and "quarantined_share_within_limit" in output
    assert report.status == "failed" and report.error["task"] == "gate_row_counts"
    assert report.staged == {"rows_loaded": 216, "rows_quarantined": 24}  # in its staging tables
    assert "this run: raw 240, nothing loaded; it staged 216 valid + 24 quarantined (not published)" in output
    states = {t["task_id"]: t["state"] for t in report.tasks}
    assert states["wait_for_glue_job"] == "success"
    assert states["publish_zones"] == states["publish_warehouse"] == "upstream_failed"
    _assert_d2_untouched(stack, good_d2, report)
    # What the run wrote is there to look at: its folders, its runs-table rows and staging tables.
    assert _query(
        stack.profile, f"SELECT COUNT(*) FROM {stack.profile.warehouse_table}_stage_{report.run}"
    ) == [(216,)]


def test_a_raising_glue_script_fails_the_run_with_its_error(
    stack: Stack, good_d2: Any, raising: RunReport
) -> None:
    report = raising
    assert report.status == "failed"
    assert report.error is not None and report.error["task"] == "wait_for_glue_job"
    message = report.error["message"]
    assert f"Glue job {stack.profile.glue_job} run jr_" in message and "FAILED" in message
    assert f"ValueError: boom: this script refuses ingest_date {D2}" in message
    states = {t["task_id"]: t["state"] for t in report.tasks}
    assert states["start_glue_job"] == "success" and states["wait_for_glue_job"] == "failed"
    assert states["gate_row_counts"] == "upstream_failed"
    assert report.staged is None  # it wrote nothing
    written = json.loads((stack.work / "raising" / "run_report.json").read_text())
    assert written["status"] == "failed" and written["error"]["task"] == "wait_for_glue_job"
    assert "boom" in report.summary()
    _assert_d2_untouched(stack, good_d2, report)


def test_a_warehouse_that_refuses_the_swap_leaves_the_zones_as_they_were(
    stack: Stack, good_d2: Any, warehouse_failure: RunReport
) -> None:
    report = warehouse_failure
    assert report.status == "failed" and report.error["task"] == "publish_warehouse", report.error
    assert "No space left on device (injected by the e2e test)" in report.error["message"]
    states = {t["task_id"]: t["state"] for t in report.tasks}
    assert states["publish_zones"] == "success"  # the partitions were flipped ...
    assert states["restore_zones"] == "success"  # ... and put back
    assert states["build_dashboard"] == "upstream_failed"
    assert report.staged == {
        "rows_loaded": 150 - report.staged["rows_quarantined"],
        "rows_quarantined": report.staged["rows_quarantined"],
    }
    _assert_d2_untouched(stack, good_d2, report)


# -- 7. the next good run replaces the date -----------------------------------------------------------
def test_the_next_good_run_replaces_the_date_everywhere(
    stack: Stack, good_d2: Any, warehouse_failure: RunReport, replaced: RunReport
) -> None:
    report, profile = replaced, stack.profile
    assert report.status == "success" and report.published, report.error
    assert report.rows_loaded + report.rows_quarantined == 300
    assert _athena_counts(profile, D2) == (300, report.rows_loaded, report.rows_quarantined)
    state = _date_state(profile, D2)
    assert (state["rows"], state["quarantined"]) == (report.rows_loaded, report.rows_quarantined)
    assert state["kpis"][0][1] == report.rows_loaded
    for zone in ZONES:  # the failed runs' folders are gone; the real file's run stays, superseded
        runs = {
            key.split("/")[3] for key in _objects(profile, f"{zone}/student_performance/ingest_date={D2}/")
        }
        assert runs == {f"run={report.run}", good_d2["partitions"][zone][0][1].rstrip("/").rsplit("/", 1)[1]}
    stages = _query(
        profile, "SELECT table_name FROM information_schema.tables WHERE table_name LIKE %s", ("%_stage_%",)
    )
    assert stages == []  # the failed runs' staging tables were dropped, this run's swapped in


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


# -- 8. the COPY load DAG ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def copy_load(stack: Stack, rerun: Any) -> DagRunResult:
    """student_performance_copy_load for D1 and the run that published it, in the Airflow home the
    runs above migrated."""
    published = rerun[2].run
    env = airflow_environment(stack.profile, stack.state / "airflow", DAGS_DIR)
    log = stack.work / "copy_load" / "airflow.log"
    process = DagRunProcess(COPY_DAG_ID, DAGS_DIR, env, log, echo=lambda _: None)
    return process.run({"ingest_date": D1, "run": published}, timeout=900)


def test_the_copy_load_dag_copies_checks_and_unloads_through_the_data_api(
    stack: Stack, copy_load: DagRunResult
) -> None:
    assert copy_load.ok, (copy_load.first_error(), copy_load.log)
    assert [t.task_id for t in copy_load.tasks] == [
        "create_staging",
        "copy_curated",
        "check_copy",
        "unload_summary",
    ]
    profile = stack.profile
    loaded = _query(profile, f"SELECT COUNT(*) FROM {profile.warehouse_table} WHERE ingest_date = %s", (D1,))
    staged = _query(profile, "SELECT COUNT(*) FROM staging.student_performance_curated")
    assert staged == loaded and staged[0][0] > 0
    keys = _query(
        profile,
        f"SELECT COUNT(*) FROM staging.student_performance_curated s JOIN {profile.warehouse_table} w "
        "ON w.row_key = s.row_key AND w.ingest_date = %s AND w.exam_score = s.exam_score",
        (D1,),
    )
    assert keys == loaded  # the same rows, value for value
    check = copy_load.returned["check_copy"][0]
    assert check["Records"] == [[{"longValue": loaded[0][0]}]]
    # The Data API ran every statement: the batch (REPLACE) and the UNLOAD are its statements.
    statements = _client(profile, "redshift-data").list_statements(Status="ALL", MaxResults=100)["Statements"]
    assert any(s.get("IsBatchStatement") and "COPY" in " ".join(s["QueryStrings"]) for s in statements)
    export = (
        _client(profile, "s3")
        .get_object(Bucket=profile.bucket, Key=f"exports/{D1}/score_by_school_type_000")["Body"]
        .read()
        .decode()
    )
    exported = {row["school_type"]: int(row["students"]) for row in csv.DictReader(io.StringIO(export))}
    counted = _query(
        profile,
        f"SELECT school_type, COUNT(*) FROM {profile.warehouse_table} WHERE ingest_date = %s GROUP BY 1",
        (D1,),
    )
    assert exported == {school_type or "": n for school_type, n in counted}  # NULL unloads as ''

"""The Glue script's validation, run on Spark, against the rules' reference reading in plain Python
(`awstwin.data.schema.row_problems`): the same reasons for every row, the same normalised values, and
row keys that do not depend on how Spark partitions the rows. One local Spark session, no endpoint."""

from __future__ import annotations

import importlib.util
import logging
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

from awstwin.core.paths import SPARK_JOBS_DIR
from awstwin.data import schema
from awstwin.endpoint.glue.jobs import sparkconf

SCRIPT = SPARK_JOBS_DIR / "student_performance_etl.py"
logging.getLogger("py4j").setLevel(logging.WARNING)  # py4j logs while the interpreter exits

BASE = {
    "Hours_Studied": "23",
    "Attendance": "84",
    "Parental_Involvement": "Low",
    "Access_to_Resources": "High",
    "Extracurricular_Activities": "No",
    "Sleep_Hours": "7",
    "Previous_Scores": "73",
    "Motivation_Level": "Low",
    "Internet_Access": "Yes",
    "Tutoring_Sessions": "0",
    "Family_Income": "Low",
    "Teacher_Quality": "Medium",
    "School_Type": "Public",
    "Peer_Influence": "Positive",
    "Physical_Activity": "3",
    "Learning_Disabilities": "No",
    "Parental_Education_Level": "High School",
    "Distance_from_Home": "Near",
    "Gender": "Male",
    "Exam_Score": "67",
}
# Raw texts per column kind that the rules must read exactly as schema.Column.problem does.
INTEGER_TEXTS = ["0", " 12 ", "+5", "007", "-1", "7.0", "seven", "", "   ", "1e3", "99999999999999999999999"]
CATEGORY_TEXTS = ["  HIGH ", "medium", "\tYes\t", " No\r\n", "\x0bLow\x0c", "far\f", "", "Other", "Hi gh"]


def _rows() -> list[dict[str, str]]:
    rows = [dict(BASE), dict(BASE)]  # two identical rows: distinct keys all the same
    for column in schema.COLUMNS:
        texts = INTEGER_TEXTS if column.kind == "integer" else [*CATEGORY_TEXTS, *column.domain]
        rows += [{**BASE, column.name: text} for text in texts]
    # Several problems in one row: every reason is kept, in column order.
    rows.append({**BASE, "Exam_Score": "101", "Gender": "Other", "Attendance": "", "Hours_Studied": "x"})
    for column in schema.COLUMNS:
        if column.kind == "integer":
            column_max = column.maximum if column.maximum is not None else 10
            rows += [{**BASE, column.name: str(column_max)}, {**BASE, column.name: str(column_max + 1)}]
    return rows


@pytest.fixture(scope="module")
def script() -> Iterator[ModuleType]:
    """The job script as a module, its --extra-py-files schema module being awstwin's own."""
    runtime = str(sparkconf.GLUE_RUNTIME_DIR)
    added = runtime not in sys.path
    if added:
        sys.path.insert(0, runtime)
    sys.modules["student_performance_schema"] = schema
    spec = importlib.util.spec_from_file_location("student_performance_etl_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # defines functions only: the job runs in main()
    yield module
    sys.modules.pop("student_performance_schema", None)
    if added:
        sys.path.remove(runtime)


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A session of our own; when this test process already runs Spark (tests/glue_runtime's
    session-scoped one, under xdist), a new session on its context, never stopped here: stopping it
    would stop the other folder's Spark under its remaining tests.

    "Already runs Spark" is asked of the SparkContext, not of `SparkSession.getActiveSession()`: the
    active session is per JVM thread and can be unset while a context runs, and then the builder's
    `getOrCreate()` hands back the other folder's session, takes our settings onto it and the
    `stop()` below stops it (seen as 'NoneType' object has no attribute 'sc' in tests/glue_runtime)."""
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    sql_conf = {"spark.sql.shuffle.partitions": "3", "spark.sql.ansi.enabled": "false"}
    running = SparkContext._active_spark_context
    if running is not None:
        shared = SparkSession(running).newSession()
        for key, value in sql_conf.items():
            shared.conf.set(key, value)
        yield shared
        return
    # A Glue session's settings (its S3 FileSystems jar on the JVM's classpath included): a later
    # session in this process's JVM (tests/glue_runtime's) can only find that jar if the JVM began with it.
    folder = tmp_path_factory.mktemp("rules-spark")
    settings = {**sparkconf.session_conf(folder, folder), "spark.ui.enabled": "false", **sql_conf}
    builder = SparkSession.builder.master("local[2]").appName("glue-script-rules")
    for key, value in settings.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def checked(script: ModuleType, spark: Any) -> list[tuple[dict[str, str], Any]]:
    rows = _rows()
    names = list(schema.COLUMN_NAMES)
    frame = spark.createDataFrame(
        [tuple([str(i)] + [row[n] for n in names]) for i, row in enumerate(rows)], ["_id", *names]
    )
    frame = frame.select("_id", *[frame[n] for n in names])
    result = {r["_id"]: r for r in script.validate(frame).collect()}
    return [(row, result[str(i)]) for i, row in enumerate(rows)]


def _expected_reasons(row: dict[str, str]) -> str:
    """schema.row_problems, plus the one rule the warehouse adds: an integer must fit an INTEGER."""
    problems = schema.row_problems(row)
    for column in schema.INTEGER_COLUMNS:
        text = row[column.name].strip()
        if column.name not in problems and text and int(text) > 2**31 - 1:
            problems[column.name] = schema.OUT_OF_RANGE
    return ";".join(f"{name}:{problems[name]}" for name in schema.COLUMN_NAMES if name in problems)


def test_reasons_match_the_reference_rules(checked: list[tuple[dict[str, str], Any]]) -> None:
    mismatches = [
        (row, result["reasons"], _expected_reasons(row))
        for row, result in checked
        if result["reasons"] != _expected_reasons(row)
    ]
    assert not mismatches, mismatches[:5]
    several = [result["reasons"] for row, result in checked if row["Hours_Studied"] == "x"]
    assert several == [
        "Hours_Studied:not_an_integer;Attendance:missing;Gender:unknown_category;Exam_Score:out_of_range"
    ]


def test_valid_values_are_trimmed_typed_and_spelled_as_the_domain(
    script: ModuleType, checked: list[tuple[dict[str, str], Any]]
) -> None:
    valid = [(row, result) for row, result in checked if result["reasons"] == ""]
    assert len(valid) > 40
    for row, result in valid:
        for column in schema.COLUMNS:
            value = result[script.typed_of(column)]
            if column.kind == "integer":
                assert value == int(row[column.name].strip()), (column.name, row[column.name])
            else:
                text = row[column.name].strip()
                assert value == (column.normalise(text) if text else None), (column.name, row[column.name])
    spelled = {r[script.typed_of(schema.column("Access_to_Resources"))] for _, r in valid}
    assert spelled == {"Low", "Medium", "High", None}  # "  HIGH ", "medium" as the domain spells them


def test_a_number_the_warehouse_cannot_hold_is_out_of_range(script: ModuleType, spark: Any) -> None:
    """Tutoring_Sessions has no maximum, but the warehouse column is an INTEGER."""
    names = list(schema.COLUMN_NAMES)
    row = {**BASE, "Tutoring_Sessions": str(2**31)}
    frame = spark.createDataFrame([tuple(row[n] for n in names)], names)
    assert script.validate(frame).collect()[0]["reasons"] == "Tutoring_Sessions:out_of_range"


def test_row_keys_are_unique_and_do_not_depend_on_partitioning(script: ModuleType, spark: Any) -> None:
    names = list(schema.COLUMN_NAMES)
    rows = [tuple(row[n] for n in names) for row in _rows()]
    first = spark.createDataFrame(rows, names).repartition(1)
    second = spark.createDataFrame(list(reversed(rows)), names).repartition(5)
    keys_first = sorted(r["row_key"] for r in script.validate(first).collect())
    keys_second = sorted(r["row_key"] for r in script.validate(second).collect())
    assert keys_first == keys_second
    assert len(set(keys_first)) == len(rows)
    duplicates = [k for k in keys_first if k.endswith("-2")]
    assert len(duplicates) >= 1  # the two identical rows: -1 and -2 of the same content hash


def test_zone_and_warehouse_rows_have_the_ddls_columns_in_order(script: ModuleType, spark: Any) -> None:
    from pyspark.sql import functions as F

    from awstwin.pipeline.layout import LOADED_COLUMNS, QUARANTINE_COLUMNS

    names = list(schema.COLUMN_NAMES)
    checked = script.validate(spark.createDataFrame([tuple(BASE[n] for n in names)], names))
    checked = checked.withColumn("loaded_at", F.current_timestamp())
    # main() puts ingest_date first for the warehouse load.
    assert ["ingest_date", *script.curated_rows(checked).columns] == list(LOADED_COLUMNS)
    assert ["ingest_date", *script.quarantine_rows(checked).columns] == list(QUARANTINE_COLUMNS)


def test_the_script_imports_nothing_aws_glue_lacks() -> None:
    """It must run unchanged on AWS Glue, where awstwin is not installed: only the standard library,
    boto3, pyspark, awsglue and the rules module shipped with --extra-py-files."""
    import ast

    allowed = {"re", "sys", "datetime", "boto3", "pyspark", "awsglue", "student_performance_schema"}
    tree = ast.parse(SCRIPT.read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert imported <= allowed, imported - allowed
    assert "%s" not in SCRIPT.read_text()  # pre/postactions name their tables: no driver placeholder


def test_rows_per_reason_counts_a_row_once_for_each_of_its_reasons(script: ModuleType) -> None:
    counts = {"": 90, "Exam_Score:out_of_range": 3, "Exam_Score:out_of_range;Gender:unknown_category": 2}
    assert script.rows_per_reason(counts) == {"Exam_Score:out_of_range": 5, "Gender:unknown_category": 2}

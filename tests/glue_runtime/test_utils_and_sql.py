"""getResolvedOptions, SQL action splitting and Glue type names: no Spark needed."""

from __future__ import annotations

import pytest
from awsglue._local.sqltext import split_statements
from awsglue._local.types import spark_type_name
from awsglue.utils import GlueArgumentError, getResolvedOptions

ARGV = [
    "script.py",
    "--JOB_ID",
    "j_1",
    "--JOB_RUN_ID",
    "jr_abc",
    "--job-bookmark-option",
    "job-bookmark-disable",
    "--JOB_NAME",
    "etl",
    "--day=2024-05-01",
    "--offset",
    "-5",
]


def test_resolved_options_returns_the_names_asked_for() -> None:
    args = getResolvedOptions(ARGV, ["JOB_NAME", "day", "offset", "job-bookmark-option"])
    assert args == {
        "JOB_NAME": "etl",
        "day": "2024-05-01",
        "offset": "-5",
        "job-bookmark-option": "job-bookmark-disable",
    }


def test_missing_argument_is_an_error_that_names_it() -> None:
    with pytest.raises(GlueArgumentError, match="--bucket"):
        getResolvedOptions(ARGV, ["JOB_NAME", "bucket"])


def test_names_are_not_abbreviated() -> None:
    with pytest.raises(GlueArgumentError, match="--JOB"):
        getResolvedOptions(["script.py", "--JOB_NAME", "x"], ["JOB"])


def test_a_prefix_of_an_asked_name_counts_as_it_as_in_aws_library() -> None:
    """AWS's getResolvedOptions is argparse with its defaults: `--metadata` is taken for
    `--metadata_location` (https://github.com/awslabs/aws-glue-libs/pull/206 shows it on Glue)."""
    argv = ["script.py", "--metadata_location", "example", "--JOB_ID", "", "--metadata", "True"]
    assert getResolvedOptions(argv, ["metadata_location"]) == {"metadata_location": "True"}


def test_python_shell_import_needs_no_spark() -> None:
    import subprocess
    import sys

    from awstwin.endpoint.glue.jobs.sparkconf import GLUE_RUNTIME_DIR

    code = "import sys, awsglue.utils; assert 'pyspark' not in sys.modules; print('ok')"
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": str(GLUE_RUNTIME_DIR)},
        capture_output=True,
        text=True,
    )
    assert out.stdout.strip() == "ok", out.stderr


def test_awsglue_is_not_importable_without_the_runner() -> None:
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", "import awsglue"], env={}, capture_output=True, text=True)
    assert "No module named 'awsglue'" in out.stderr


@pytest.mark.parametrize(
    ("text", "statements"),
    [
        ("DELETE FROM t; INSERT INTO t VALUES (1)", ["DELETE FROM t", "INSERT INTO t VALUES (1)"]),
        ("INSERT INTO t VALUES ('a;b'); SELECT 1;", ["INSERT INTO t VALUES ('a;b')", "SELECT 1"]),
        ("INSERT INTO t VALUES ('it''s; fine')", ["INSERT INTO t VALUES ('it''s; fine')"]),
        ('SELECT "odd;name" FROM t', ['SELECT "odd;name" FROM t']),
        ("-- a; comment\nSELECT 1; /* x; y */ SELECT 2", ["-- a; comment\nSELECT 1", "/* x; y */ SELECT 2"]),
        ("DO $$ BEGIN PERFORM 1; END $$; SELECT 3", ["DO $$ BEGIN PERFORM 1; END $$", "SELECT 3"]),
        ("  ;; ", []),
        (None, []),
    ],
)
def test_actions_split_on_semicolons_outside_quotes(text: str | None, statements: list[str]) -> None:
    assert split_statements(text) == statements


@pytest.mark.parametrize(
    ("glue", "spark"),
    [
        ("long", "bigint"),
        ("int", "int"),
        ("integer", "int"),
        ("short", "smallint"),
        ("byte", "tinyint"),
        ("string", "string"),
        ("varchar(20)", "string"),
        ("decimal", "decimal(10,2)"),
        ("decimal(9,3)", "decimal(9,3)"),
        ("array<long>", "array<bigint>"),
        ("choice", None),
    ],
)
def test_glue_type_names_map_to_spark(glue: str, spark: str | None) -> None:
    assert spark_type_name(glue) == spark

"""Profiles: one loader, every key typed and checked, errors that name the file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from awstwin.core import profile as profile_module
from awstwin.core.profile import ProfileError, load_profile, parse_env_file
from awstwin.orchestration.environment import VARIABLES, airflow_environment


def test_local_profile_loads_with_types() -> None:
    profile = load_profile("local")
    assert profile.is_local and profile.aws_endpoint_url == "http://127.0.0.1:4566"
    assert profile.warehouse_port == 5439 and isinstance(profile.warehouse_port, int)
    assert profile.poll_seconds == 0.5 and profile.task_retries == 0
    assert profile.raw_table == "raw_student_performance"
    assert profile.raw_key("2024-05-01", "20240501t000000_ab12") == (
        "raw/student_performance/ingest_date=2024-05-01/run=20240501t000000_ab12/student_performance.csv"
    )
    assert profile.runs_table(profile.raw_table) == "runs_raw_student_performance"
    assert profile.script_location == f"s3://{profile.bucket}/scripts/student_performance_etl.py"


def test_overrides_win_and_are_typed() -> None:
    profile = load_profile("local", {"warehouse_port": 6543, "aws_endpoint_url": "http://127.0.0.1:9"})
    assert profile.warehouse_port == 6543
    assert profile.warehouse_jdbc_url.endswith(":6543/dev")


def test_unknown_profile_lists_the_known_ones() -> None:
    with pytest.raises(ProfileError, match="local"):
        load_profile("nope")


def _with_profiles(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str) -> None:
    (tmp_path / "t.env").write_text(text)
    monkeypatch.setattr(profile_module, "PROFILES_DIR", tmp_path)


def test_missing_and_unknown_keys_are_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    base = (profile_module.PROFILES_DIR / "local.env").read_text()
    _with_profiles(monkeypatch, tmp_path, base.replace("BUCKET=", "#BUCKET="))
    with pytest.raises(ProfileError, match="missing keys BUCKET"):
        load_profile("t")
    _with_profiles(monkeypatch, tmp_path, base + "\nBUKET=x\n")
    with pytest.raises(ProfileError, match="unknown keys BUKET"):
        load_profile("t")
    _with_profiles(monkeypatch, tmp_path, base.replace("TASK_RETRIES=0", "TASK_RETRIES=0.5"))
    with pytest.raises(ProfileError, match="TASK_RETRIES must be a whole number"):
        load_profile("t")
    _with_profiles(monkeypatch, tmp_path, base.replace("POLL_SECONDS=0.5", "POLL_SECONDS=soon"))
    with pytest.raises(ProfileError, match="POLL_SECONDS must be a number, got 'soon'"):
        load_profile("t")


def test_env_file_syntax(tmp_path: Path) -> None:
    path = tmp_path / "x.env"
    path.write_text("# comment\n\nA=1\nB = 'two words'\nC=\"x=y\"\n")
    assert parse_env_file(path) == {"A": "1", "B": "two words", "C": "x=y"}
    path.write_text("just words\n")
    with pytest.raises(ProfileError, match="x.env:1"):
        parse_env_file(path)


def test_airflow_environment_carries_the_profile(tmp_path: Path) -> None:
    import json

    profile = load_profile("local")
    env = airflow_environment(profile, tmp_path, tmp_path / "dags")
    aws = json.loads(env["AIRFLOW_CONN_AWS_DEFAULT"])
    assert aws["extra"]["endpoint_url"] == profile.aws_endpoint_url
    warehouse = json.loads(env["AIRFLOW_CONN_REDSHIFT_DEFAULT"])
    assert (warehouse["conn_type"], warehouse["port"]) == ("postgres", profile.warehouse_port)
    assert env["AIRFLOW_VAR_RAW_TABLE"] == profile.raw_table
    assert env["AIRFLOW_VAR_POLL_SECONDS"] == "0.5"
    assert {f"AIRFLOW_VAR_{name.upper()}" for name in VARIABLES} <= set(env)
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False"


def test_optional_keys_have_defaults_and_can_be_set(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    profile = load_profile("local")
    assert (profile.curated_table, profile.quarantine_table) == (
        "curated_student_performance",
        "quarantine_student_performance",
    )
    assert profile.curated_crawler == "student_performance_curated"
    assert profile.warehouse_quarantine_table == "public.student_performance_quarantine"
    assert profile.report_key("2024-05-01", "run_report.json") == "reports/2024-05-01/run_report.json"
    base = (profile_module.PROFILES_DIR / "local.env").read_text()
    _with_profiles(monkeypatch, tmp_path, base + "\nCURATED_TABLE_PREFIX=clean_\n")
    assert load_profile("t").curated_table == "clean_student_performance"


def test_airflow_environment_names_the_artifacts_folder_only_when_given(tmp_path: Path) -> None:
    profile = load_profile("local")
    assert "AIRFLOW_VAR_ARTIFACTS_DIR" not in airflow_environment(profile, tmp_path, tmp_path)
    env = airflow_environment(profile, tmp_path, tmp_path, artifacts_dir=tmp_path / "artifacts")
    assert env["AIRFLOW_VAR_ARTIFACTS_DIR"] == str(tmp_path / "artifacts")
    assert env["AIRFLOW_VAR_BUCKET"] == profile.bucket

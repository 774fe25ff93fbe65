"""`make run`'s settings: DATA, ROWS, SEED, INGEST_DATE, PROFILE, and the exit code for bad input."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from awstwin.pipeline import runner
from awstwin.pipeline.runs import is_run


def test_defaults() -> None:
    options = runner.options_from_env({})
    assert options.profile.name == "local"
    assert options.data is None and options.rows == 6607
    assert options.ingest_date == datetime.now(UTC).date().isoformat()


def test_settings_are_read() -> None:
    options = runner.options_from_env(
        {"DATA": "x.csv", "ROWS": "10", "SEED": "3", "INGEST_DATE": "2024-02-03"}
    )
    assert options.data == Path("x.csv") and options.rows == 10 and options.seed == 3
    assert options.ingest_date == "2024-02-03"


def test_bad_input_exits_2(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("INGEST_DATE", "yesterday")
    assert runner.main([]) == 2
    assert "INGEST_DATE='yesterday' is not a date" in capsys.readouterr().err
    monkeypatch.delenv("INGEST_DATE")
    monkeypatch.setenv("PROFILE", "nope")
    assert runner.main([]) == 2
    assert "no profile 'nope'" in capsys.readouterr().err
    assert runner.main(["--rows", "5"]) == 2


def test_settings_name_the_encoding_and_give_each_run_its_own_id() -> None:
    first, second = runner.options_from_env({"DATA_ENCODING": "latin-1"}), runner.options_from_env({})
    assert first.encoding == "latin-1" and second.encoding is None
    assert first.run != second.run and is_run(first.run) and is_run(second.run)


def test_a_missing_data_file_is_refused_naming_it(tmp_path: Path) -> None:
    options = runner.options_from_env({"DATA": str(tmp_path / "missing.csv")})
    options.state_dir = tmp_path
    options.report_path = tmp_path / "report.json"
    report = runner.run_pipeline(options, progress=lambda _: None)
    assert report.status == "failed"
    assert report.error["task"] == "preflight"
    assert "missing.csv: no such file" in report.error["message"]
    assert (tmp_path / "report.json").is_file()

"""The synthetic dataset: deterministic, valid, shaped like the real file, and faulty only on request."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import numpy as np
import pytest
from tests.conftest import REAL_DATASET

from awstwin.data import distributions, generator, schema

# Figures of the real file, used when it is not there to compare against directly.
REAL_FIGURES = {
    "corr_attendance": 0.581,
    "corr_hours": 0.445,
    "mean_score": 67.24,
    "missing": {
        "Teacher_Quality": 78 / 6607,
        "Parental_Education_Level": 90 / 6607,
        "Distance_from_Home": 67 / 6607,
    },
}
LARGE = 60_000  # enough rows for shares and correlations to settle, generated in about 0.1 s


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def figures(rows: list[dict[str, str]]) -> dict[str, object]:
    score = np.array([int(r["Exam_Score"]) for r in rows], dtype=float)
    attendance = np.array([int(r["Attendance"]) for r in rows], dtype=float)
    hours = np.array([int(r["Hours_Studied"]) for r in rows], dtype=float)
    return {
        "corr_attendance": float(np.corrcoef(attendance, score)[0, 1]),
        "corr_hours": float(np.corrcoef(hours, score)[0, 1]),
        "mean_score": float(score.mean()),
        "missing": {c: sum(r[c] == "" for r in rows) / len(rows) for c in distributions.MISSING_RATES},
    }


@pytest.fixture(scope="module")
def real() -> dict[str, object]:
    return figures(read_rows(REAL_DATASET)) if REAL_DATASET.exists() else REAL_FIGURES


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, str]]:
    path = tmp_path_factory.mktemp("large") / "large.csv"
    generator.generate(path, rows=LARGE, seed=7)
    return read_rows(path)


def test_same_seed_same_bytes_and_reported_sha256(tmp_path: Path) -> None:
    first = generator.generate(tmp_path / "a.csv")
    second = generator.generate(tmp_path / "b.csv")
    data = (tmp_path / "a.csv").read_bytes()
    assert first.sha256 == second.sha256 == hashlib.sha256(data).hexdigest()
    assert data == (tmp_path / "b.csv").read_bytes()
    assert first.rows == 6607 and data.count(b"\n") == 6608
    assert generator.generate(tmp_path / "c.csv", seed=43).sha256 != first.sha256
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "b.csv", "c.csv"]  # no partial files


def test_the_default_dataset_is_pinned(tmp_path: Path) -> None:
    """The default file's sha256 is in every run report; a change to the generator that changes it
    must be deliberate (then update this value, and say so in the commit)."""
    result = generator.generate(tmp_path / "default.csv")
    assert result.sha256 == "a9cb6354899ed2d945c87845096f7fa6bbaab137ac20cb86ef5a88f4181df2ec"


def test_a_small_file_is_the_prefix_of_a_bigger_one(tmp_path: Path) -> None:
    rows = generator.CHUNK_ROWS + 5  # crosses a chunk boundary
    big = generator.generate(tmp_path / "big.csv", rows=rows, seed=3)
    small = generator.generate(tmp_path / "small.csv", rows=rows - 3, seed=3)
    big_lines = (tmp_path / "big.csv").read_bytes().splitlines(keepends=True)
    assert (tmp_path / "small.csv").read_bytes() == b"".join(big_lines[: rows - 2])
    assert big.rows == len(big_lines) - 1 and small.sha256 != big.sha256


def test_header_and_every_value_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    generator.generate(path)
    assert path.read_text().split("\n", 1)[0] == schema.HEADER
    rows = read_rows(path)
    assert len(rows) == generator.DEFAULT_ROWS
    assert [r for r in rows if schema.row_problems(r)] == []
    for col in schema.CATEGORICAL_COLUMNS:
        assert {r[col.name] for r in rows} - {""} == set(col.domain), col.name


def test_lf_by_default_crlf_on_request(tmp_path: Path) -> None:
    generator.generate(tmp_path / "lf.csv", rows=50)
    generator.generate(tmp_path / "crlf.csv", rows=50, crlf=True)
    lf, crlf = (tmp_path / "lf.csv").read_bytes(), (tmp_path / "crlf.csv").read_bytes()
    assert b"\r" not in lf
    assert crlf.count(b"\r\n") == 51 and crlf.replace(b"\r\n", b"\n") == lf


def test_missing_values_only_where_the_real_file_has_them(
    large: list[dict[str, str]], real: dict[str, object]
) -> None:
    measured = figures(large)["missing"]
    for name, rate in real["missing"].items():  # type: ignore[union-attr]
        assert abs(measured[name] - rate) < 0.003, (name, measured[name], rate)  # type: ignore[index]
    always_set = [c.name for c in schema.COLUMNS if c.name not in distributions.MISSING_RATES]
    assert not [r for r in large if any(r[c] == "" for c in always_set)]


def test_attendance_and_study_hours_raise_the_score_as_in_the_real_file(
    large: list[dict[str, str]], real: dict[str, object]
) -> None:
    measured = figures(large)
    assert abs(measured["corr_attendance"] - real["corr_attendance"]) < 0.03  # type: ignore[operator]
    assert abs(measured["corr_hours"] - real["corr_hours"]) < 0.03  # type: ignore[operator]
    assert abs(measured["mean_score"] - real["mean_score"]) < 0.3  # type: ignore[operator]


def test_tutoring_and_previous_scores_help_learning_disabilities_hurt(large: list[dict[str, str]]) -> None:
    def mean_score(predicate) -> float:  # type: ignore[no-untyped-def]
        return float(np.mean([int(r["Exam_Score"]) for r in large if predicate(r)]))

    assert mean_score(lambda r: int(r["Tutoring_Sessions"]) >= 3) > mean_score(
        lambda r: r["Tutoring_Sessions"] == "0"
    )
    assert mean_score(lambda r: int(r["Previous_Scores"]) >= 90) > mean_score(
        lambda r: int(r["Previous_Scores"]) <= 60
    )
    assert mean_score(lambda r: r["Learning_Disabilities"] == "Yes") < mean_score(
        lambda r: r["Learning_Disabilities"] == "No"
    )


def test_injected_faults_are_where_the_result_says_and_nowhere_else(tmp_path: Path) -> None:
    invalid = {c.name: 3 for c in schema.COLUMNS}
    untidy = {"Gender": 2, "Teacher_Quality": 2}
    result = generator.generate(
        tmp_path / "f.csv", rows=500, seed=11, invalid_rows=invalid, untidy_rows=untidy
    )
    rows = read_rows(tmp_path / "f.csv")
    assert len(rows) == 500 and len(result.faults) == 3 * 20 + 4
    by_row = {f.row: f for f in result.faults}
    assert len(by_row) == len(result.faults)  # one fault per row
    for n, row in enumerate(rows):
        fault = by_row.get(n)
        if fault is None:
            assert schema.row_problems(row) == {}, n
        elif fault.problem is None:  # untidy: valid once trimmed and matched without case
            assert row[fault.column] == fault.text != fault.text.strip()
            assert schema.row_problems(row) == {}
        else:
            assert row[fault.column] == fault.text
            assert schema.row_problems(row) == {fault.column: fault.problem}
    kinds = {f.kind for f in result.faults if f.column == "Sleep_Hours"}
    assert kinds == {"above_range", "below_range", "not_an_integer"}


def test_cli_writes_the_file_and_rejects_an_unknown_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cli.csv"
    assert (
        generator.main(["--rows", "10", "--seed", "5", "--out", str(out), "--invalid", "Attendance=2"]) == 0
    )
    assert len(out.read_text().splitlines()) == 11
    assert "10 rows" in capsys.readouterr().err
    assert generator.main(["--rows", "10", "--out", str(out), "--invalid", "Atendance"]) == 2
    assert "no column 'Atendance'" in capsys.readouterr().err

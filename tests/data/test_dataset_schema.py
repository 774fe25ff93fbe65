"""The schema module against the rules of issue 3 and against the real Kaggle file (read from ../shared)."""

from __future__ import annotations

import csv

import pytest
from tests.conftest import REAL_DATASET

from awstwin.data import schema

needs_real = pytest.mark.skipif(not REAL_DATASET.exists(), reason=f"real dataset not at {REAL_DATASET}")


def test_twenty_columns_with_kinds_and_ranges() -> None:
    assert len(schema.COLUMNS) == 20
    assert schema.COLUMN_NAMES[0] == "Hours_Studied" and schema.COLUMN_NAMES[-1] == "Exam_Score"
    ranges = {c.name: (c.minimum, c.maximum) for c in schema.INTEGER_COLUMNS}
    assert ranges == {
        "Hours_Studied": (0, 168),
        "Attendance": (0, 100),
        "Sleep_Hours": (0, 24),
        "Previous_Scores": (0, 100),
        "Tutoring_Sessions": (0, None),
        "Physical_Activity": (0, None),
        "Exam_Score": (0, 100),
    }
    assert all(c.domain and c.nullable for c in schema.CATEGORICAL_COLUMNS)
    assert schema.column("exam_score").type_for("sql") == "INTEGER"


@pytest.mark.parametrize(
    ("name", "raw", "problem"),
    [
        ("Hours_Studied", "168", None),
        ("Hours_Studied", "169", schema.OUT_OF_RANGE),
        ("Tutoring_Sessions", "-1", schema.OUT_OF_RANGE),
        ("Tutoring_Sessions", "40", None),
        ("Attendance", "12.5", schema.NOT_AN_INTEGER),
        ("Attendance", "abc", schema.NOT_AN_INTEGER),
        ("Attendance", "1_0", schema.NOT_AN_INTEGER),
        ("Attendance", " ", schema.MISSING),
        ("Attendance", " 85 ", None),
        ("Teacher_Quality", "", None),
        ("Teacher_Quality", "  high ", None),
        ("Teacher_Quality", "Very High", schema.UNKNOWN_CATEGORY),
        ("Gender", "Other", schema.UNKNOWN_CATEGORY),
    ],
)
def test_problem_names_the_reason(name: str, raw: str, problem: str | None) -> None:
    assert schema.column(name).problem(raw) == problem


def test_normalise_maps_spelling_to_the_domain() -> None:
    assert schema.column("Parental_Education_Level").normalise(" high school ") == "High School"
    assert schema.column("Gender").normalise("Other") == "Other"


def test_unknown_column_lists_the_columns() -> None:
    with pytest.raises(KeyError, match="columns are: Hours_Studied, Attendance"):
        schema.column("Hours")


@needs_real
def test_real_file_fits_the_schema_except_its_one_score_above_100() -> None:
    with REAL_DATASET.open(newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == schema.COLUMN_NAMES
        problems = [(n, p) for n, row in enumerate(reader) if (p := schema.row_problems(row))]
    assert len(problems) == 1
    assert problems[0][1] == {"Exam_Score": schema.OUT_OF_RANGE}


@needs_real
def test_every_real_category_is_in_its_domain() -> None:
    with REAL_DATASET.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    for col in schema.CATEGORICAL_COLUMNS:
        seen = {row[col.name] for row in rows} - {""}
        assert seen == set(col.domain), col.name

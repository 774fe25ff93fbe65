"""The Student Performance Factors dataset's schema: the one place that lists its columns.

The Glue job, the quality gates, the warehouse DDL, the dashboard and the generator all read this
module, so a column, a category or a valid range is changed here and nowhere else. It is plain data
and stdlib only: the Glue script imports it on a Spark worker where nothing else is installed.

Two kinds of range live in different places on purpose:
- `Column.minimum` / `maximum` here are the *validity* rules (issue 3: Hours_Studied 0-168, ...). A
  value outside them is quarantined.
- The *observed* distributions of the real file (Attendance 60-100, ...) live in the generator
  (`awstwin.data.generator`), which imitates them; they are not rules.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Kind = Literal["integer", "categorical"]

DATASET_NAME = "Student Performance Factors"
KAGGLE_DATASET = "lainguyn123/student-performance-factors"
CSV_FILE_NAME = "StudentPerformanceFactors.csv"
REAL_ROW_COUNT = 6607

# Reasons a raw value is rejected; `Column.problem` returns one of them (or None when valid).
MISSING = "missing"
NOT_AN_INTEGER = "not_an_integer"
OUT_OF_RANGE = "out_of_range"
UNKNOWN_CATEGORY = "unknown_category"
PROBLEMS: tuple[str, ...] = (MISSING, NOT_AN_INTEGER, OUT_OF_RANGE, UNKNOWN_CATEGORY)

# What an integer looks like in the CSV: ASCII digits with an optional sign (Python's int() would also
# take "1_000" and non-ASCII digits, which Spark and Postgres reject).
_INTEGER_TEXT = re.compile(r"[+-]?[0-9]+")

# Type names per engine for each kind: the only place that maps our kinds to engines' types.
# VARCHAR(32) holds every category with room for a longer unknown value on its way to quarantine.
TYPES: Mapping[Kind, Mapping[str, str]] = {
    "integer": {"sql": "INTEGER", "spark": "int", "athena": "int", "glue": "bigint"},
    "categorical": {"sql": "VARCHAR(32)", "spark": "string", "athena": "string", "glue": "string"},
}


@dataclass(frozen=True)
class Column:
    """One CSV column: its name in the file, its kind, and what makes a raw value valid."""

    name: str
    kind: Kind
    description: str
    domain: tuple[str, ...] = ()  # categorical only, in natural order (Low < Medium < High)
    minimum: int | None = None  # integer only, inclusive
    maximum: int | None = None  # integer only, inclusive; None = unbounded
    nullable: bool = False  # an empty value is valid (loaded as NULL), not a reason to quarantine

    @property
    def sql_name(self) -> str:
        """Name in the warehouse and in Athena: unquoted identifiers fold to lower case there."""
        return self.name.lower()

    def type_for(self, engine: str) -> str:
        """This column's type name for `engine` ("sql", "spark", "athena" or "glue")."""
        return TYPES[self.kind][engine]

    def normalise(self, raw: str) -> str:
        """The canonical spelling of a raw categorical value (trimmed, case-insensitive match), or the
        trimmed value itself when it is not in the domain."""
        value = raw.strip()
        for known in self.domain:
            if value.casefold() == known.casefold():
                return known
        return value

    def problem(self, raw: str | None) -> str | None:
        """Why `raw` (the text from the CSV) is invalid for this column, or None when it is valid.

        The reference reading of the rules in plain Python; the Glue job applies the same rules in
        Spark and the tests compare against this.
        """
        value = "" if raw is None else raw.strip()
        if value == "":
            return None if self.nullable else MISSING
        if self.kind == "categorical":
            return None if self.normalise(value) in self.domain else UNKNOWN_CATEGORY
        if not _INTEGER_TEXT.fullmatch(value):
            return NOT_AN_INTEGER
        number = int(value)
        if self.minimum is not None and number < self.minimum:
            return OUT_OF_RANGE
        if self.maximum is not None and number > self.maximum:
            return OUT_OF_RANGE
        return None


def _integer(name: str, description: str, minimum: int, maximum: int | None) -> Column:
    return Column(name, "integer", description, minimum=minimum, maximum=maximum)


def _categorical(name: str, description: str, *domain: str, nullable: bool = True) -> Column:
    return Column(name, "categorical", description, domain=tuple(domain), nullable=nullable)


LOW_MEDIUM_HIGH = ("Low", "Medium", "High")
NO_YES = ("No", "Yes")

# The 20 columns in file order. Empty categorical values are valid (NULL): the real file has them in
# Teacher_Quality, Parental_Education_Level and Distance_from_Home. Integers are required.
COLUMNS: tuple[Column, ...] = (
    _integer("Hours_Studied", "hours spent studying per week", 0, 168),
    _integer("Attendance", "percentage of classes attended", 0, 100),
    _categorical("Parental_Involvement", "level of parental involvement", *LOW_MEDIUM_HIGH),
    _categorical("Access_to_Resources", "availability of educational resources", *LOW_MEDIUM_HIGH),
    _categorical("Extracurricular_Activities", "takes part in extracurricular activities", *NO_YES),
    _integer("Sleep_Hours", "average hours of sleep per night", 0, 24),
    _integer("Previous_Scores", "score in previous exams", 0, 100),
    _categorical("Motivation_Level", "student's motivation", *LOW_MEDIUM_HIGH),
    _categorical("Internet_Access", "has internet access", *NO_YES),
    _integer("Tutoring_Sessions", "tutoring sessions attended per month", 0, None),
    _categorical("Family_Income", "family income level", *LOW_MEDIUM_HIGH),
    _categorical("Teacher_Quality", "quality of the teachers", *LOW_MEDIUM_HIGH),
    _categorical("School_Type", "type of school", "Public", "Private"),
    _categorical("Peer_Influence", "influence of peers on performance", "Negative", "Neutral", "Positive"),
    _integer("Physical_Activity", "hours of physical activity per week", 0, None),
    _categorical("Learning_Disabilities", "has learning disabilities", *NO_YES),
    _categorical(
        "Parental_Education_Level", "parents' highest education", "High School", "College", "Postgraduate"
    ),
    _categorical("Distance_from_Home", "distance from home to school", "Near", "Moderate", "Far"),
    _categorical("Gender", "gender of the student", "Male", "Female"),
    _integer("Exam_Score", "final exam score", 0, 100),
)

COLUMN_NAMES: tuple[str, ...] = tuple(column.name for column in COLUMNS)
HEADER = ",".join(COLUMN_NAMES)
BY_NAME: Mapping[str, Column] = {column.name: column for column in COLUMNS}
INTEGER_COLUMNS: tuple[Column, ...] = tuple(c for c in COLUMNS if c.kind == "integer")
CATEGORICAL_COLUMNS: tuple[Column, ...] = tuple(c for c in COLUMNS if c.kind == "categorical")
TARGET = "Exam_Score"


def column(name: str) -> Column:
    """The column called `name` (exact CSV spelling or its lower-case warehouse name)."""
    found = BY_NAME.get(name) or next((c for c in COLUMNS if c.sql_name == name), None)
    if found is None:
        raise KeyError(f"no column {name!r} in {DATASET_NAME}; columns are: {', '.join(COLUMN_NAMES)}")
    return found


def row_problems(row: Mapping[str, str | None]) -> dict[str, str]:
    """{column: reason} for every invalid value in one CSV row given as {header name: raw text}."""
    problems = {}
    for col in COLUMNS:
        reason = col.problem(row.get(col.name))
        if reason is not None:
            problems[col.name] = reason
    return problems

"""The real Student Performance file (CRLF, empty values) through Athena, checked against pyarrow."""

from __future__ import annotations

import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest
from tests.conftest import REAL_DATASET

pytestmark = pytest.mark.skipif(
    not REAL_DATASET.exists(), reason=f"the real dataset is not at {REAL_DATASET}"
)

COLUMNS = [
    ("hours_studied", "bigint"),
    ("attendance", "bigint"),
    ("parental_involvement", "string"),
    ("access_to_resources", "string"),
    ("extracurricular_activities", "string"),
    ("sleep_hours", "bigint"),
    ("previous_scores", "bigint"),
    ("motivation_level", "string"),
    ("internet_access", "string"),
    ("tutoring_sessions", "bigint"),
    ("family_income", "string"),
    ("teacher_quality", "string"),
    ("school_type", "string"),
    ("peer_influence", "string"),
    ("physical_activity", "bigint"),
    ("learning_disabilities", "string"),
    ("parental_education_level", "string"),
    ("distance_from_home", "string"),
    ("gender", "string"),
    ("exam_score", "bigint"),
]


def test_real_dataset_count_and_average_match_pyarrow(lake):
    lake.put(
        "raw/student_performance/ingest_date=2024-01-01/StudentPerformanceFactors.csv",
        REAL_DATASET.read_bytes(),
    )
    columns = ", ".join(f"{name} {kind}" for name, kind in COLUMNS)
    lake.ok(
        f"""CREATE EXTERNAL TABLE student_performance ({columns})
        ROW FORMAT DELIMITED FIELDS TERMINATED BY ','
        LOCATION 's3://{lake.bucket}/raw/student_performance/'
        TBLPROPERTIES ('skip.header.line.count'='1')"""
    )
    expected = pacsv.read_csv(REAL_DATASET)
    mean = pc.mean(expected.column("Exam_Score")).as_py()
    execution = lake.ok(
        "SELECT count(*), avg(exam_score), count_if(teacher_quality = '') FROM student_performance"
    )
    assert execution["Statistics"]["DataScannedInBytes"] == REAL_DATASET.stat().st_size
    count, average, empty_quality = lake.rows(
        "SELECT count(*), avg(exam_score), count_if(teacher_quality = '') FROM student_performance"
    )[0]
    assert int(count) == 6607 == expected.num_rows
    assert float(average) == mean
    # LazySimpleSerDe reads an empty field of a string column as '' (not NULL), as Athena does
    assert int(empty_quality) == 78
    assert lake.value("SELECT count(*) FROM student_performance WHERE gender LIKE '%' || chr(13)") == "0"

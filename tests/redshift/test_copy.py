"""COPY from the endpoint's S3 through the front, as Redshift loads it.

COPY: https://docs.aws.amazon.com/redshift/latest/dg/r_COPY.html
Load errors: https://docs.aws.amazon.com/redshift/latest/dg/r_STL_LOAD_ERRORS.html and
https://docs.aws.amazon.com/redshift/latest/dg/r_Load_Error_Reference.html
"""

from __future__ import annotations

import gzip
import io
import json
import uuid

import psycopg2
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tests.conftest import REAL_DATASET
from tests.redshift.conftest import rows

ROLE = "arn:aws:iam::123456789012:role/RedshiftCopy"
COLUMNS = [
    "hours_studied INTEGER",
    "attendance INTEGER",
    "parental_involvement VARCHAR(32)",
    "access_to_resources VARCHAR(32)",
    "extracurricular_activities VARCHAR(32)",
    "sleep_hours INTEGER",
    "previous_scores INTEGER",
    "motivation_level VARCHAR(32)",
    "internet_access VARCHAR(32)",
    "tutoring_sessions INTEGER",
    "family_income VARCHAR(32)",
    "teacher_quality VARCHAR(32)",
    "school_type VARCHAR(32)",
    "peer_influence VARCHAR(32)",
    "physical_activity INTEGER",
    "learning_disabilities VARCHAR(32)",
    "parental_education_level VARCHAR(32)",
    "distance_from_home VARCHAR(32)",
    "gender VARCHAR(32)",
    "exam_score INTEGER",
]


def table(connection, columns: list[str] = COLUMNS) -> str:  # noqa: ANN001
    name = f"students_{uuid.uuid4().hex[:8]}"
    rows(connection, f"CREATE TABLE {name} ({', '.join(columns)}) DISTSTYLE EVEN SORTKEY (exam_score)")
    return name


@pytest.mark.skipif(not REAL_DATASET.exists(), reason=f"the real dataset is not at {REAL_DATASET}")
def test_copy_of_the_real_csv_loads_every_row(connect, aws, bucket):
    aws("s3").upload_file(str(REAL_DATASET), bucket, "raw/students.csv")
    connection = connect()
    name = table(connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"COPY {name} FROM 's3://{bucket}/raw/' IAM_ROLE '{ROLE}' FORMAT AS CSV IGNOREHEADER 1 "
            "REGION 'us-east-1'"
        )
        assert cursor.rowcount == 6607
        notices = " ".join(connection.notices)
    assert f"Load into table '{name}' completed, 6607 record(s) loaded successfully." in notices
    assert rows(connection, f"SELECT count(*), sum(exam_score) FROM {name}")[0][0] == 6607
    assert rows(connection, "SELECT pg_last_copy_count()") == [(6607,)]
    # empty fields of a VARCHAR column stay empty strings unless EMPTYASNULL
    assert rows(connection, f"SELECT count(*) FROM {name} WHERE teacher_quality = ''") == [(78,)]


@pytest.mark.skipif(not REAL_DATASET.exists(), reason=f"the real dataset is not at {REAL_DATASET}")
def test_gzip_and_emptyasnull(connect, aws, bucket):
    aws("s3").put_object(
        Bucket=bucket, Key="gz/students.csv.gz", Body=gzip.compress(REAL_DATASET.read_bytes())
    )
    connection = connect()
    name = table(connection)
    rows(
        connection,
        f"COPY {name} FROM 's3://{bucket}/gz/students' IAM_ROLE '{ROLE}' CSV GZIP IGNOREHEADER 1 EMPTYASNULL",
    )
    assert rows(connection, f"SELECT count(*), count(teacher_quality) FROM {name}") == [(6607, 6607 - 78)]


def test_copy_of_parquet_matches_columns_by_position(connect, aws, bucket):
    data = pa.table(
        {
            "x": pa.array([1, 2, 3], pa.int64()),
            "label": ["a", "b", None],
            "day": pa.array([19000, 19001, 19002], pa.date32()),
        }
    )
    for part in range(2):
        out = io.BytesIO()
        pq.write_table(data, out)
        aws("s3").put_object(Bucket=bucket, Key=f"pq/part-{part}.parquet", Body=out.getvalue())
    connection = connect()
    rows(connection, "CREATE TEMP TABLE pq_target (id BIGINT, name VARCHAR(10), d DATE)")
    rows(connection, f"COPY pq_target FROM 's3://{bucket}/pq/' IAM_ROLE '{ROLE}' FORMAT AS PARQUET")
    assert rows(connection, "SELECT pg_last_copy_count()") == [(6,)]
    assert rows(connection, "SELECT id, name, d::text FROM pq_target ORDER BY id LIMIT 3") == [
        (1, "a", "2022-01-08"),
        (1, "a", "2022-01-08"),
        (2, "b", "2022-01-09"),
    ]


def test_copy_of_parquet_timestamps_keeps_their_fraction(connect, aws, bucket):
    """Spark and Glue write TIMESTAMP columns (microseconds); Redshift loads them into TIMESTAMP."""
    from datetime import datetime

    at = [datetime(2024, 5, 1, 12, 30, 5), datetime(2024, 5, 1, 12, 30, 5, 250000), None]
    out = io.BytesIO()
    # Spark writes INT96 by default, which Arrow reads as nanoseconds.
    table = pa.table({"at": pa.array(at, pa.timestamp("us")), "at_ns": pa.array(at, pa.timestamp("ns"))})
    pq.write_table(table, out, use_deprecated_int96_timestamps=True)
    aws("s3").put_object(Bucket=bucket, Key="ts/part-0.parquet", Body=out.getvalue())
    connection = connect()
    rows(connection, "CREATE TEMP TABLE ts_target (at TIMESTAMP, at_ns TIMESTAMP)")
    rows(connection, f"COPY ts_target FROM 's3://{bucket}/ts/' IAM_ROLE '{ROLE}' FORMAT AS PARQUET")
    assert rows(connection, "SELECT at, at_ns FROM ts_target ORDER BY at NULLS LAST") == [
        (at[0], at[0]),
        (at[1], at[1]),
        (None, None),
    ]


def test_copy_json_auto_and_jsonpaths(connect, aws, bucket):
    s3 = aws("s3")
    s3.put_object(
        Bucket=bucket, Key="json/a.json", Body=b'{"id": 1, "Name": "x"}\n{"id": 2, "Name": "y", "extra": 1}'
    )
    s3.put_object(
        Bucket=bucket, Key="paths.json", Body=json.dumps({"jsonpaths": ["$.id", "$['Name']"]}).encode()
    )
    connection = connect()
    rows(connection, "CREATE TEMP TABLE j (id INT, name VARCHAR(5))")
    rows(connection, f"COPY j FROM 's3://{bucket}/json/' IAM_ROLE '{ROLE}' FORMAT AS JSON 'auto ignorecase'")
    assert rows(connection, "SELECT * FROM j ORDER BY id") == [(1, "x"), (2, "y")]
    rows(connection, "TRUNCATE j")
    rows(
        connection, f"COPY j FROM 's3://{bucket}/json/' IAM_ROLE '{ROLE}' JSON 'auto'"
    )  # case-sensitive keys
    assert rows(connection, "SELECT * FROM j ORDER BY id") == [(1, None), (2, None)]
    rows(
        connection,
        f"COPY j FROM 's3://{bucket}/json/a.json' IAM_ROLE '{ROLE}' JSON 's3://{bucket}/paths.json'",
    )
    assert rows(connection, "SELECT count(*) FROM j WHERE name IS NOT NULL") == [(2,)]


BAD = b"id|name|score\n1|ann|10\n2|bob|x9\n3|carla-is-far-too-long|30\n4|dan|40\n"


def test_bad_lines_fail_the_whole_copy_and_fill_stl_load_errors(connect, aws, bucket):
    aws("s3").put_object(Bucket=bucket, Key="bad/data.txt", Body=BAD)
    connection = connect()
    rows(connection, "CREATE TABLE bad_target (id INT, name VARCHAR(5), score INT)")
    with pytest.raises(psycopg2.Error) as raised:
        rows(connection, f"COPY bad_target FROM 's3://{bucket}/bad/' IAM_ROLE '{ROLE}' IGNOREHEADER 1")
    assert raised.value.pgerror.startswith(
        "ERROR:  Load into table 'bad_target' failed.  Check 'stl_load_errors' system table for details."
    )
    assert rows(connection, "SELECT count(*) FROM bad_target") == [(0,)]  # all or nothing
    errors = rows(
        connection,
        "SELECT trim(filename), line_number, trim(colname), trim(type), err_code, trim(raw_field_value), "
        "trim(raw_line) FROM stl_load_errors WHERE tbl = 'bad_target'::regclass::oid "
        "ORDER BY query, line_number",
    )
    assert errors[0] == (f"s3://{bucket}/bad/data.txt", 3, "score", "int4", 1207, "x9", "2|bob|x9")
    detail = rows(
        connection,
        "SELECT trim(file_name), line_number, trim(column_name), error_code, trim(table_id) "
        "FROM sys_load_error_detail WHERE trim(table_id) = 'bad_target' ORDER BY line_number",
    )
    assert detail[0] == (f"s3://{bucket}/bad/data.txt", 3, "score", 1207, "bad_target")


def test_maxerror_lets_bad_lines_through(connect, aws, bucket):
    aws("s3").put_object(Bucket=bucket, Key="bad/data.txt", Body=BAD)
    connection = connect()
    rows(connection, "CREATE TABLE lenient_target (id INT, name VARCHAR(5), score INT)")
    rows(
        connection,
        f"COPY lenient_target FROM 's3://{bucket}/bad/' IAM_ROLE '{ROLE}' IGNOREHEADER 1 MAXERROR 5",
    )
    assert rows(connection, "SELECT id FROM lenient_target ORDER BY id") == [(1,), (4,)]
    assert rows(connection, "SELECT pg_last_copy_count()") == [(2,)]
    codes = rows(
        connection,
        "SELECT line_number, err_code FROM stl_load_errors "
        "WHERE tbl = 'lenient_target'::regclass::oid ORDER BY line_number",
    )
    assert codes == [(3, 1207), (4, 1204)]  # invalid digit, string longer than the column
    rows(connection, "TRUNCATE lenient_target")
    rows(
        connection,
        f"COPY lenient_target FROM 's3://{bucket}/bad/' IAM_ROLE '{ROLE}' IGNOREHEADER 1 "
        "MAXERROR 5 TRUNCATECOLUMNS",
    )
    assert rows(connection, "SELECT name FROM lenient_target WHERE id = 3") == [("carla",)]


def test_copy_inside_a_transaction_rolls_back_with_it(connect, aws, bucket):
    aws("s3").put_object(Bucket=bucket, Key="ok/data.csv", Body=b"1,a\n2,b\n")
    connection = connect(autocommit=False)
    rows(connection, "CREATE TABLE tx_target (id INT, name VARCHAR(5))")
    connection.commit()
    rows(
        connection,
        f"COPY tx_target FROM 's3://{bucket}/ok/' CREDENTIALS "
        "'aws_access_key_id=test;aws_secret_access_key=test' CSV",
    )
    assert rows(connection, "SELECT count(*) FROM tx_target") == [(2,)]
    connection.rollback()
    assert rows(connection, "SELECT count(*) FROM tx_target") == [(0,)]


def test_missing_prefix_and_manifest(connect, aws, bucket):
    s3 = aws("s3")
    s3.put_object(Bucket=bucket, Key="m/one.csv", Body=b"1,a\n")
    s3.put_object(Bucket=bucket, Key="m/two.csv", Body=b"2,b\n")
    manifest = {"entries": [{"url": f"s3://{bucket}/m/two.csv", "mandatory": True}]}
    s3.put_object(Bucket=bucket, Key="m.manifest", Body=json.dumps(manifest).encode())
    connection = connect()
    rows(connection, "CREATE TEMP TABLE mf (id INT, name VARCHAR(5))")
    rows(connection, f"COPY mf FROM 's3://{bucket}/m.manifest' IAM_ROLE '{ROLE}' CSV MANIFEST")
    assert rows(connection, "SELECT * FROM mf") == [(2, "b")]
    with pytest.raises(psycopg2.Error, match="does not exist"):
        rows(connection, f"COPY mf FROM 's3://{bucket}/nothing-here/' IAM_ROLE '{ROLE}' CSV")

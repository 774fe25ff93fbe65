"""UNLOAD to the endpoint's S3 and back, and Spectrum over a crawled Glue table joined with a local one.

UNLOAD: https://docs.aws.amazon.com/redshift/latest/dg/r_UNLOAD.html (file names:
https://docs.aws.amazon.com/redshift/latest/dg/r_UNLOAD_command_examples.html)
Spectrum: https://docs.aws.amazon.com/redshift/latest/dg/c-spectrum-external-schemas.html
"""

from __future__ import annotations

import io
import time
import uuid

import psycopg2
import pyarrow.parquet as pq
import pytest
from tests.redshift.conftest import rows

ROLE = "arn:aws:iam::123456789012:role/RedshiftUnload"


def keys(aws, bucket: str, prefix: str = "") -> list[str]:  # noqa: ANN001
    listed = aws("s3").list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return sorted(item["Key"] for item in listed)


@pytest.fixture
def scores(connect):  # noqa: ANN001
    connection = connect()
    name = f"scores_{uuid.uuid4().hex[:8]}"
    rows(
        connection,
        f"CREATE TABLE {name} (id INT, name VARCHAR(20), score NUMERIC(5,2), day DATE, ok BOOLEAN)",
    )
    rows(
        connection,
        f"INSERT INTO {name} SELECT g, 'n' || g, g / 4.0, DATE '2024-01-01' + g % 3, g % 2 = 0 "
        "FROM generate_series(1, 500) g",
    )
    return connection, name


def test_unload_parquet_then_copy_back_gives_equal_rows(scores, aws, bucket):
    connection, name = scores
    with connection.cursor() as cursor:
        cursor.execute(
            f"UNLOAD ('SELECT * FROM {name} WHERE id > 0') TO 's3://{bucket}/out/{name}_' "
            f"IAM_ROLE '{ROLE}' FORMAT AS PARQUET"
        )
        assert cursor.statusmessage == "UNLOAD"
    assert keys(aws, bucket) == [f"out/{name}_0000_part_00.parquet"]
    body = aws("s3").get_object(Bucket=bucket, Key=f"out/{name}_0000_part_00.parquet")["Body"].read()
    table = pq.read_table(io.BytesIO(body))
    assert table.num_rows == 500 and str(table.schema.field("score").type) == "decimal128(5, 2)"
    rows(connection, f"CREATE TABLE {name}_back (LIKE {name})")
    rows(connection, f"COPY {name}_back FROM 's3://{bucket}/out/{name}_' IAM_ROLE '{ROLE}' FORMAT AS PARQUET")
    difference = (
        f"(SELECT * FROM {name} EXCEPT SELECT * FROM {name}_back) UNION ALL "
        f"(SELECT * FROM {name}_back EXCEPT SELECT * FROM {name})"
    )
    assert rows(connection, f"SELECT count(*) FROM ({difference}) d") == [(0,)]
    assert rows(connection, "SELECT pg_last_unload_count()") == [(500,)]


def test_unload_csv_options_names_and_overwrite(scores, aws, bucket):
    connection, name = scores
    base = (
        f"UNLOAD ('SELECT id, name FROM {name} WHERE day = ''2024-01-02''') TO 's3://{bucket}/csv/' "
        f"IAM_ROLE '{ROLE}' CSV HEADER PARALLEL OFF MANIFEST"
    )
    rows(connection, base)
    assert keys(aws, bucket, "csv/") == ["csv/000", "csv/manifest"]
    text = aws("s3").get_object(Bucket=bucket, Key="csv/000")["Body"].read().decode()
    assert text.splitlines()[0] == "id,name" and len(text.splitlines()) == 1 + 167
    with pytest.raises(psycopg2.Error, match="Specified unload destination on S3 is not empty"):
        rows(connection, base)
    rows(connection, base + " ALLOWOVERWRITE GZIP")
    assert "csv/000.gz" in keys(aws, bucket, "csv/")
    rows(
        connection,
        f"UNLOAD ('SELECT * FROM {name}') TO 's3://{bucket}/parts/' IAM_ROLE '{ROLE}' "
        "FORMAT PARQUET PARTITION BY (day)",
    )
    assert keys(aws, bucket, "parts/") == [f"parts/day=2024-01-0{d}/0000_part_00.parquet" for d in (1, 2, 3)]


def test_spectrum_reads_a_crawled_table_joined_with_a_local_one(connect, aws, bucket, front, warehouse):
    s3, glue = aws("s3"), aws("glue")
    for date, body in (("2024-01-01", b"id,city\n1,Oslo\n2,Lima\n"), ("2024-01-02", b"id,city\n3,Pune\n")):
        s3.put_object(Bucket=bucket, Key=f"visits/ingest_date={date}/part.csv", Body=body)
    database = f"lake_{uuid.uuid4().hex[:6]}"
    glue.create_database(DatabaseInput={"Name": database})
    crawler = f"crawl_{database}"
    glue.create_crawler(
        Name=crawler,
        Role=ROLE,
        DatabaseName=database,
        Targets={"S3Targets": [{"Path": f"s3://{bucket}/visits/"}]},
    )
    glue.start_crawler(Name=crawler)
    deadline = time.monotonic() + 60
    while (
        glue.get_crawler(Name=crawler)["Crawler"]["State"] != "READY"
        or not glue.get_tables(DatabaseName=database)["TableList"]
    ):
        assert time.monotonic() < deadline, "crawler did not finish"
        time.sleep(0.2)
    connection = connect()
    rows(
        connection,
        f"CREATE EXTERNAL SCHEMA spectrum FROM DATA CATALOG DATABASE '{database}' IAM_ROLE '{ROLE}'",
    )
    rows(connection, "CREATE TEMP TABLE people (id INT, name VARCHAR(10))")
    rows(connection, "INSERT INTO people VALUES (1, 'ann'), (3, 'cy')")
    joined = rows(
        connection,
        "SELECT p.name, v.city, v.ingest_date FROM spectrum.visits v JOIN people p ON p.id = v.id "
        "ORDER BY p.name",
    )
    assert joined == [("ann", "Oslo", "2024-01-01"), ("cy", "Pune", "2024-01-02")]
    assert rows(connection, "SELECT schemaname, tablename FROM svv_external_tables") == [
        ("spectrum", "visits")
    ]
    rows(connection, "DROP SCHEMA spectrum")
    with pytest.raises(psycopg2.Error):
        rows(connection, "SELECT * FROM spectrum.visits")

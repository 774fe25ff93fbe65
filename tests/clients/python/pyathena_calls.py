"""PyAthena against the endpoint: its DB-API cursor (with parameters), its pandas cursor, and SQLAlchemy
over its dialect (reflection, Core and ORM-style selects). Run by tests/clients/test_pyathena.py in the
clients' environment; prints a JSON report.

    python pyathena_calls.py <unique suffix>
"""

from __future__ import annotations

import json
import sys
from urllib.parse import quote_plus

import boto3
import pyathena
import sqlalchemy as sa
from pyathena import connect
from pyathena.pandas.cursor import PandasCursor

suffix = sys.argv[1]
bucket, database = f"pyathena-{suffix}", f"pyathena_{suffix}"
staging = f"s3://{bucket}/staging/"
s3 = boto3.client("s3")
s3.create_bucket(Bucket=bucket)
s3.put_object(
    Bucket=bucket, Key="scores/part-0.csv", Body=b"ada,90,2023-05-01\nbob,70,2023-06-02\ncy,85,2024-01-15\n"
)
report: dict[str, object] = {"pyathena": pyathena.__version__, "sqlalchemy": sa.__version__}

connection = connect(s3_staging_dir=staging, region_name="us-east-1", schema_name="default")
cursor = connection.cursor()
cursor.execute(f"CREATE DATABASE IF NOT EXISTS {database}")
cursor.execute(
    f"""CREATE EXTERNAL TABLE {database}.scores (student string, score int, taken date)
    ROW FORMAT DELIMITED FIELDS TERMINATED BY ','
    LOCATION 's3://{bucket}/scores/'"""
)
cursor.execute(
    f"SELECT student, score, taken FROM {database}.scores WHERE score > %(low)s ORDER BY score DESC",
    {"low": 75},
)
report["description"] = [(d[0], d[1]) for d in cursor.description]
report["dbapi_rows"] = [[str(v) for v in row] for row in cursor.fetchall()]
report["rowcount"] = cursor.rowcount
report["query_id"] = bool(cursor.query_id)
report["output_location"] = cursor.output_location
cursor.execute(f"SELECT count(*) FROM {database}.scores")
report["fetchone"] = cursor.fetchone()[0]
report["data_scanned"] = cursor.data_scanned_in_bytes is not None

pandas_cursor = connect(
    s3_staging_dir=staging, region_name="us-east-1", schema_name=database, cursor_class=PandasCursor
).cursor()
frame = pandas_cursor.execute("SELECT student, score, taken FROM scores ORDER BY student").as_pandas()
report["pandas_rows"] = frame.astype(str).values.tolist()
report["pandas_dtypes"] = {k: str(v) for k, v in frame.dtypes.items()}

url = f"awsathena+rest://:@athena.us-east-1.amazonaws.com:443/{database}?s3_staging_dir={quote_plus(staging)}"
engine = sa.create_engine(url)
inspector = sa.inspect(engine)
report["sa_tables"] = inspector.get_table_names(schema=database)
report["sa_columns"] = [(c["name"], str(c["type"])) for c in inspector.get_columns("scores", schema=database)]
scores = sa.Table("scores", sa.MetaData(), autoload_with=engine, schema=database)
with engine.connect() as conn:
    query = (
        sa.select(scores.c.student, sa.func.max(scores.c.score).label("best"))
        .where(scores.c.taken >= sa.literal(__import__("datetime").date(2023, 6, 1)))
        .group_by(scores.c.student)
        .order_by(scores.c.student)
    )
    report["sa_rows"] = [list(map(str, row)) for row in conn.execute(query)]
    report["sa_text"] = conn.execute(sa.text(f"SELECT avg(score) FROM {database}.scores")).scalar()
print(json.dumps(report, default=str))

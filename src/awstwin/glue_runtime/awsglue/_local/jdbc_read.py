"""Reading a JDBC table into Spark, locally: `from_catalog` on a JDBC-backed catalog table, and
`from_options` with a JDBC connection type.

A catalog table backed by a Glue connection names it in `Parameters.connectionName` and its table as
the StorageDescriptor's Location, `database.schema.table` (or `database.table`, schema `public`), as
JDBC crawlers write it
(https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-etl-connect-jdbc-home.html).
Glue reads it with the connection's JDBC URL and credentials (or its Secrets Manager secret).
pyspark ships no JDBC driver for Postgres, and the warehouse is Postgres locally, so the table is
copied out with `COPY (SELECT ...) TO STDOUT` (the fastest path out of Postgres) into a staged CSV
file that Spark reads; columns come back in the types the database gives them.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from awsglue._local.jdbc import JdbcTarget, JdbcWriteError, _one_line
from awsglue._local.types import legacy_casts

# Postgres `format_type` text -> the Spark type its values are read as (anything else: string).
PG_TO_SPARK: list[tuple[str, str]] = [
    (r"^bigint$", "bigint"),
    (r"^integer$", "int"),
    (r"^smallint$", "smallint"),
    (r"^double precision$", "double"),
    (r"^real$", "float"),
    (r"^boolean$", "boolean"),
    (r"^date$", "date"),
    (r"^timestamp", "timestamp"),
    (r"^numeric\((\d+),(\d+)\)$", "decimal({0},{1})"),
    (r"^numeric$", "decimal(38,18)"),
]


class JdbcReadError(Exception):
    """A JDBC table that cannot be read (no such table, no connection, bad location)."""


def spark_type(pg_type: str) -> str:
    for pattern, spark in PG_TO_SPARK:
        match = re.match(pattern, pg_type)
        if match:
            return spark.format(*match.groups())
    return "string"


def split_location(location: str, table_name: str) -> tuple[str, str]:
    """`dev.public.sales` -> ('dev', 'public.sales'); `test.persons` -> ('test', 'public.persons')."""
    parts = [p for p in location.split(".") if p]
    if len(parts) == 3:
        return parts[0], f"{parts[1]}.{parts[2]}"
    if len(parts) == 2:
        return parts[0], f"public.{parts[1]}"
    raise JdbcReadError(
        f"catalog table {table_name}: Location {location!r} is not database.schema.table or database.table, "
        "which a JDBC-backed table needs"
    )


def quote_table(dbtable: str) -> str:
    """`public.sales` -> `"public"."sales"` (names as given: the catalog keeps the database's case)."""
    return ".".join('"' + part.replace('"', '""') + '"' for part in dbtable.split("."))


def read_table(spark: SparkSession, target: JdbcTarget, dbtable: str, query: str | None = None) -> DataFrame:
    """Every row of `dbtable` (or of `query`) on `target`, in the database's column types."""
    connection = target.connect()
    try:
        with connection.cursor() as cursor:
            select = query or f"SELECT * FROM {quote_table(dbtable)}"
            try:
                cursor.execute("SET TIME ZONE 'UTC'; SET DateStyle TO ISO")
                cursor.execute(f"SELECT * FROM ({select}) AS awstwin_source LIMIT 0")
                columns = [d.name for d in cursor.description]
                types = [_type_name(cursor, d.type_code, d.internal_size) for d in cursor.description]
                staging = Path(tempfile.mkdtemp(prefix="awstwin-jdbc-read-")) / "rows.csv"
                texts = ", ".join(f'"{c}"::text' for c in (name.replace('"', '""') for name in columns))
                with staging.open("w", encoding="utf-8") as handle:
                    copy = (
                        f"COPY (SELECT {texts} FROM ({select}) AS awstwin_source) TO STDOUT WITH (FORMAT csv)"
                    )
                    cursor.copy_expert(copy, handle)
            except Exception as exc:
                connection.rollback()
                raise JdbcReadError(
                    f"cannot read {dbtable} on {target.describe()}: {_one_line(exc)}"
                ) from exc
    finally:
        connection.close()
    return _frame(spark, staging, columns, types)


def primary_key(target: JdbcTarget, dbtable: str) -> list[str]:
    """The primary key columns of `dbtable`, in key order ([] when it has none, or for a query)."""
    if not dbtable or "." not in dbtable:
        return []
    connection = target.connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = to_regclass(%s) AND i.indisprimary "
                "ORDER BY array_position(i.indkey, a.attnum)",
                (quote_table(dbtable),),
            )
            return [row[0] for row in cursor.fetchall()]
    except Exception as exc:
        connection.rollback()
        raise JdbcReadError(
            f"cannot read the primary key of {dbtable} on {target.describe()}: {_one_line(exc)}"
        ) from exc
    finally:
        connection.close()


def _type_name(cursor: Any, oid: int, _size: int | None) -> str:
    cursor.execute("SELECT format_type(%s, NULL)", (oid,))
    return cursor.fetchone()[0]


def _frame(spark: SparkSession, staging: Path, columns: list[str], types: list[str]) -> DataFrame:
    names = [f"c{i}" for i in range(len(columns))]
    text_schema = StructType([StructField(n, StringType()) for n in names])
    rows = spark.read.options(header="false", quote='"', escape='"', multiLine="true").schema(text_schema)
    frame = rows.csv(str(staging))
    with legacy_casts(spark):
        return frame.select(
            *[F.col(n).cast(spark_type(t)).alias(c) for n, c, t in zip(names, columns, types, strict=True)]
        )


__all__ = ["JdbcReadError", "primary_key", "read_table", "split_location", "JdbcWriteError"]

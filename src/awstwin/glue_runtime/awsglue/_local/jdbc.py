"""`write_dynamic_frame.from_jdbc_conf`, locally: a Glue connection -> a Postgres table.

Glue loads Redshift by staging the frame as files under `redshift_tmp_dir` and running COPY, with
`preactions` and `postactions` around it in one transaction. Locally, `jdbc:redshift://` and
`jdbc:postgresql://` URLs both reach a Postgres server, and the load is the same shape:
1. the frame is written as CSV files (under `redshift_tmp_dir` when given, else a temporary folder);
2. one transaction: create the table when it does not exist, preactions, `COPY <dbtable> (<columns>)
   FROM STDIN` of each staged file, postactions, commit;
3. on any error: rollback, and an error naming the failing statement and the table.
COPY is about four times faster than Spark's JDBC writer on this machine.
Column names are matched by name, folded to lower case as Redshift folds identifiers.
"""

from __future__ import annotations

import logging
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import types as T

from awsglue._local import clients, s3paths
from awsglue._local.sqltext import split_statements
from awstwin.endpoint.glue.catalog import jdbc_urls

log = logging.getLogger("awsglue.jdbc")

# JDBC scheme -> default port; both are served by Postgres locally.
JDBC_SCHEMES = {"postgresql": 5432, "redshift": 5439}

# Spark type -> the column type a created table gets (Postgres spelling, valid on Redshift too).
PG_TYPES: list[tuple[type[T.DataType], str]] = [
    (T.StringType, "VARCHAR(65535)"),
    (T.LongType, "BIGINT"),
    (T.IntegerType, "INTEGER"),
    (T.ShortType, "SMALLINT"),
    (T.ByteType, "SMALLINT"),
    (T.DoubleType, "DOUBLE PRECISION"),
    (T.FloatType, "REAL"),
    (T.BooleanType, "BOOLEAN"),
    (T.DateType, "DATE"),
    (T.TimestampType, "TIMESTAMP"),
    (T.TimestampNTZType, "TIMESTAMP"),
]

# How staged CSV must look for `COPY ... WITH (FORMAT csv)`: null is an unquoted empty field, an empty
# string is "", a quote inside a value is doubled, nothing is trimmed, timestamps are ISO.
STAGING_CSV = {
    "header": "false",
    "sep": ",",
    "quote": '"',
    "escape": '"',
    "escapeQuotes": "true",
    "nullValue": "",
    "emptyValue": '""',
    "ignoreLeadingWhiteSpace": "false",
    "ignoreTrailingWhiteSpace": "false",
    "dateFormat": "yyyy-MM-dd",
    "timestampFormat": "yyyy-MM-dd HH:mm:ss.SSSSSS",
    "timestampNTZFormat": "yyyy-MM-dd HH:mm:ss.SSSSSS",
    "encoding": "UTF-8",
}


class JdbcWriteError(Exception):
    """A load into a JDBC target failed; the transaction was rolled back."""


@dataclass(frozen=True)
class JdbcTarget:
    """Where a Glue JDBC connection points, as psycopg2 connection arguments."""

    connection_name: str
    host: str
    port: int
    database: str
    user: str | None
    password: str | None = field(default=None, repr=False)
    sslmode: str | None = None

    def describe(self) -> str:
        return f"{self.host}:{self.port}/{self.database} (Glue connection {self.connection_name!r})"

    def connect(self) -> Any:
        import psycopg2

        kwargs: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "dbname": self.database,
            "user": self.user,
            "password": self.password,
            "connect_timeout": 15,
            "application_name": "awstwin-glue-job",
        }
        if self.sslmode:
            kwargs["sslmode"] = self.sslmode
        try:
            return psycopg2.connect(**{k: v for k, v in kwargs.items() if v is not None})
        except psycopg2.Error as exc:
            raise JdbcWriteError(
                f"cannot connect to {self.describe()} as {self.user!r}: {_one_line(exc)}; "
                "check the connection's JDBC_CONNECTION_URL, USERNAME and PASSWORD and that the server runs"
            ) from exc


def parse_jdbc_url(url: str) -> tuple[str, int, str, dict[str, str]]:
    """`jdbc:postgresql://host:port/db?user=u` -> (host, port, database, query parameters)."""
    try:
        scheme, host, port, database, params = jdbc_urls.parse_jdbc_url(url)
    except jdbc_urls.JdbcUrlError as exc:
        raise JdbcWriteError(str(exc)) from None
    if scheme not in JDBC_SCHEMES:
        raise JdbcWriteError(
            f"JDBC URL {url!r}: only {', '.join(f'jdbc:{s}://' for s in JDBC_SCHEMES)} can be loaded locally"
        )
    return host, port, database, params


def connection_target(name: str, database: str | None = None, catalog_id: str | None = None) -> JdbcTarget:
    """Resolve a Glue connection (GetConnection, and Secrets Manager for SECRET_ID) to a target."""
    connection = clients.get_connection(name, catalog_id)
    return target_from_properties(name, connection.get("ConnectionProperties") or {}, database)


def target_from_properties(name: str, props: dict[str, str], database: str | None = None) -> JdbcTarget:
    if props.get("JDBC_CONNECTION_URL"):
        parse_jdbc_url(props["JDBC_CONNECTION_URL"])  # only what can be reached locally
    try:
        endpoint = jdbc_urls.resolve(name, props, clients.get_secret, database)
    except jdbc_urls.JdbcUrlError as exc:
        raise JdbcWriteError(str(exc)) from None
    return JdbcTarget(
        name,
        endpoint.host,
        endpoint.port,
        endpoint.database,
        endpoint.user,
        endpoint.password,
        endpoint.sslmode,
    )


def column_name(name: str) -> str:
    """A frame column as a SQL identifier, folded to lower case the way Redshift folds identifiers."""
    return '"' + name.lower().replace('"', '""') + '"'


def column_type(data_type: T.DataType) -> str:
    if isinstance(data_type, T.DecimalType):
        return f"DECIMAL({data_type.precision},{data_type.scale})"
    for spark_type, sql_type in PG_TYPES:
        if isinstance(data_type, spark_type):
            return sql_type
    raise JdbcWriteError(f"a {data_type.simpleString()} column cannot be loaded over JDBC; cast or drop it")


def _check_columns(frame: DataFrame, dbtable: str) -> None:
    unsupported = [
        f"{f.name} ({f.dataType.simpleString()})"
        for f in frame.schema.fields
        if isinstance(f.dataType, (T.ArrayType, T.MapType, T.StructType, T.BinaryType))
    ]
    if unsupported:
        raise JdbcWriteError(
            f"cannot load {dbtable}: columns {', '.join(unsupported)} have no SQL column form; "
            "flatten, cast or drop them first (e.g. DropFields / ApplyMapping)"
        )
    if not frame.columns:
        raise JdbcWriteError(f"cannot load {dbtable}: the frame has no columns")


@contextmanager
def staged_csv(frame: DataFrame, tmp_dir: str | None) -> Iterator[list[Path]]:
    """The frame written as CSV part files; under `tmp_dir` (kept, as Glue keeps them) when given."""
    run_folder = f"{(tmp_dir or '').rstrip('/')}/{uuid.uuid4()}" if tmp_dir else None
    if run_folder is None or not s3paths.is_s3(run_folder):
        local = (
            Path(run_folder) if run_folder else Path(tempfile.mkdtemp(prefix="awstwin-jdbc-stage-")) / "out"
        )
        try:
            frame.write.mode("overwrite").options(**STAGING_CSV).csv(str(local))
            yield sorted(local.glob("part-*"))
        finally:
            if run_folder is None:
                shutil.rmtree(local.parent, ignore_errors=True)
        return
    store = s3paths.access()
    from awstwin.endpoint.s3access import TreeS3Access

    if isinstance(store, TreeS3Access):
        with s3paths.write_folder(run_folder) as folder:
            frame.write.mode("overwrite").options(**STAGING_CSV).csv(str(folder))
            yield sorted(folder.glob("part-*"))
        return
    staging = Path(tempfile.mkdtemp(prefix="awstwin-jdbc-stage-"))
    try:
        frame.write.mode("overwrite").options(**STAGING_CSV).csv(str(staging / "out"))
        bucket_key = run_folder.split("://", 1)[1]
        bucket, _, key = bucket_key.partition("/")
        store.upload_tree(staging / "out", bucket, key)
        yield sorted((staging / "out").glob("part-*"))
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def load(
    frame: DataFrame,
    target: JdbcTarget,
    dbtable: str,
    preactions: str | None = None,
    postactions: str | None = None,
    tmp_dir: str | None = None,
) -> int:
    """Load `frame` into `dbtable` in one transaction; return the number of rows copied."""
    _check_columns(frame, dbtable)
    columns = ", ".join(column_name(c) for c in frame.columns)
    copy_sql = f"COPY {dbtable} ({columns}) FROM STDIN WITH (FORMAT csv)"
    started = time.perf_counter()
    with staged_csv(frame, tmp_dir) as files:
        staged = time.perf_counter()
        connection = target.connect()
        try:
            rows = _transaction(connection, frame, target, dbtable, preactions, postactions, copy_sql, files)
        finally:
            connection.close()
        loaded = time.perf_counter()
    timing = f"read + staging CSV {staged - started:.1f} s, transaction with COPY {loaded - staged:.1f} s"
    print(
        f"from_jdbc_conf: loaded {rows} rows into {dbtable} on {target.describe()} "
        f"in {loaded - started:.1f} s ({timing})",
        file=sys.stderr,
    )
    return rows


class _Statements:
    """Runs the load's SQL in order, remembering which step is running for the error message."""

    def __init__(self, cursor: Any):
        self.cursor = cursor
        self.step = "connecting"
        self.sql = ""

    def run(self, step: str, sql: str, params: Any = None) -> Any:
        self.step, self.sql = step, sql
        self.cursor.execute(sql, params)
        return self.cursor

    def create_if_missing(self, frame: DataFrame, dbtable: str) -> None:
        """Create `dbtable` from the frame's schema when it does not exist (as Glue does for Redshift)."""
        if self.run("checking the table", "SELECT to_regclass(%s)", (dbtable,)).fetchone()[0] is None:
            self.run("creating the missing table", _create_table_sql(frame, dbtable))


def _transaction(
    connection: Any,
    frame: DataFrame,
    target: JdbcTarget,
    dbtable: str,
    preactions: str | None,
    postactions: str | None,
    copy_sql: str,
    files: list[Path],
) -> int:
    import psycopg2

    rows = 0
    with connection.cursor() as cursor:
        sql = _Statements(cursor)
        try:
            sql.create_if_missing(frame, dbtable)
            for index, action in enumerate(split_statements(preactions), start=1):
                sql.run(f"preaction {index}", action.replace("%s", dbtable))
            # A preaction may have dropped the table to rebuild it: create it again from the frame.
            sql.create_if_missing(frame, dbtable)
            sql.step, sql.sql = "COPY", copy_sql
            for path in files:
                with path.open("r", encoding="utf-8") as handle:
                    cursor.copy_expert(copy_sql, handle)
                    rows += max(cursor.rowcount, 0)
            for index, action in enumerate(split_statements(postactions), start=1):
                sql.run(f"postaction {index}", action.replace("%s", dbtable))
            sql.step, sql.sql = "COMMIT", "COMMIT"
            connection.commit()
        except psycopg2.Error as exc:
            connection.rollback()
            raise JdbcWriteError(
                f"loading {dbtable} on {target.describe()} failed at {sql.step}: {_one_line(exc)} "
                f"-- statement: {_shorten(sql.sql)} "
                f"-- the transaction was rolled back; {dbtable} is unchanged"
            ) from exc
    return rows


def _create_table_sql(frame: DataFrame, dbtable: str) -> str:
    columns = ", ".join(f"{column_name(f.name)} {column_type(f.dataType)}" for f in frame.schema.fields)
    return f"CREATE TABLE {dbtable} ({columns})"


def _one_line(exc: BaseException) -> str:
    return " ".join(line.strip() for line in str(exc).strip().splitlines() if line.strip())


def _shorten(sql: str, limit: int = 500) -> str:
    flat = " ".join(sql.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
